"""The DMC dashboard's figures in the cache (trialsite.figures): each service that writes data they
read makes them current at its commit; a computation that overlaps a commit is not served after
it; with the cache unreachable the dashboard is computed and writes succeed."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from assessments.services import pasi_save
from dosing.services import infusion_record, vitals_record
from safety import dashboard
from safety.models import SafetyHold
from safety.services import adverse_event_assess, adverse_event_record, sae_mark_reported, safety_hold_release
from subjects import services
from subjects.models import Study
from tests.conftest import PASSWORD, logged_in
from tests.subjects_helpers import SCREENING, SIGNED, register, signed_off
from trialsite import figures

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 6, 1, 10, 0, tzinfo=TZ)
PASI_REGIONS = ("head", "upper_limbs", "trunk", "lower_limbs")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def regions(item: int, area_score: int) -> dict:
    scores = {"erythema": item, "induration": item, "desquamation": item, "area_score": area_score}
    return {region: scores for region in PASI_REGIONS}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def adverse_event(participant, user, **fields):
    base = dict(
        term="Fever",
        onset_date=date(2024, 1, 12),
        end_date=None,
        ongoing=True,
        grade=2,
        serious=False,
        relationship="not_related",
        expected=False,
        action_taken="dose_not_changed",
        outcome="recovering",
    )
    return adverse_event_record(participant=participant, user=user, **{**base, **fields})


def test_each_service_write_shows_on_the_dashboard_at_once(
    coordinator, investigator, administrator, django_capture_on_commit_callbacks
):
    """Each step is one service call that commits (its on-commit callbacks run); whatever else the
    step needs is written before, without committing, so only that service can have made the
    figures current."""

    def figures_after(write):
        with django_capture_on_commit_callbacks(execute=True):
            result = write()
        return dashboard.dashboard_data(Study.current()), result

    assert dashboard.dashboard_data(Study.current())["enrollment"]["screened"] == 0  # now in the cache

    data, _ = figures_after(lambda: register(coordinator))
    assert data["enrollment"]["screened"] == 1

    failing = register(coordinator, initials="XY")
    services.screening_save(participant=failing, user=coordinator, **{**SCREENING, "active_infection": True})
    data, _ = figures_after(
        lambda: services.screening_set_pasi(participant=failing, pasi_total=Decimal("12.4"), user=coordinator)
    )
    assert (data["enrollment"]["screened"], data["enrollment"]["screen_failed"]) == (2, 1)

    candidate = signed_off(coordinator, investigator, PASSWORD)
    data, p = figures_after(lambda: services.participant_enroll(participant=candidate, user=coordinator))
    assert data["enrollment"]["enrolled"] == 1

    w0 = p.visits.get(visit_code="W0")
    day1 = date(2024, 1, 10)
    vitals_record(
        visit=w0, user=coordinator, timepoint="pre_infusion", measured_at=at(day1, 8), weight_kg=Decimal("63.5")
    )
    data, _ = figures_after(
        lambda: infusion_record(
            visit=w0,
            user=coordinator,
            administered_cells=127_000_000,
            product_lot="UC-1",
            viability_percent=Decimal("90.0"),
            thaw_time=at(day1, 8, 30),
            start_time=at(day1, 9),
            end_time=at(day1, 10),
            volume_ml=Decimal("100.0"),
            whole_volume_given=True,
        )
    )
    assert data["exposure"]["totals"] == {"infusions": 1, "cells": 127_000_000, "participants": 1}

    # (2 + 2 + 2) x 4 x (0.1 + 0.2 + 0.3 + 0.4) = 24.0 at W0, the baseline; (1 + 1 + 1) x 2 = 6.0 at W2: 75.0 %
    pasi_save(visit=w0, user=coordinator, assessment_date=day1, regions=regions(2, 4))
    w2 = p.visits.get(visit_code="W2")
    data, _ = figures_after(
        lambda: pasi_save(visit=w2, user=coordinator, assessment_date=date(2024, 1, 24), regions=regions(1, 2))
    )
    assert data["pasi"]["mean_by_visit"][0] == {"visit": "W2", "n": 1, "mean": Decimal("75.0")}

    data, fever = figures_after(lambda: adverse_event(p, coordinator, grade=3, relationship="probable"))
    assert (data["incidence"]["events"], data["incidence"]["signal_participants"], data["holds"]["open"]) == (1, 1, 1)

    data, _ = figures_after(
        lambda: adverse_event_assess(
            **SIGNED,
            adverse_event=fever,
            investigator=investigator,
            relationship="unlikely",
            expected=False,
            reason="Review",
        )
    )
    assert (data["incidence"]["related_events"], data["incidence"]["signal_participants"]) == (0, 0)

    hold = SafetyHold.objects.get(participant=p)
    data, _ = figures_after(
        lambda: safety_hold_release(**SIGNED, hold=hold, investigator=investigator, reason="DMC review")
    )
    assert (data["holds"]["open"], data["holds"]["released"]) == (0, 1)

    awareness = NOW - timedelta(hours=2)
    sae = adverse_event(p, coordinator, term="Syncope", serious=True, hospitalization=True, awareness_time=awareness)
    data, _ = figures_after(
        lambda: sae_mark_reported(adverse_event=sae, user=coordinator, reported_at=NOW - timedelta(hours=1))
    )
    assert [(row["term"], row["clock_state"]) for row in data["saes"]["rows"]] == [("Syncope", "reported_on_time")]

    adverse_event(p, coordinator, term="Rash", relationship="possible")  # related, grade 2: a signal from 2 on
    data, _ = figures_after(
        lambda: services.study_update(user=administrator, reason="DMC charter amended", hold_min_grade=2)
    )
    assert data["incidence"]["signal_participants"] == 1

    data, _ = figures_after(
        lambda: services.visit_record(
            visit=p.visits.get(visit_code="W12"), user=coordinator, actual_date=date(2024, 4, 3)
        )
    )
    assert data["enrollment"]["completed"] == 1

    leaving = services.participant_enroll(participant=signed_off(coordinator, investigator, PASSWORD), user=coordinator)
    data, _ = figures_after(
        lambda: services.participant_withdraw(
            participant=leaving, user=coordinator, withdrawal_date=NOW.date(), withdrawal_reason="Moved"
        )
    )
    assert data["enrollment"]["withdrawn"] == 1


def test_figures_are_kept_until_a_commit_and_never_from_before_one(django_assert_num_queries):
    runs = []

    def compute():
        runs.append(len(runs))
        return {"run": len(runs)}

    assert figures.cached("test", compute, timeout=60) == {"run": 1}
    assert figures.cached("test", compute, timeout=60) == {"run": 1}
    figures.new_generation()  # a service's write committed
    assert figures.cached("test", compute, timeout=60) == {"run": 2}

    def overlapping_a_commit():
        result = compute()  # read the data as it was before the commit ...
        figures.new_generation()  # ... which then happens while the figures are being computed
        return result

    figures.new_generation()  # another commit
    assert figures.cached("test", overlapping_a_commit, timeout=60) == {"run": 3}
    assert figures.cached("test", compute, timeout=60) == {"run": 4}  # not the figures from before it


def test_with_the_cache_unreachable_the_dashboard_is_computed_and_writes_succeed(
    settings, caplog, coordinator, dmc_reviewer, django_capture_on_commit_callbacks
):
    settings.CACHES = {  # a real Redis client, with nothing listening on port 1
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with django_capture_on_commit_callbacks(execute=True):
        participant = register(coordinator)  # commits; marking the figures stale fails and is logged
    assert participant.pk is not None
    response = logged_in(dmc_reviewer).get("/safety/dashboard/")
    assert response.status_code == 200
    assert re.search(r'data-count="screened"[^>]*>(?:<span class="n">)?1<', response.content.decode())
    assert "cache unavailable: dmc-dashboard computed afresh" in caplog.text
