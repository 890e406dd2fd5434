"""Signed records on the participant status grid (desk.status): a valid signature of the record."""

from signatures.models import Signature


def record_states(record_type: str, pks: set[int]) -> dict[int, list[str]]:
    signed = Signature.objects.filter(record_type=record_type, record_id__in=pks, invalidated_at=None)
    return {pk: ["signed"] for pk in signed.values_list("record_id", flat=True).distinct()}
