"""Participant page: PASI over time, improvement and responders (hand-computed), W12 window, dosing table, queries."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from assessments.efficacy import participant_pasi
from assessments.services import pasi_save
from dosing.selectors import participant_dosing
from dosing.services import infusion_record, vitals_record
from subjects.models import Visit
from subjects.services import page_visits
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, 0, tzinfo=TZ), tick=False):
        yield


def scores(**regions) -> dict:
    """Region -> (erythema, induration, desquamation, area score)."""
    return {
        region: dict(zip(("erythema", "induration", "desquamation", "area_score"), items, strict=True))
        for region, items in regions.items()
    }


# 0.1×5×2 + 0.2×4×2 + 0.3×6×3 + 0.4×5×3 = 1.0 + 1.6 + 5.4 + 6.0 = 14.0
PASI_14 = scores(head=(2, 2, 1, 2), upper_limbs=(2, 1, 1, 2), trunk=(2, 2, 2, 3), lower_limbs=(2, 2, 1, 3))
# 0.1×3×1 + 0.2×3×1 + 0.3×3×1 + 0.4×3×1 = 3.0
PASI_3 = scores(head=(1, 1, 1, 1), upper_limbs=(1, 1, 1, 1), trunk=(1, 1, 1, 1), lower_limbs=(1, 1, 1, 1))
# 0 + 0.2×3×1 + 0 + 0.4×8×2 = 0.6 + 6.4 = 7.0
PASI_7 = scores(head=(0, 0, 0, 0), upper_limbs=(1, 1, 1, 1), trunk=(0, 1, 1, 0), lower_limbs=(4, 2, 2, 2))
PASI_0 = scores(**{r: (0, 0, 0, 0) for r in ("head", "upper_limbs", "trunk", "lower_limbs")})


@pytest.fixture
def participant(coordinator):
    return factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))


def assess(participant, user, code, on, regions):
    visit = Visit.objects.get(participant=participant, visit_code=code)
    return pasi_save(visit=visit, user=user, assessment_date=on, regions=regions)


def test_improvement_and_responders_over_time(participant, coordinator):
    assess(participant, coordinator, "W0", date(2024, 1, 10), PASI_14)
    assess(participant, coordinator, "W2", date(2024, 1, 24), PASI_3)
    assess(participant, coordinator, "W12", date(2024, 4, 3), PASI_7)
    participant.refresh_from_db()
    summary = participant_pasi(participant)
    assert summary["baseline"] == Decimal("14.0")
    rows = {row.visit_code: row for row in summary["rows"]}
    # W2: (14.0 − 3.0) / 14.0 = 78.571 % → 78.6; PASI 50 and 75 but not 90
    assert rows["W2"].improvement_percent == Decimal("78.6")
    assert rows["W2"].responders == {"pasi50": True, "pasi75": True, "pasi90": False, "pasi100": False}
    # W12: (14.0 − 7.0) / 14.0 = exactly 50 %: PASI 50 on the edge
    assert rows["W12"].improvement_percent == Decimal("50.0")
    assert rows["W12"].responders == {"pasi50": True, "pasi75": False, "pasi90": False, "pasi100": False}
    assert summary["primary"].in_window is True
    assert summary["chart"] == {"labels": ["W0", "W2", "W12"], "pasi": ["14.0", "3.0", "7.0"], "baseline": "14.0"}

    page = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert '<dd id="pasi-baseline">14.0</dd>' in page
    assert "50.0 % at W12" in page
    assert "PASI50 yes" in page and "PASI75 no" in page
    assert "in window" in page
    assert 'id="pasi-chart-data"' in page and "vendor/chartjs/chart.umd.min.js" in page
    assert "cdn" not in page.lower()


def test_w12_out_of_window_is_marked(participant, coordinator):
    assess(participant, coordinator, "W0", date(2024, 1, 10), PASI_14)
    assess(participant, coordinator, "W12", date(2024, 4, 10), PASI_3)  # window 31 Mar – 6 Apr
    participant.refresh_from_db()
    assert participant_pasi(participant)["primary"].in_window is False
    page = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert "out of window: not counted" in page


def test_improvement_undefined_when_baseline_zero_or_missing(participant, coordinator):
    page = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert "undefined (no PASI yet)" in page
    assess(participant, coordinator, "W0", date(2024, 1, 10), PASI_0)
    assess(participant, coordinator, "W2", date(2024, 1, 24), PASI_3)
    participant.refresh_from_db()
    assert participant.baseline_pasi == Decimal("0.0")
    current = participant_pasi(participant)["current"]
    assert current.improvement_percent is None and current.responders["pasi50"] is None
    page = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert '<dd id="pasi-improvement">undefined</dd>' in page
    assert "PASI50 undefined" in page


def test_worsening_is_negative_and_kept(participant, coordinator):
    assess(participant, coordinator, "W0", date(2024, 1, 10), PASI_7)
    assess(participant, coordinator, "W2", date(2024, 1, 24), PASI_14)
    participant.refresh_from_db()
    # (7.0 − 14.0) / 7.0 = −100 %
    assert participant_pasi(participant)["current"].improvement_percent == Decimal("-100.0")


def _dose(participant, user, code, day, cells, **extra):
    visit = Visit.objects.get(participant=participant, visit_code=code)
    vitals_record(
        visit=visit,
        user=user,
        timepoint="pre_infusion",
        measured_at=datetime(*day, 8, tzinfo=TZ),
        weight_kg=Decimal("63.5"),
    )
    return infusion_record(
        visit=visit,
        user=user,
        administered_cells=cells,
        product_lot="UC-1",
        viability_percent=Decimal("90.0"),
        thaw_time=datetime(*day, 8, 30, tzinfo=TZ),
        start_time=datetime(*day, 9, tzinfo=TZ),
        end_time=datetime(*day, 10, tzinfo=TZ),
        volume_ml=Decimal("100.0"),
        whole_volume_given=True,
        **extra,
    )


def test_dosing_table_planned_vs_administered_and_cumulative(participant, coordinator):
    _dose(participant, coordinator, "W0", (2024, 1, 10), 127_000_000)
    _dose(participant, coordinator, "W2", (2024, 1, 24), 100_000_000, deviation_reason="Low count")
    summary = participant_dosing(participant)
    assert [r.visit.visit_code for r in summary["rows"]] == ["W0", "W2", "W4", "W6", "W8"]
    assert [r.cumulative_cells for r in summary["rows"][:2]] == [127_000_000, 227_000_000]
    assert (summary["infusions_given"], summary["total_cells"], summary["deviations"]) == (2, 227_000_000, 1)
    page = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert "227,000,000" in page and "dose deviation" in page
    assert f"/dosing/{participant.screening_number}/W0/vitals/" in page


def _page_queries(client, participant) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(f"/participants/{participant.screening_number}/").status_code == 200
    return len(context)


def test_participant_page_includes_use_constant_queries(coordinator):
    few = factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
    many = factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
    assess(few, coordinator, "W0", date(2024, 1, 10), PASI_14)
    _dose(few, coordinator, "W0", (2024, 1, 10), 127_000_000)
    for code, day in (("W0", (2024, 1, 10)), ("W2", (2024, 1, 24)), ("W4", (2024, 2, 7))):
        assess(many, coordinator, code, date(*day), PASI_14)
        _dose(many, coordinator, code, day, 127_000_000)
    client = logged_in(coordinator)
    client.get("/")  # warm the session
    assert _page_queries(client, many) == _page_queries(client, few)


def test_participant_page_for_reader_roles(participant, coordinator, data_manager):
    assess(participant, coordinator, "W0", date(2024, 1, 10), PASI_14)
    participant.refresh_from_db()
    participant.on_safety_hold = True
    audited_save(participant, user=coordinator, reason="Safety hold")
    page = logged_in(data_manager).get(f"/participants/{participant.screening_number}/").content.decode()
    assert '<dd id="pasi-baseline">14.0</dd>' in page


def test_summaries_use_the_pages_visits_without_querying_them_again(
    participant, coordinator, django_assert_num_queries
):
    assess(participant, coordinator, "W0", date(2024, 1, 10), PASI_14)
    _dose(participant, coordinator, "W0", (2024, 1, 10), 127_000_000)
    assess(participant, coordinator, "W2", date(2024, 1, 24), PASI_3)
    participant.refresh_from_db()
    visits = page_visits(participant)
    with django_assert_num_queries(0):
        given = participant_pasi(participant, visits)
    fetched = participant_pasi(participant)
    assert given["rows"] == fetched["rows"] and given["chart"] == fetched["chart"]
    assert [v.visit_code for v in given["visits"]] == ["SCR", "W0", "W2", "W4", "W6", "W8", "W12"]
    with django_assert_num_queries(0):  # the dosing flag and the vital-signs count come with the visits
        dosing = participant_dosing(participant, visits)
    assert dosing == participant_dosing(participant)
    assert [(r.visit.visit_code, r.vitals_count, r.cumulative_cells) for r in dosing["rows"][:2]] == [
        ("W0", 1, 127_000_000),
        ("W2", 0, 127_000_000),
    ]


def test_no_improvement_at_or_before_baseline(participant, coordinator, data_manager):
    """Screening PASI 14.0, W0 PASI 3.0 (the baseline), W2 PASI 3.0: the screening assessment has no
    improvement (it used to show -366.7 % against the later baseline), W0 is "baseline", W2 0.0 %."""
    from rest_framework.test import APIClient

    from assessments.models import PasiAssessment

    scr_visit = Visit.objects.get(participant=participant, visit_code="SCR")
    scr = pasi_save(visit=scr_visit, user=coordinator, assessment_date=date(2024, 1, 3), regions=PASI_14, reason="x")
    assess(participant, coordinator, "W0", date(2024, 1, 10), PASI_3)
    assess(participant, coordinator, "W2", date(2024, 1, 24), PASI_3)
    participant.refresh_from_db()
    assert participant.baseline_pasi == Decimal("3.0")
    stored = dict(PasiAssessment.objects.values_list("visit_code", "improvement_percent"))
    assert stored == {"SCR": None, "W0": None, "W2": Decimal("0.0")}
    rows = {row.visit_code: row for row in participant_pasi(participant)["rows"]}
    assert [rows[code].improvement_percent for code in ("SCR", "W0", "W2")] == [None, None, Decimal("0.0")]
    assert (rows["SCR"].baseline_role, rows["W0"].baseline_role, rows["W2"].baseline_role) == (
        "before baseline",
        "baseline",
        "",
    )
    assert set(rows["SCR"].responders.values()) == {None}
    html = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert "-366.7" not in html and ">baseline<" in html
    api = APIClient()
    api.force_authenticate(data_manager)
    data = api.get(f"/api/v1/pasi-assessments/{scr.pk}/").json()
    assert data["improvement_percent"] is None and data["pasi50"] is None
