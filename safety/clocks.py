"""The SAE clock (rules.sae_clock) set on the adverse events a page lists."""

from django.utils import timezone

from safety import rules


def with_clocks(adverse_events, study):
    """Set `.clock` (as of now) on AdverseEvent instances, for the pages that list them."""
    now = timezone.now()
    for adverse_event in adverse_events:
        start = rules.sae_clock_start(serious=adverse_event.serious, awareness_time=adverse_event.awareness_time)
        adverse_event.clock = rules.sae_clock(start, adverse_event.reported_to_sponsor_at, now, study.sae_report_hours)
    return adverse_events
