"""Whether an infusion may be given now: the one place every refusal that is about the participant lives.

The safety app sets `participant.on_safety_hold`; dosing only reads it (dosing never imports safety).
"""

from subjects.models import ParticipantStatus


def infusion_blockers(participant, visit) -> list[str]:
    """Human-readable reasons why no infusion may be recorded for `participant` at `visit` (empty: allowed)."""
    blockers = []
    if participant.status == ParticipantStatus.WITHDRAWN:
        blockers.append("The participant has withdrawn from the study: no further infusion may be given.")
    elif participant.status != ParticipantStatus.ENROLLED:
        blockers.append(f"The participant is not enrolled (status: {participant.get_status_display().lower()}).")
    if participant.on_safety_hold:
        reason = f" ({participant.safety_hold_reason})" if participant.safety_hold_reason else ""
        blockers.append(f"The participant is on safety hold{reason}: no infusion until an investigator releases it.")
    if visit is not None and visit.not_done_reason:
        blockers.append(f"Visit {visit.visit_code} is recorded as not done.")
    return blockers
