"""DMC dashboard: known counts from a hand-built fixture, traceable listings, no PII, constant queries."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from assessments.models import PasiAssessment
from assessments.pasi import improvement_percent
from assessments.services import pasi_save
from dosing.models import Infusion
from dosing.services import infusion_record, vitals_record
from safety import dashboard
from safety.models import SafetyHold
from safety.services import adverse_event_record, safety_hold_release
from subjects.models import ParticipantStatus
from tests import factories
from tests.conftest import logged_in
from tests.subjects_helpers import SIGNED
from trialsite import figures
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=TZ)
AFTER_W12 = datetime(2024, 6, 1, 12, 0, tzinfo=TZ)  # every visit's PASI may be recorded
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


pasi = factories.pasi_assessment
PASI_REGIONS = ("head", "upper_limbs", "trunk", "lower_limbs")
PASI_ONES = {"erythema": 1, "induration": 1, "desquamation": 1}


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

        # The W0 PASI (on Day 1) is the baseline: 20.0 and 10.0, derived by the service.
        for participant, totals in ((p1, ("20.0", "15.0", "10.0")), (p2, ("10.0", "9.0", "2.5"))):
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
            **SIGNED,
            hold=SafetyHold.objects.get(participant=p1),
            investigator=investigator,
            reason="DMC review 2024-02-28",
        )
    return {"p1": p1, "p2": p2, "p3": p3}


def count(html: str, name: str) -> str:
    match = re.search(rf'data-count="{re.escape(name)}"[^>]*>(?:<span class="n">)?([^<]+)<', html)
    assert match, name
    return match.group(1)


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)  # random letters, not data


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
        "cells": "384,000,000",
        "safety-population": "2",
        "ae-events": "4",
        "incidence-grade-1": "1",
        "incidence-grade-2": "1",
        "incidence-grade-3": "2",
        "incidence-grade-4": "0",
        "incidence-grade-5": "0",
        "incidence-seriousness-yes": "2",
        "incidence-seriousness-no": "2",
        "incidence-relationship-not_related": "1",
        "incidence-relationship-unlikely": "1",
        "incidence-relationship-possible": "1",
        "incidence-relationship-probable": "1",
        "incidence-relationship-definite": "0",
        "saes": "2",
        "sae-due": "1",
        "sae-overdue": "0",
        "sae-reported_on_time": "1",
        "sae-reported_late": "0",
        "holds-open": "1",
        "holds-released": "1",
    }
    assert {name: count(html, name) for name in expected} == expected
    assert 'id="dmc-alert"' in html and "2 participants have a related AE" in html
    assert "4 treatment-emergent" not in html  # the figure is a link
    assert re.search(r'treatment_emergent=yes">4</a> treatment-emergent', html)
    assert re.search(r'related=yes">2</a> related', html)
    # % of the safety population (2 dosed) with a grade 3 AE: 2/2; the undosed withdrawn participant's
    # AEs and the screen failure are in neither numerator nor denominator
    assert "100.0" in html and "66.7" not in html
    # exposure distribution: 1 participant with 0, 1 with 1, 1 with 2 infusions
    assert re.search(r'infusions=0">1<', html) and re.search(r'infusions=1">1<', html)
    assert re.search(r'infusions=2">1<', html) and re.search(r'infusions=3">0<', html)
    # mean improvement by visit: W2 (25.0 + 10.0) / 2, W4 (50.0 + 75.0) / 2
    assert re.search(r"<td>W2</td><td class=\"num\"><a [^>]*>2</a></td><td class=\"num\">17.5</td>", html)
    assert re.search(r"<td>W4</td><td class=\"num\"><a [^>]*>2</a></td><td class=\"num\">62.5</td>", html)
    assert re.search(r"<td>W12</td><td class=\"num\"><a [^>]*>0</a></td><td class=\"num\">—</td>", html)
    # SAE listing with timeliness, subject IDs only
    assert "S2018-11-002" in html and "Due" in html and "Reported on time" in html
    # charts: vendored Chart.js, data via json_script, a canvas per chart
    assert "vendor/chartjs/chart.umd.min.js" in html and 'id="dashboard-data"' in html
    for canvas in ("chart-grade", "chart-seriousness", "chart-relationship", "chart-pasi", "chart-pasi-mean"):
        assert f'<canvas id="{canvas}"' in html
    assert "@media print" in html


def test_aes_by_soc_and_preferred_term_use_the_coded_terms_and_list_the_uncoded(trial, data_manager, dmc_reviewer):
    """The test dictionary codes Headache (PT Headache) and Fever (LLT of PT Pyrexia); the safety
    population's other AEs (Pneumonia, Rash) are not in it: listed by verbatim term, as not coded."""
    import io
    from pathlib import Path

    from django.core.management import call_command

    from safety.ae_coding import adverse_events_auto_code

    meddra = Path(__file__).resolve().parent / "fixtures" / "meddra"
    call_command("load_meddra", str(meddra), "--loaded-by", "dana", stdout=io.StringIO())
    assert adverse_events_auto_code(user=data_manager) == 2
    figures.new_generation()  # the coding's own bump waits for a commit this test never makes
    html = get(logged_in(dmc_reviewer), "/safety/dashboard/")
    table = html[html.index('id="incidence-term"') : html.index("</table>", html.index('id="incidence-term"'))]
    rows = re.findall(r'<tr( class="uncoded")?><td>([^<]+)</td><td>([^<]+?)(?: <span[^>]*>uncoded</span>)?</td>'
                      r'<td class="num">(\d+)</td><td class="num">(\d+)</td>', table)  # fmt: skip
    assert rows == [
        ("", "General disorders", "Pyrexia", "1", "1"),
        ("", "Nervous system disorders", "Headache", "1", "1"),
        (' class="uncoded"', "Not coded yet", "Pneumonia", "1", "1"),
        (' class="uncoded"', "Not coded yet", "Rash", "1", "1"),
    ]


