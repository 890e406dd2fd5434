"""The SAE clock as shown on a page: rules.sae_clock, plus the moment the page stops being true.

A DUE clock turns OVERDUE just after its due time, so a cached page showing it must not be
served from then on (trialsite.pagecache.expires_by). rules stays free of request concerns.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from safety import rules
from trialsite import pagecache


def page_clock(
    awareness_time: datetime | None, reported_at: datetime | None, now: datetime, hours: int
) -> rules.SaeClock:
    clock = rules.sae_clock(awareness_time, reported_at, now, hours)
    if clock.state == rules.DUE:
        pagecache.expires_by(clock.due_at + timedelta(microseconds=1))
    return clock


def with_clocks(adverse_events, study):
    """Set `.clock` (as of now) on AdverseEvent instances, for the pages that list them."""
    now = timezone.now()
    for adverse_event in adverse_events:
        start = rules.sae_clock_start(serious=adverse_event.serious, awareness_time=adverse_event.awareness_time)
        adverse_event.clock = page_clock(start, adverse_event.reported_to_sponsor_at, now, study.sae_report_hours)
    return adverse_events
