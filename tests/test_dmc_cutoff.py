"""DMC dashboard as of a data cut-off: hand-computed figures, validation, CSV names, cache, queries.

Two participants, consent on 2 January and 10 February 2024; the cut-off is 24 January 2024.
- A: Day 1 10 January, infusions on 10 and 24 January (the cut-off day: counts), withdrawn on
  26 February (after the cut-off: on study then); AEs with onset on 24 January (counts) and
  25 January (does not); PASI 20.0 (W0, 10 Jan), 15.0 (W2, 24 Jan: 25 % better), 10.0 (W4, 7 Feb).
- B: consent 10 February, Day 1 20 February: neither screened nor enrolled at the cut-off.
"""

import csv
import io
import re
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client

from safety.cutoff import Cutoff
from safety.dashboard import dashboard_data
from subjects.models import ParticipantStatus
from tests import factories
from tests.conftest import logged_in
from tests.test_dmc_dashboard import TZ, ae, count, infusion, without_csrf
from trialsite import figures
from trialsite.audit import audited_save

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=TZ)
CUTOFF = "2024-01-24"

pytestmark = pytest.mark.django_db


@pytest.fixture
def cutoff_trial(coordinator, study):
    with time_machine.travel(NOW, tick=False):
        a = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="QJX")
        b = factories.enrolled_participant(
            coordinator,
            consent_date=date(2024, 2, 10),
            screening_date=date(2024, 2, 12),
            planned_day1=date(2024, 2, 20),
            day1=date(2024, 2, 20),
            initials="WVK",
        )
        infusion(a, "W0", 1, 127_000_000, coordinator)
        infusion(a, "W2", 2, 127_000_000, coordinator)  # 24 January, 09:00 site time
        infusion(b, "W0", 1, 130_000_000, coordinator)
        for code, total in (("W0", "20.0"), ("W2", "15.0"), ("W4", "10.0")):
            factories.pasi_assessment(a, code, total, coordinator)
        factories.pasi_assessment(b, "W0", "12.0", coordinator)
        ae(a, coordinator, term="Cough", onset_date=date(2024, 1, 24), grade=2, relationship="unlikely")
        ae(a, coordinator, term="Fever", onset_date=date(2024, 1, 25), grade=3, relationship="not_related")
        a.status = ParticipantStatus.WITHDRAWN
        a.withdrawal_date = date(2024, 2, 26)
        a.withdrawal_reason = "Moved away"
        audited_save(a, user=coordinator, reason="Withdrawn")
    figures.new_generation()  # the factories write around the services
    return {"a": a, "b": b}


def get(client, url, status=200):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == status
    return response


def html_of(client, url, status=200) -> str:
    return get(client, url, status).content.decode()


def test_figures_as_of_the_cutoff(cutoff_trial, dmc_reviewer):
    html = html_of(logged_in(dmc_reviewer), f"/safety/dashboard/?cutoff={CUTOFF}")
    expected = {
        "screened": "1",  # B consented after the cut-off
        "enrolled": "1",
        "withdrawn": "0",  # A withdrew after the cut-off: on study then
        "infusions": "2",  # the infusion on the cut-off day counts
        "cells": "254,000,000",
        "safety-population": "1",
        "ae-events": "1",  # onset on the cut-off day counts, the day after does not
        "incidence-grade-2": "1",
        "incidence-grade-3": "0",
    }
    assert {name: count(html, name) for name in expected} == expected
    assert "Cough" in html and "Fever" not in html
    # PASI means only from assessments up to the cut-off: W2 (24 Jan) 25.0 from A; W4 (7 Feb) none
    assert re.search(r"<td>W2</td><td class=\"num\"><a [^>]*>1</a></td><td class=\"num\">25.0</td>", html)
    assert re.search(r"<td>W4</td><td class=\"num\"><a [^>]*>0</a></td><td class=\"num\">—</td>", html)
    assert "data cut-off 2024-01-24" in html  # in the heading, printed with the page
    assert "events up to the cut-off, as recorded now" in html
    assert "?cutoff=2024-01-24&amp;format=csv" in html  # the CSV links carry the cut-off


def test_the_day_after_the_cutoff(cutoff_trial, dmc_reviewer):
    html = html_of(logged_in(dmc_reviewer), "/safety/dashboard/?cutoff=2024-01-25")
    assert count(html, "ae-events") == "2" and count(html, "incidence-grade-3") == "1"


