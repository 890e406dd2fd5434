"""A DMC data cut-off: the figures as of the end of a site date.

The standard clinical meaning: the clinical events that happened on or before the cut-off date (site
dates) count, with their data as recorded now. A participant counts as screened from their consent
date and as enrolled from Day 1; a withdrawal after the cut-off does not count (the participant was
on study then); an infusion, an AE onset, a hold, a PASI assessment or a lab collection counts on or
before the cut-off date. No cut-off (None) means today, and every condition here is then empty.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q

from dosing.models import Infusion
from safety.models import SafetyHold
from subjects.models import ParticipantStatus, Study, Visit
from subjects.sitetime import site_zone


@dataclass(frozen=True)
class Cutoff:
    day: date
    end: datetime  # the first moment after the cut-off day at the site: moments before it count

    @classmethod
    def of(cls, day: date | None, study: Study) -> "Cutoff | None":
        if day is None:
            return None
        return cls(day=day, end=datetime.combine(day + timedelta(days=1), time.min, tzinfo=site_zone(study)))


class BeforeFirstConsent(Exception):
    """A cut-off before the study's first consent (or before anyone consented): nothing to cut off."""

    def __init__(self, first_consent: date | None):
        super().__init__(first_consent)
        self.first_consent = first_consent


def check_first_consent(day: date, first_consent: date | None) -> None:
    if first_consent is None or day < first_consent:
        raise BeforeFirstConsent(first_consent)


def dated(cutoff: Cutoff | None, field: str) -> Q:
    """Records whose date `field` is on or before the cut-off."""
    return Q() if cutoff is None else Q(**{f"{field}__lte": cutoff.day})


def timed(cutoff: Cutoff | None, field: str) -> Q:
    """Records whose moment `field` falls on or before the cut-off day (site time)."""
    return Q() if cutoff is None else Q(**{f"{field}__lt": cutoff.end})


def dosed(cutoff: Cutoff | None, participant: str = "pk") -> Exists:
    """The safety population at the cut-off: at least one infusion started by then."""
    return Exists(Infusion.objects.filter(timed(cutoff, "start_time"), participant=OuterRef(participant)))


def statuses(cutoff: Cutoff | None) -> dict[str, Q]:
    """Each participant status as a condition on participants, as it stood at the cut-off: enrolled from
    Day 1, withdrawn from the withdrawal date, completed once no visit is dated after the cut-off (the
    status is set when the last visit is done); screen failures count from their consent date."""
    if cutoff is None:
        return {status: Q(status=status) for status in ParticipantStatus.values} | {
            "enrolled_ever": Q(subject_id__isnull=False)
        }
    enrolled_ever = Q(subject_id__isnull=False, day1_date__lte=cutoff.day)
    withdrawn = Q(status=ParticipantStatus.WITHDRAWN, withdrawal_date__lte=cutoff.day) & enrolled_ever
    later_visit = Visit.objects.filter(participant=OuterRef("pk"), actual_date__gt=cutoff.day)
    completed = Q(status=ParticipantStatus.COMPLETED) & ~Exists(later_visit) & enrolled_ever
    failed = Q(status=ParticipantStatus.SCREEN_FAILED)
    return {
        ParticipantStatus.SCREENING: ~enrolled_ever & ~failed,
        ParticipantStatus.SCREEN_FAILED: failed,
        ParticipantStatus.ENROLLED: enrolled_ever & ~withdrawn & ~completed,
        ParticipantStatus.COMPLETED: completed,
        ParticipantStatus.WITHDRAWN: withdrawn,
        "enrolled_ever": enrolled_ever,
    }


def on_hold(cutoff: Cutoff | None) -> Q:
    """Participants on a safety hold at the cut-off: placed by then and not released by then."""
    if cutoff is None:
        return Q(on_safety_hold=True)
    open_then = SafetyHold.objects.filter(participant=OuterRef("pk"), placed_at__lt=cutoff.end).filter(
        Q(released_at=None) | Q(released_at__gte=cutoff.end)
    )
    return Q(Exists(open_then))
