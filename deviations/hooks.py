"""settings.AUDITED_AFTER_WRITE hook: the deviations log follows the records it is derived from."""

from trialsite.records import participant_of, record_type_of

SOURCES = frozenset({"visit", "infusion", "concomitant_medication"})


def sync_after_write(obj, *, created: bool, changed: list[str]) -> None:
    record_type = record_type_of(obj)
    if record_type is None or record_type.name not in SOURCES:
        return
    from deviations.services import deviations_sync

    deviations_sync(participant=participant_of(obj), user=getattr(obj, "_history_user", None))
