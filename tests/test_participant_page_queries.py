"""Participant page: at most 15 queries per request, the same for a participant with every visit, infusion, vital
sign, PASI, AE and a hold as for a bare registration."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.services import pasi_save
from dosing.services import infusion_record, vitals_record
from safety.models import SafetyHold
from safety.services import adverse_event_record
from subjects.models import Visit
from subjects.visits import visit_record
from tests import factories
from tests.conftest import logged_in

TZ = ZoneInfo("Asia/Shanghai")
# The session, the user with its roles and the study (3); the participant with its data-management state, the visits
# (with PASI, infusion, dosing flag and vital-signs count), the signatures, the query markers, the laboratory table,
# the concomitant medications, the medical history, the protocol deviations and the AEs with their holds (9); the
# session's save (savepoint, update, release: 3). The page only reads, so it has no transaction of its own.
MAX_QUERIES = 15
DOSING_DAYS = {"W0": date(2024, 1, 10), "W2": date(2024, 1, 24), "W4": date(2024, 2, 7), "W6": date(2024, 2, 21)}
DOSING_DAYS["W8"] = date(2024, 3, 6)
PASI_DAYS = {"SCR": date(2024, 1, 3), **DOSING_DAYS, "W12": date(2024, 4, 3)}


def scores(**regions) -> dict:
    """Region -> (erythema, induration, desquamation, area score)."""
    return {
        region: dict(zip(("erythema", "induration", "desquamation", "area_score"), items, strict=True))
        for region, items in regions.items()
    }


# 0.1×5×2 + 0.2×4×2 + 0.3×6×3 + 0.4×5×3 = 1.0 + 1.6 + 5.4 + 6.0 = 14.0 at SCR and W0 (the baseline)
PASI_14 = scores(head=(2, 2, 1, 2), upper_limbs=(2, 1, 1, 2), trunk=(2, 2, 2, 3), lower_limbs=(2, 2, 1, 3))
# 0.1×3×1 + 0.2×3×1 + 0.3×3×1 + 0.4×3×1 = 3.0 at W2..W12: (14.0 − 3.0) / 14.0 = 78.6 % improvement
PASI_3 = scores(head=(1, 1, 1, 1), upper_limbs=(1, 1, 1, 1), trunk=(1, 1, 1, 1), lower_limbs=(1, 1, 1, 1))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2024, 6, 1, 10, 0, tzinfo=TZ), tick=False):
        yield


def _visit(participant, code: str) -> Visit:
    return Visit.objects.get(participant=participant, visit_code=code)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def full_participant(user):
    """Every visit done, five infusions with pre/post vitals, PASI at every visit, four AEs and a hold."""
    participant = factories.enrolled_participant(user, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
    for code, day in DOSING_DAYS.items():
        visit = _visit(participant, code)
        vitals_record(
            visit=visit, user=user, timepoint="pre_infusion", measured_at=_at(day, 8), weight_kg=Decimal("63.5")
        )
        infusion = infusion_record(
            visit=visit,
            user=user,
            administered_cells=127_000_000,
            product_lot=f"UC-{code}",
            viability_percent=Decimal("90.0"),
            thaw_time=_at(day, 8, 30),
            start_time=_at(day, 9),
            end_time=_at(day, 10),
            volume_ml=Decimal("100.0"),
            whole_volume_given=True,
        )
        vitals_record(
            visit=_visit(participant, code),
            user=user,
            timepoint="post_infusion",
            measured_at=_at(day, 10, 30),
            infusion=infusion,
            heart_rate=72,
        )
    visit_record(visit=_visit(participant, "W12"), user=user, actual_date=PASI_DAYS["W12"])
    # The factory's screening form holds a screening PASI already: the assessment changes it, with a reason.
    pasi_save(
        visit=_visit(participant, "SCR"), user=user, assessment_date=PASI_DAYS["SCR"], regions=PASI_14, reason="CRF"
    )
    for code, day in PASI_DAYS.items():
        if code != "SCR":
            regions = PASI_14 if code == "W0" else PASI_3
            pasi_save(visit=_visit(participant, code), user=user, assessment_date=day, regions=regions)
    common = dict(ongoing=False, serious=False, expected=True, action_taken="dose_not_changed", outcome="recovered")
    for term, onset in (("Headache", date(2024, 1, 12)), ("Cough", date(2024, 2, 1)), ("Fatigue", date(2024, 3, 8))):
        adverse_event_record(
            participant=participant,
            user=user,
            term=term,
            onset_date=onset,
            end_date=onset,
            grade=1,
            relationship="unlikely",
            **common,
        )
    adverse_event_record(
        participant=participant,
        user=user,
        term="Fever",
        onset_date=date(2024, 4, 10),
        end_date=date(2024, 4, 11),
        grade=3,
        relationship="definite",
        **common,
    )
    participant.refresh_from_db()
    return participant


def page_queries(client, participant) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/participants/{participant.screening_number}/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_full_participant_page_is_within_max_queries_and_shows_everything(coordinator):
    participant = full_participant(coordinator)
    assert SafetyHold.objects.filter(participant=participant).count() == 1 and participant.on_safety_hold
    client = logged_in(coordinator)
    client.get("/")  # the login's session write is not the page's
    count, html = page_queries(client, participant)
    assert count <= MAX_QUERIES
    # Everything comes from the one visit list and the one study row handed to the includes.
    assert "5 infusions given, 635,000,000 cells in total" in html
    assert html.count("Vitals (2)") == 5
    # a PASI row for each of the seven visits
    assert html.count('<td class="num">14.0</td>') == 2 and html.count('<td class="num">3.0</td>') == 5
    assert '<dd id="pasi-baseline">14.0</dd>' in html and "78.6 % at W12" in html
    assert "Headache" in html and "Cough" in html and "Fatigue" in html and "Fever" in html
    assert "On safety hold" in html and "AE 4 — placed" in html
    assert "<strong>Next action:</strong> Study completed" in html
    assert html.count('data-state="done"') == 7


def test_query_count_is_the_same_for_a_bare_registration_and_a_full_participant(coordinator, investigator):
    bare = factories.participant(coordinator)
    enrolled_without_data = factories.enrolled_participant(coordinator, initials="CD")
    full = full_participant(coordinator)
    for user in (coordinator, investigator):
        client = logged_in(user)
        client.get("/")
        counts = {p.screening_number: page_queries(client, p)[0] for p in (bare, enrolled_without_data, full)}
        assert len(set(counts.values())) == 1, counts
        assert max(counts.values()) <= MAX_QUERIES
