"""visit_refresh_statuses: states from schedule.visit_state, stored with one UPDATE per resulting state."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from subjects import schedule
from subjects.models import Visit
from subjects.visits import visit_refresh_statuses
from tests import factories
from trialsite.audit import audited_save

pytestmark = pytest.mark.django_db
CREATED = datetime(2024, 1, 8, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def visits(coordinator):
    """Three participants created on 8 Jan 2024: one dosed on 10 Jan, one not yet, one dosed on 17 Jan
    whose W2 was not done and whose W4 was done out of its window."""
    with time_machine.travel(CREATED, tick=False):
        factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="AA")
        factories.enrolled_participant(coordinator, initials="BB")
        third = factories.enrolled_participant(
            coordinator, planned_day1=date(2024, 1, 17), day1=date(2024, 1, 17), initials="CC"
        )
        w2 = third.visits.get(visit_code="W2")
        w2.not_done_reason = "Travelling"
        audited_save(w2, user=coordinator, reason="Not done")
        w4 = third.visits.get(visit_code="W4")
        w4.actual_date = date(2024, 2, 25)
        w4.deviation_reason = "Late"
        audited_save(w4, user=coordinator, reason="Done late")
    return Visit.objects.select_related("participant").order_by("participant__screening_seq", "visitnum")


def states(queryset) -> list[tuple[str, str, str]]:
    return [(v.participant.initials, v.visit_code, v.status) for v in queryset.all()]


def test_each_state_from_visit_state_in_one_update_per_state(visits, django_assert_num_queries):
    loaded = list(visits)
    today = date(2024, 2, 20)
    expected = {
        v.pk: schedule.visit_state(
            today=today,
            window_start=v.window_start,
            window_end=v.window_end,
            actual_date=v.actual_date,
            not_done=bool(v.not_done_reason),
        )
        for v in loaded
    }
    stale = sum(1 for v in loaded if v.status != expected[v.pk])
    with django_assert_num_queries(4):  # missed, not_done, open, done_out_of_window: one UPDATE each
        assert visit_refresh_statuses(loaded, today) == stale == 9
    assert {v.pk: v.status for v in visits.all()} == expected
    assert [v.status for v in loaded] == [v.status for v in visits.all()]  # the objects passed in follow
    assert [status for *_, status in states(visits)] == [
        *("done", "done", "missed", "missed", "open", "scheduled", "scheduled"),  # AA, Day 1 on 10 Jan
        *("done", "missed", "missed", "missed", "open", "scheduled", "scheduled"),  # BB, never dosed
        *("done", "done", "not_done", "done_out_of_window", "scheduled", "scheduled", "scheduled"),  # CC
    ]
    with django_assert_num_queries(0):  # nothing changed any more
        assert visit_refresh_statuses(loaded, today) == 0


def test_a_queryset_costs_one_select_and_one_update_for_a_single_state(visits, django_assert_num_queries):
    with django_assert_num_queries(2):
        changed = visit_refresh_statuses(Visit.objects.exclude(not_done_reason=""), date(2024, 1, 8))
    assert changed == 1  # CC's W2: scheduled -> not_done
    with django_assert_num_queries(2):
        assert visit_refresh_statuses(Visit.objects.filter(visit_code="W12"), date(2024, 6, 1)) == 3
    assert set(Visit.objects.filter(visit_code="W12").values_list("status", flat=True)) == {"missed"}