def test_without_cutoff_the_figures_are_todays(cutoff_trial, dmc_reviewer):
    client = logged_in(dmc_reviewer)
    html = html_of(client, "/safety/dashboard/")
    expected = {"screened": "2", "enrolled": "2", "withdrawn": "1", "infusions": "3", "ae-events": "2"}
    assert {name: count(html, name) for name in expected} == expected
    assert "Figures as of today" in html and "data cut-off 2024" not in html
    assert 'href="/safety/dashboard/listing/pasi/?format=csv"' in html
    # the figures cache keys on the cut-off: today's cached figures are not served for a cut-off
    assert count(html_of(client, f"/safety/dashboard/?cutoff={CUTOFF}"), "screened") == "1"
    assert count(html_of(client, "/safety/dashboard/"), "screened") == "2"


def test_status_counts_at_the_cutoff(cutoff_trial, dmc_reviewer):
    client = logged_in(dmc_reviewer)
    after = html_of(client, "/safety/dashboard/?cutoff=2024-02-26")  # the withdrawal day
    assert count(after, "withdrawn") == "1" and count(after, "enrolled") == "2"
    before = html_of(client, "/safety/dashboard/?cutoff=2024-02-19")  # B consented, Day 1 still ahead
    assert count(before, "screened") == "2" and count(before, "enrolled") == "1"


def test_figures_cache_keys_on_the_cutoff(cutoff_trial, study):
    with time_machine.travel(NOW, tick=False):
        today = dashboard_data(study)
        then = dashboard_data(study, cutoff=Cutoff.of(date(2024, 1, 24), study))
        again = dashboard_data(study, cutoff=Cutoff.of(date(2024, 1, 24), study))
    assert today["enrollment"]["screened"] == 2 and then["enrollment"]["screened"] == 1
    assert again["enrollment"] == then["enrollment"] and then["cutoff"].day == date(2024, 1, 24)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-03-02", "cannot be in the future"),
        ("2024-01-01", "cannot be before the study&#x27;s first consent (2024-01-02)"),
        ("24/01/2024", "Enter a valid date"),
        ("2024-02-30", "Enter a valid date"),
        ("%00", "Enter a valid date"),
    ],
)
def test_a_bad_cutoff_shows_an_error_never_a_500(cutoff_trial, dmc_reviewer, value, message):
    html = html_of(logged_in(dmc_reviewer), f"/safety/dashboard/?cutoff={value}", status=400)
    assert 'id="dmc-cutoff-error"' in html and message in html
    assert count(html, "screened") == "2"  # the page, as of today, said so beside the error
    assert "The figures below are as of today." in html


def test_a_bad_cutoff_on_a_listing_lists_nothing(cutoff_trial, dmc_reviewer):
    response = get(logged_in(dmc_reviewer), "/safety/dashboard/listing/participants/?cutoff=2099-01-01", 400)
    assert response.content.decode().count("S2018-11-") == 0


def test_today_is_a_valid_cutoff(cutoff_trial, dmc_reviewer):
    html = html_of(logged_in(dmc_reviewer), "/safety/dashboard/?cutoff=2024-03-01")
    assert count(html, "screened") == "2" and "data cut-off 2024-03-01" in html


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_as_of_the_cutoff(cutoff_trial, dmc_reviewer):
    client = logged_in(dmc_reviewer)
    response = get(client, f"/safety/dashboard/listing/adverse-events/?cutoff={CUTOFF}&format=csv")
    assert 'filename="dmc-adverse-events-cutoff-2024-01-24.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    assert [row[2] for row in rows[1:]] == ["Cough"]
    participants = rows_of(get(client, f"/safety/dashboard/listing/participants/?cutoff={CUTOFF}&format=csv"))
    assert len(participants) == 2 and participants[1][1] == "enrolled"  # A's status then, not withdrawn
    exposure = rows_of(get(client, f"/safety/dashboard/listing/exposure/?cutoff={CUTOFF}&format=csv"))
    assert [row[2:] for row in exposure[1:]] == [["2", "254000000"]]
    pasi = rows_of(get(client, f"/safety/dashboard/listing/pasi/?cutoff={CUTOFF}&format=csv"))
    assert sorted(row[1] for row in pasi[1:]) == ["W0", "W2"]
    today = get(client, "/safety/dashboard/listing/adverse-events/?format=csv")
    assert "cutoff" not in today["Content-Disposition"] and len(rows_of(today)) == 3