def test_incidence_counts_one_population_never_above_100_percent(coordinator, dmc_reviewer, study):
    """Screening AEs of people never dosed used to be counted over the enrolled: 200 % of enrolled."""
    with time_machine.travel(NOW, tick=False):
        dosed = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
        infusion(dosed, "W0", 1, 127_000_000, coordinator)
        ae(dosed, coordinator, term="Fever", onset_date=date(2024, 1, 20), grade=3, relationship="not_related")
        for _ in range(2):
            screening = factories.participant(coordinator)
            ae(
                screening,
                coordinator,
                term="Fracture",
                onset_date=date(2024, 1, 20),
                grade=3,
                relationship="not_related",
            )
    data = figures_now(study)
    grade3 = next(row for row in data["incidence"]["tables"]["grade"] if row["key"] == "3")
    assert (grade3["events"], grade3["participants"], grade3["percent"]) == (1, 1, Decimal("100.0"))
    assert data["incidence"]["events"] == 1
    html = get(logged_in(dmc_reviewer), "/safety/dashboard/")
    assert "200.0" not in html and "safety population" in html
    assert count(html, "safety-population") == "1"


def test_no_initials_or_birth_dates_anywhere(trial, dmc_reviewer):
    client = logged_in(dmc_reviewer)
    pages = [get(client, "/safety/dashboard/")]
    for name in ("participants", "exposure", "adverse-events", "saes", "signals", "holds", "pasi"):
        pages.append(get(client, reverse("safety:listing", args=[name])))
    for html in pages:
        html = without_csrf(html)
        for initials in INITIALS:
            assert initials not in html
        for born in BIRTH_DATES:
            assert born.isoformat() not in html and str(born.year) not in html


