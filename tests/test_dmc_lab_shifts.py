"""DMC dashboard: laboratory shifts (grade ≥ 3 results by test and visit), read-only for DMC reviewers."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from labs.services import lab_panel_record
from safety.cutoff import Cutoff
from safety.dashboard import lab_shifts
from tests import factories
from tests.conftest import logged_in

TZ = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, 0, tzinfo=TZ), tick=False):
        yield


def panel(p, user, visit_code, day, **values):
    lab_panel_record(
        participant=p,
        user=user,
        visit_code=visit_code,
        collected_at=datetime(*day, 8, tzinfo=TZ),
        results={code: {"value": Decimal(v)} for code, v in values.items()},
    )


def test_grade_3_or_more_by_test_and_visit(coordinator, dmc_reviewer, django_assert_max_num_queries):
    first = factories.enrolled_participant(coordinator, sex="F", day1=date(2024, 1, 10))
    second = factories.enrolled_participant(coordinator, sex="F", initials="CD", day1=date(2024, 1, 10))
    panel(first, coordinator, "W4", (2024, 2, 7), ALT="201", PLAT="49")  # ALT > 5 × 40: G3; PLAT < 50: G3
    panel(second, coordinator, "W4", (2024, 2, 7), ALT="200")  # exactly 5 × ULN: G2, not counted
    panel(second, coordinator, "W8", (2024, 3, 6), ALT="801")  # G4
    with django_assert_max_num_queries(1):
        shifts = lab_shifts(None)
    rows = {row["code"]: row for row in shifts["rows"]}
    w4, w8 = shifts["visits"].index("W4"), shifts["visits"].index("W8")
    assert (rows["ALT"]["cells"][w4], rows["ALT"]["cells"][w8], rows["ALT"]["total"]) == (1, 1, 2)
    assert rows["PLAT"]["cells"][w4] == 1 and rows["HGB"]["total"] == 0
    page = logged_in(dmc_reviewer).get("/safety/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="lab-shifts-table"' in html and first.initials not in html.split('id="lab-shifts"')[1][:3000]


def test_a_cutoff_counts_samples_collected_on_or_before_it(coordinator, study):
    first = factories.enrolled_participant(coordinator, sex="F", day1=date(2024, 1, 10))
    panel(first, coordinator, "W8", (2024, 3, 6), ALT="801")  # G4, collected 08:00 site time on 6 March
    w8 = lab_shifts(None)["visits"].index("W8")
    for day, participants in ((date(2024, 3, 5), 0), (date(2024, 3, 6), 1)):
        rows = {row["code"]: row for row in lab_shifts(study, Cutoff.of(day, study))["rows"]}
        assert rows["ALT"]["cells"][w8] == participants, day