def test_listing_pages_show_the_cutoff(cutoff_trial, dmc_reviewer):
    html = html_of(logged_in(dmc_reviewer), f"/safety/dashboard/listing/participants/?cutoff={CUTOFF}&enrolled=yes")
    assert 'id="listing-cutoff"' in html and "data cut-off 2024-01-24" in html
    assert re.search(r'id="listing-count">1<', html)
    assert re.search(r'id="listing-csv" href="\?cutoff=2024-01-24&amp;enrolled=yes&amp;format=csv"', html)


def test_ladder(cutoff_trial, coordinator, investigator, dmc_reviewer):
    url = f"/safety/dashboard/?cutoff={CUTOFF}"
    assert Client().get(url).status_code == 302
    assert logged_in(coordinator).get(url).status_code == 403
    for user in (investigator, dmc_reviewer):
        assert get(logged_in(user), url).status_code == 200


def test_queries_do_not_grow_with_participants_or_cutoff(
    cutoff_trial, coordinator, dmc_reviewer, django_assert_max_num_queries
):
    # as test_dmc_dashboard's pin (15 cold, 6 cached): the check of the cut-off against the first
    # consent reads the participant figures
    client = logged_in(dmc_reviewer)
    for cutoff in (CUTOFF, "2024-02-26"):
        with django_assert_max_num_queries(15):
            cold = html_of(client, f"/safety/dashboard/?cutoff={cutoff}")
        with django_assert_max_num_queries(6):
            assert without_csrf(html_of(client, f"/safety/dashboard/?cutoff={cutoff}")) == without_csrf(cold)
    with time_machine.travel(NOW, tick=False):
        for initials in ("AA", "BB", "CC"):
            extra = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials=initials)
            infusion(extra, "W0", 1, 127_000_000, coordinator)
            ae(extra, coordinator, term="Fatigue", onset_date=date(2024, 1, 20), grade=1, relationship="unlikely")
    figures.new_generation()
    with django_assert_max_num_queries(15):
        html = html_of(client, f"/safety/dashboard/?cutoff={CUTOFF}")
    assert count(html, "enrolled") == "4" and count(html, "ae-events") == "4"
    for name in ("adverse-events", "saes", "pasi", "exposure", "participants", "holds", "signals"):
        with django_assert_max_num_queries(12):
            get(client, f"/safety/dashboard/listing/{name}/?cutoff={CUTOFF}")


def test_sae_clock_and_holds_as_of_the_cutoff(cutoff_trial, coordinator, dmc_reviewer):
    with time_machine.travel(NOW, tick=False):  # recorded now: the related SAE puts B on hold now
        ae(
            cutoff_trial["b"],
            coordinator,
            term="Pneumonia",
            onset_date=date(2024, 2, 20),
            grade=3,
            relationship="possible",
            serious=True,
            hospitalization=True,
            awareness_time=datetime(2024, 2, 20, 9, 0, tzinfo=TZ),
            reported_to_sponsor_at=datetime(2024, 2, 21, 9, 0, tzinfo=TZ),
        )
    client = logged_in(dmc_reviewer)
    # at the end of 20 February the report (21 February) was not made yet and not due yet (24 h)
    then = html_of(client, "/safety/dashboard/?cutoff=2024-02-20")
    assert (count(then, "saes"), count(then, "sae-due"), count(then, "sae-reported_on_time")) == ("1", "1", "0")
    assert count(then, "holds-open") == "0"  # the hold was placed on 1 March
    today = html_of(client, "/safety/dashboard/")
    assert (count(today, "sae-due"), count(today, "sae-reported_on_time"), count(today, "holds-open")) == (
        "0",
        "1",
        "1",
    )
    assert count(html_of(client, "/safety/dashboard/?cutoff=2024-03-01"), "holds-open") == "1"
    listing = get(client, "/safety/dashboard/listing/holds/?cutoff=2024-02-29&format=csv")
    assert len(rows_of(listing)) == 1  # the header only