@pytest.mark.parametrize(
    "url,rows,must_contain",
    [
        ("/safety/dashboard/listing/participants/", 4, ["(not enrolled)", "S2018-11-003"]),
        ("/safety/dashboard/listing/participants/?enrolled=yes", 3, []),
        ("/safety/dashboard/listing/participants/?status=withdrawn", 1, ["S2018-11-003"]),
        ("/safety/dashboard/listing/exposure/?infusions=2", 1, ["S2018-11-001", "254000000"]),
        ("/safety/dashboard/listing/adverse-events/?grade=3", 2, ["Fever", "Pneumonia"]),
        ("/safety/dashboard/listing/adverse-events/?serious=yes", 2, ["Rash"]),
        ("/safety/dashboard/listing/adverse-events/?relationship=possible", 1, ["Rash"]),
        ("/safety/dashboard/listing/adverse-events/?treatment_emergent=yes", 4, []),
        ("/safety/dashboard/listing/saes/?clock=due", 1, ["Rash", "2024-03-01 14:00"]),
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
    # session, user with its roles, study = 3, and the session's save (savepoint, update, release) = 3, with
    # the figures cached (no transaction: the page only reads); 9 more to compute them (participants,
    # exposure, exposure table, AEs, AEs by SOC and PT, SAEs and holds, visit definitions with the PASI
    # means, PASI lines, laboratory shifts).
    client = logged_in(dmc_reviewer)
    with django_assert_max_num_queries(15):
        cold = get(client, "/safety/dashboard/")
    with django_assert_max_num_queries(6):
        assert without_csrf(get(client, "/safety/dashboard/")) == without_csrf(cold)
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
    figures.new_generation()  # the factories write around the services (and nothing commits in this test)
    with django_assert_max_num_queries(15):
        html = get(client, "/safety/dashboard/")
    with django_assert_max_num_queries(6):
        assert without_csrf(get(client, "/safety/dashboard/")) == without_csrf(html)
    assert count(html, "enrolled") == "6"
    assert "Not coded yet" in html  # the trial's AEs are not coded: listed by verbatim term, as such
    for name in ("adverse-events", "saes", "pasi", "exposure", "participants", "holds"):
        with django_assert_max_num_queries(11):
            get(client, reverse("safety:listing", args=[name]))


def figures_now(study) -> dict:
    with time_machine.travel(NOW, tick=False):
        return dashboard.dashboard_data(study, cached=False)


def test_figures_from_the_cache_equal_the_computed_ones(trial, study, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        cold = dashboard.dashboard_data(study)
        with django_assert_num_queries(0):  # the figures come from the cache
            warm = dashboard.dashboard_data(study)
    computed = figures_now(study)
    for data in (cold, warm):
        assert {key: value for key, value in data.items() if key != "generated_at"} == {
            key: value for key, value in computed.items() if key != "generated_at"
        }
    assert warm["enrollment"] == {
        "screened": 4,
        "screen_failed": 1,
        "enrolled": 3,
        "on_treatment": 2,
        "completed": 0,
        "withdrawn": 1,
        "on_hold": 1,
    }
    assert warm["exposure"]["totals"] == {"infusions": 3, "cells": 384_000_000, "participants": 2}
    assert [row["participants"] for row in warm["exposure"]["distribution"]] == [1, 1, 1, 0, 0, 0]
    assert [(row["visit"], row["n"], row["mean"]) for row in warm["pasi"]["mean_by_visit"]] == [
        ("W2", 2, Decimal("17.5")),
        ("W4", 2, Decimal("62.5")),
        ("W6", 0, None),
        ("W8", 0, None),
        ("W12", 0, None),
    ]
    assert warm["pasi"]["chart"]["lines"] == [
        {"label": "S2018-11-001", "data": [None, 20.0, 15.0, 10.0, None, None, None]},
        {"label": "S2018-11-002", "data": [None, 10.0, 9.0, 2.5, None, None, None]},
    ]
    assert warm["holds"]["open"] == 1 and warm["holds"]["released"] == 1
    assert [row["subject"] for row in warm["holds"]["open_rows"]] == ["S2018-11-002"]
    assert [(row["ae_number"], row["term"], row["clock_state"]) for row in warm["saes"]["rows"]] == [
        (2, "Rash", "due"),  # most recent awareness first
        (1, "Pneumonia", "reported_on_time"),
    ]


def test_a_write_changes_the_dashboard_at_once(
    trial, coordinator, investigator, dmc_reviewer, django_capture_on_commit_callbacks
):
    """Each write goes through its service and commits (its on-commit callbacks run): the next
    request shows it, though the figures before it came from the cache."""
    client = logged_in(dmc_reviewer)
    html = get(client, "/safety/dashboard/")
    assert without_csrf(get(client, "/safety/dashboard/")) == without_csrf(html)  # from the cache
    assert (count(html, "ae-events"), count(html, "saes"), count(html, "infusions")) == ("4", "2", "3")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        ae(
            trial["p1"],
            coordinator,
            term="Dyspnoea",
            onset_date=date(2024, 2, 29),
            grade=2,
            relationship="not_related",
            serious=True,
            hospitalization=True,
            awareness_time=datetime(2024, 3, 1, 11, 0, tzinfo=TZ),
        )
    html = get(client, "/safety/dashboard/")
    assert (count(html, "ae-events"), count(html, "saes"), count(html, "sae-due")) == ("5", "3", "2")
    w4 = trial["p1"].visits.get(visit_code="W4")
    nine = datetime(2024, 2, 7, 9, 0, tzinfo=TZ)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        vitals_record(
            visit=w4, user=coordinator, timepoint="pre_infusion", measured_at=nine - timedelta(hours=1),
            weight_kg=Decimal("63.5"),
        )  # fmt: skip
        infusion_record(
            visit=w4,
            user=coordinator,
            administered_cells=125_000_000,
            product_lot="LOT-8",
            viability_percent=Decimal("95.0"),
            thaw_time=nine - timedelta(minutes=20),
            start_time=nine,
            end_time=nine + timedelta(minutes=40),
            volume_ml=Decimal("100.0"),
            whole_volume_given=True,
        )
    html = get(client, "/safety/dashboard/")
    assert (count(html, "infusions"), count(html, "cells")) == ("4", "509,000,000")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        pasi_save(  # 3.0 against the baseline 20.0: 85.0 %
            visit=trial["p1"].visits.get(visit_code="W6"),
            user=coordinator,
            assessment_date=date(2024, 2, 21),
            regions={region: {**PASI_ONES, "area_score": 1} for region in PASI_REGIONS},
        )
    html = get(client, "/safety/dashboard/")
    assert re.search(r"<td>W6</td><td class=\"num\"><a [^>]*>1</a></td><td class=\"num\">85.0</td>", html)
    hold = SafetyHold.objects.get(participant=trial["p2"], released_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        safety_hold_release(**SIGNED, hold=hold, investigator=investigator, reason="DMC review")
    html = get(client, "/safety/dashboard/")
    assert (count(html, "holds-open"), count(html, "holds-released")) == ("0", "2")


def test_sae_clock_moves_with_time_on_cached_figures(trial, dmc_reviewer, django_assert_max_num_queries):
    # Rash: awareness 29 Feb 14:00, due 24 h later; no write in between, so the figures stay cached.
    client = logged_in(dmc_reviewer)
    with time_machine.travel(datetime(2024, 3, 1, 13, 59, 30, tzinfo=TZ), tick=False):
        html = client.get("/safety/dashboard/").content.decode()
    assert (count(html, "sae-due"), count(html, "sae-overdue")) == ("1", "0")
    with time_machine.travel(datetime(2024, 3, 1, 14, 0, 1, tzinfo=TZ), tick=False):
        with django_assert_max_num_queries(6):  # the figures come from the cache
            later = client.get("/safety/dashboard/").content.decode()
    assert (count(later, "sae-due"), count(later, "sae-overdue")) == ("0", "1")


# Baselines and values in tenths around the half-way cases of improvement_percent (.x5 before the
# final rounding: 40.0 -> 39.9 is 0.25 %, 16.0 -> 16.2 is -1.25 %, 32.0 -> 31.8 is 0.625 % ...).
EDGE_BASELINES = (1, 3, 7, 8, 16, 24, 123, 160, 320, 400, 720)


def test_stored_improvements_and_their_sum_are_exact(study, coordinator):
    """Each baseline with seven values (one per visit) around its half-way cases: every stored
    improvement equals improvement_percent after the round trip through the database, and the
    dashboard's sum in tenths (one SUM per group, as in pasi()) is their exact sum."""
    expected_tenths = {}
    with time_machine.travel(AFTER_W12, tick=False):
        for b in EDGE_BASELINES:
            participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
            # W0 on Day 1 is the baseline (b tenths); 71.9 is no PASI any item scores give: 24.0 instead.
            values = [b, b - 1 if b < 720 else b // 3, b + 1, b // 2, 2 * b, 720]
            codes = ("W0", "W2", "W4", "W6", "W8", "W12")
            for code, v in zip(codes, values, strict=True):
                pasi(participant, code, str(Decimal(min(v, 720)).scaleb(-1)), coordinator)
            expected_tenths[participant.pk] = 0
    rows = PasiAssessment.objects.values_list(
        "participant_id", "participant__baseline_pasi", "pasi_total", "improvement_percent", "visit_code"
    )
    assert len(rows) == 6 * len(EDGE_BASELINES)
    for participant_id, baseline, total, stored, code in rows:
        if code == "W0":  # the baseline: no improvement
            assert stored is None
            continue
        assert stored == improvement_percent(baseline, total), (baseline, total)
        expected_tenths[participant_id] += int(stored * 10)
    sums = PasiAssessment.objects.values("participant_id").annotate(t=dashboard._SumTenths("improvement_percent"))
    assert {row["participant_id"]: row["t"] for row in sums} == expected_tenths
    halfway = {(Decimal("40.0"), Decimal("39.9")): Decimal("0.3"), (Decimal("16.0"), Decimal("16.1")): Decimal("-0.6")}
    for (baseline, total), improvement in halfway.items():  # 0.25 % and -0.625 %: the .x5 cases are there
        assert improvement_percent(baseline, total) == improvement
        assert PasiAssessment.objects.filter(participant__baseline_pasi=baseline, pasi_total=total).exists()


@pytest.fixture
def rounding_trial(coordinator):
    """Three participants whose improvements (and means) fall on half-way cases."""
    totals = {
        "40.0": {"W2": "39.9", "W4": "40.1", "W6": "39.8", "W8": "40.1"},  # 0.3, -0.3, 0.5, -0.3
        "16.0": {"W2": "16.2", "W4": "15.8", "W6": "16.0", "W8": "16.0"},  # -1.3, 1.3, 0.0, 0.0
        "12.3": {"W4": "0.0"},  # 100.0
    }
    with time_machine.travel(AFTER_W12, tick=False):
        for baseline, by_visit in totals.items():
            participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
            for code, total in {"W0": baseline, **by_visit}.items():  # W0 on Day 1: the baseline
                pasi(participant, code, total, coordinator)
    return totals


def test_mean_improvement_rounds_half_away_from_zero(rounding_trial, study):
    means = {row["visit"]: (row["n"], row["mean"]) for row in figures_now(study)["pasi"]["mean_by_visit"]}
    assert means == {
        "W2": (2, Decimal("-0.5")),  # (0.3 - 1.3) / 2
        "W4": (3, Decimal("33.7")),  # (-0.3 + 1.3 + 100.0) / 3 = 33.67
        "W6": (2, Decimal("0.3")),  # (0.5 + 0.0) / 2 = 0.25
        "W8": (2, Decimal("-0.2")),  # (-0.3 + 0.0) / 2 = -0.15
        "W12": (0, None),
    }
    rows = PasiAssessment.objects.exclude(visit_code="W0")  # the baseline visit has no improvement
    rows = rows.values_list("participant__baseline_pasi", "pasi_total", "improvement_percent")
    assert len(rows) == 9
    for baseline, total, stored in rows:
        assert stored == improvement_percent(baseline, total)


def test_dashboard_with_no_data(dmc_reviewer, study):
    html = get(logged_in(dmc_reviewer), "/safety/dashboard/")
    assert count(html, "screened") == "0" and "No serious adverse events." in html
