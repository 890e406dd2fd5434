"""Signed records on the participant status grid (desk.status): a valid signature of the record."""

from signatures.models import Signature
from trialsite.records import of_records


def record_states(records: dict[str, set[int]]) -> dict[tuple[str, int], list[str]]:
    """{(record type, pk): ["signed"]} of the records {record type: {pk, …}} that hold a valid signature."""
    if not records:
        return {}
    condition = of_records(records)
    signed = Signature.objects.filter(condition, invalidated_at=None)
    return {key: ["signed"] for key in signed.order_by().values_list("record_type", "record_id").distinct()}
