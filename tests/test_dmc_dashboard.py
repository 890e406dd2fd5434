"""DMC dashboard: known counts from a hand-built fixture, traceable listings, no PII, constant queries."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from assessments.models import PasiAssessment
from dosing.models import Infusion
from safety.models import SafetyHold
from safety.services import adverse_event_record, safety_hold_release
from subjects.models import ParticipantStatus
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=TZ)
INITIALS = ("QJX", "WVK", "ZRT", "YMP")
BIRTH_DATES = (date(1971, 3, 14), date(1985, 7, 21), date(1990, 11, 30), date(1969, 2, 5))

pytestmark = pytest.mark.django_db


def infusion(participant, code: str, number: int, cells: int, user) -> Infusion:
    visit = participant.visits.get(visit_code=code)
    start = datetime.combine(visit.target_date, datetime.min.time(), tzinfo=TZ) + timedelta(hours=9)
    return audited_save(
        Infusion(
            participant=participant,
            visit=visit,
            infusion_number=number,
            weight_kg_used=Decimal("63.5"),
            dose_per_kg=2_000_000,
            planned_cells=127_000_000,
            administered_cells=cells,
            product_lot="LOT-7",
            viability_percent=Decimal("95.0"),
            thaw_time=start - timedelta(minutes=20),
            start_time=start,
            end_time=start + timedelta(minutes=40),
            volume_ml=Decimal("100.0"),
            whole_volume_given=True,
            administered_by=user,
        ),
        user=user,
    )


def pasi(participant, code: str, total: str, user) -> PasiAssessment:
    visit = participant.visits.get(visit_code=code)
    items = {}
    for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
        items.update({f"{region}_erythema": 2, f"{region}_induration": 2, f"{region}_desquamation": 1})
        items[f"{region}_area_score"] = 2
    return audited_save(
        PasiAssessment(
            participant=participant,
            visit=visit,
            assessment_date=visit.target_date,
            assessor=user,
            pasi_total=Decimal(total),
            **items,
        ),
        user=user,
    )


def ae(participant, user, **fields):
    base = dict(
        end_date=None,
        ongoing=True,
        serious=False,
        expected=False,
        action_taken="dose_not_changed",
        outcome="recovering",
    )
    base.update(fields)
    return adverse_event_record(participant=participant, user=user, **base)


@pytest.fixture
def trial(coordinator, investigator, study):
    """3 enrolled (1 withdrawn), 1 screen failure; 3 infusions; 6 AEs (3 SAEs); 2 holds (1 released)."""
    with time_machine.travel(NOW, tick=False):
        p1 = factories.enrolled_participant(
            coordinator, day1=date(2024, 1, 10), initials=INITIALS[0], date_of_birth=BIRTH_DATES[0]
        )
        p2 = factories.enrolled_participant(
            coordinator, day1=date(2024, 1, 10), initials=INITIALS[1], date_of_birth=BIRTH_DATES[1]
        )
        p3 = factories.enrolled_participant(
            coordinator,
            planned_day1=date(2024, 1, 17),
            day1=date(2024, 1, 17),
            initials=INITIALS[2],
            date_of_birth=BIRTH_DATES[2],
        )
        p3.status = ParticipantStatus.WITHDRAWN
        p3.withdrawal_date = date(2024, 2, 26)
        p3.withdrawal_reason = "Withdrew consent"
        audited_save(p3, user=coordinator, reason="Withdrawn")
        factories.participant(
            coordinator, initials=INITIALS[3], date_of_birth=BIRTH_DATES[3], status=ParticipantStatus.SCREEN_FAILED
        )

        infusion(p1, "W0", 1, 127_000_000, coordinator)
        infusion(p1, "W2", 2, 127_000_000, coordinator)
        infusion(p2, "W0", 1, 130_000_000, coordinator)

        for participant, baseline, totals in (
            (p1, "20.0", ("20.0", "15.0", "10.0")),
            (p2, "10.0", ("10.0", "9.0", "2.5")),
        ):
            participant.baseline_pasi = Decimal(baseline)
            audited_save(participant, user=coordinator, reason="Baseline PASI")
            for code, total in zip(("W0", "W2", "W4"), totals, strict=True):
                pasi(participant, code, total, coordinator)

        ae(
            p1,
            coordinator,
            term="Headache",
            onset_date=date(2024, 1, 12),
            grade=1,
            relationship="unlikely",
            end_date=date(2024, 1, 13),
            ongoing=False,
            outcome="recovered",
        )
        ae(p1, coordinator, term="Fever", onset_date=date(2024, 1, 24), grade=3, relationship="probable")
        ae(
            p2,
            coordinator,
            term="Pneumonia",
            onset_date=date(2024, 2, 19),
            grade=3,
            relationship="not_related",
            serious=True,
            hospitalization=True,
            awareness_time=datetime(2024, 2, 20, 9, 0, tzinfo=TZ),
            reported_to_sponsor_at=datetime(2024, 2, 21, 9, 0, tzinfo=TZ),
        )
        ae(
            p2,
            coordinator,
            term="Rash",
            onset_date=date(2024, 2, 28),
            grade=2,
            relationship="possible",
            serious=True,
            important_medical_event=True,
            awareness_time=datetime(2024, 2, 29, 14, 0, tzinfo=TZ),
        )
        ae(p3, coordinator, term="Nausea", onset_date=date(2024, 1, 12), grade=2, relationship="not_related")
        ae(
            p3,
            coordinator,
            term="Syncope",
            onset_date=date(2024, 2, 24),
            grade=4,
            relationship="unlikely",
            serious=True,
            life_threatening=True,
            awareness_time=datetime(2024, 2, 25, 8, 0, tzinfo=TZ),
        )

        safety_hold_release(
            hold=SafetyHold.objects.get(participant=p1), investigator=investigator, reason="DMC review 2024-02-28"
        )
    return {"p1": p1, "p2": p2, "p3": p3}


def count(html: str, name: str) -> str:
    match = re.search(rf'data-count="{re.escape(name)}"[^>]*>(?:<span class="n">)?([^<]+)<', html)
    assert match, name
    return match.group(1)


def get(client, url):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_dashboard_numbers(trial, dmc_reviewer):
    html = get(logged_in(dmc_reviewer), "/safety/dashboard/")
    expected = {
        "screened": "4",
        "screen_failed": "1",
        "enrolled": "3",
        "withdrawn": "1",
        "completed": "0",
        "infusions": "3",
        "cells": "384000000",
        "ae-events": "6",
        "incidence-grade-1": "1",
        "incidence-grade-2": "2",
        "incidence-grade-3": "2",
        "incidence-grade-4": "1",
        "incidence-grade-5": "0",
        "incidence-seriousness-yes": "3",
        "incidence-seriousness-no": "3",
        "incidence-relationship-not_related": "2",
        "incidence-relationship-unlikely": "2",
        "incidence-relationship-possible": "1",
        "incidence-relationship-probable": "1",
        "incidence-relationship-definite": "0",
        "saes": "3",
        "sae-due": "1",
        "sae-overdue": "1",
        "sae-reported_on_time": "1",
        "sae-reported_late": "0",
        "holds-open": "1",
        "holds-released": "1",
    }
    assert {name: count(html, name) for name in expected} == expected
    assert 'id="dmc-alert"' in html and "2 participants have a related AE" in html
    assert "5 treatment-emergent" not in html  # the figure is a link
    assert re.search(r'treatment_emergent=yes">5</a> treatment-emergent', html)
    assert re.search(r'related=yes">2</a> related', html)
    # % of 3 enrolled with a grade 3 AE: 2/3
    assert "66.7" in html
    # exposure distribution: 1 participant with 0, 1 with 1, 1 with 2 infusions
    assert re.search(r'infusions=0">1<', html) and re.search(r'infusions=1">1<', html)
    assert re.search(r'infusions=2">1<', html) and re.search(r'infusions=3">0<', html)
    # mean improvement by visit: W2 (25.0 + 10.0) / 2, W4 (50.0 + 75.0) / 2
    assert re.search(r"<td>W2</td><td class=\"num\"><a [^>]*>2</a></td><td class=\"num\">17.5</td>", html)
    assert re.search(r"<td>W4</td><td class=\"num\"><a [^>]*>2</a></td><td class=\"num\">62.5</td>", html)
    assert re.search(r"<td>W12</td><td class=\"num\"><a [^>]*>0</a></td><td class=\"num\">—</td>", html)
    # SAE listing with timeliness, subject IDs only
    assert "S2018-11-002" in html and "Overdue" in html and "Reported on time" in html
    # charts: vendored Chart.js, data via json_script, a canvas per chart
    assert "vendor/chartjs/chart.umd.min.js" in html and 'id="dashboard-data"' in html
    for canvas in ("chart-grade", "chart-seriousness", "chart-relationship", "chart-pasi", "chart-pasi-mean"):
        assert f'<canvas id="{canvas}"' in html
    assert "@media print" in html


def test_no_initials_or_birth_dates_anywhere(trial, dmc_reviewer):
    client = logged_in(dmc_reviewer)
    pages = [get(client, "/safety/dashboard/")]
    for name in ("participants", "exposure", "adverse-events", "saes", "signals", "holds", "pasi"):
        pages.append(get(client, reverse("safety:listing", args=[name])))
    for html in pages:
        for initials in INITIALS:
            assert initials not in html
        for born in BIRTH_DATES:
            assert born.isoformat() not in html and str(born.year) not in html


@pytest.mark.parametrize(
    "url,rows,must_contain",
    [
        ("/safety/dashboard/listing/participants/", 4, ["SCR-004", "S2018-11-003"]),
        ("/safety/dashboard/listing/participants/?enrolled=yes", 3, []),
        ("/safety/dashboard/listing/participants/?status=withdrawn", 1, ["S2018-11-003"]),
        ("/safety/dashboard/listing/exposure/?infusions=2", 1, ["S2018-11-001", "254000000"]),
        ("/safety/dashboard/listing/adverse-events/?grade=3", 2, ["Fever", "Pneumonia"]),
        ("/safety/dashboard/listing/adverse-events/?serious=yes", 3, ["Syncope"]),
        ("/safety/dashboard/listing/adverse-events/?relationship=possible", 1, ["Rash"]),
        ("/safety/dashboard/listing/adverse-events/?treatment_emergent=yes", 5, []),
        ("/safety/dashboard/listing/saes/?clock=overdue", 1, ["Syncope", "2024-02-26 08:00"]),
        ("/safety/dashboard/listing/signals/", 2, ["Fever", "Rash"]),
        ("/safety/dashboard/listing/holds/?open=yes", 1, ["S2018-11-002"]),
        ("/safety/dashboard/listing/pasi/?visit=W4", 2, ["75.0", "50.0"]),
    ],
)
def test_listings_hold_the_rows_behind_each_number(trial, data_manager, url, rows, must_contain):
    html = get(logged_in(data_manager), url)
    assert re.search(rf'id="listing-count">{rows}<', html), url
    for text in must_contain:
        assert text in html


def test_unknown_listing_is_404(dmc_reviewer, study):
    assert logged_in(dmc_reviewer).get("/safety/dashboard/listing/secrets/").status_code == 404


def test_dashboard_query_count_does_not_grow_with_participants(
    trial, coordinator, dmc_reviewer, django_assert_max_num_queries
):
    client = logged_in(dmc_reviewer)
    with django_assert_max_num_queries(17):
        get(client, "/safety/dashboard/")
    with time_machine.travel(NOW, tick=False):
        for initials in ("AA", "BB", "CC"):
            extra = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials=initials)
            infusion(extra, "W0", 1, 127_000_000, coordinator)
            ae(
                extra,
                coordinator,
                term="Fatigue",
                onset_date=date(2024, 1, 20),
                grade=3,
                relationship="definite",
                serious=True,
                hospitalization=True,
                awareness_time=datetime(2024, 1, 21, 8, 0, tzinfo=TZ),
            )
    with django_assert_max_num_queries(17):
        html = get(client, "/safety/dashboard/")
    assert count(html, "enrolled") == "6"
    for name in ("adverse-events", "saes", "pasi", "exposure", "participants", "holds"):
        with django_assert_max_num_queries(12):
            get(client, reverse("safety:listing", args=[name]))


def test_dashboard_with_no_data(dmc_reviewer, study):
    html = get(logged_in(dmc_reviewer), "/safety/dashboard/")
    assert count(html, "screened") == "0" and "No serious adverse events." in html
