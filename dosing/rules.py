"""Whether an infusion may be given now: the one place every refusal that is about the participant lives.

The safety app sets `participant.on_safety_hold`; dosing only reads it (dosing never imports safety).
"""

from django.utils.translation import gettext as _

from subjects.models import ParticipantStatus


def infusion_blockers(participant, visit) -> list[str]:
    """Human-readable reasons why no infusion may be recorded for `participant` at `visit` (empty: allowed)."""
    blockers = []
    if participant.status == ParticipantStatus.WITHDRAWN:
        blockers.append(_("The participant has withdrawn from the study: no further infusion may be given."))
    elif participant.status != ParticipantStatus.ENROLLED:
        blockers.append(
            _("The participant is not enrolled (status: %(status)s).")
            % {"status": participant.get_status_display().lower()}
        )
    if participant.on_safety_hold:
        if participant.safety_hold_reason:
            blockers.append(
                _("The participant is on safety hold (%(reason)s): no infusion until an investigator releases it.")
                % {"reason": participant.safety_hold_reason}
            )
        else:
            blockers.append(_("The participant is on safety hold: no infusion until an investigator releases it."))
    if visit is not None and visit.not_done_reason:
        blockers.append(_("Visit %(visit)s is recorded as not done.") % {"visit": visit.visit_code})
    return blockers
