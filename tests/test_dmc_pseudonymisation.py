"""A DMC reviewer sees participants by subject ID only: every page, API answer and export they can
read (the dashboard as of today and as of a cut-off, each listing and its CSV, the SDTM safety
datasets as CSV and XPT) is scanned for the other identifiers (screening numbers, initials, dates of
birth) and for the AE terms in safety-hold reasons."""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.http import StreamingHttpResponse
from rest_framework.test import APIClient

from exports import sdtm
from labs.services import lab_panel_record
from safety.models import SafetyHold
from subjects.models import Participant
from tests import factories
from tests.conftest import logged_in
from tests.test_dmc_dashboard import NOW, TZ, ae, infusion

pytestmark = pytest.mark.django_db

INITIALS = ("QJX", "WVK", "ZRT")
BIRTH_DATES = (date(1971, 3, 14), date(1985, 7, 21), date(1990, 11, 30))
LISTINGS = ("participants", "exposure", "adverse-events", "saes", "signals", "holds", "pasi")
CUTOFF = "2024-02-20"
EXTS = ("csv", "xpt")
LISTING_FILTERS = (
    "",
    "?status=screening",
    "?status=screen_failed",
    "?enrolled=yes",
    "?on_hold=yes",
    "?open=yes",
    "?open=no",
    "?serious=yes",
    "?treatment_emergent=yes",
)


@pytest.fixture
def study_with_holds(coordinator, investigator, study):
    with time_machine.travel(NOW, tick=False):
        dosed = factories.enrolled_participant(
            coordinator, day1=date(2024, 1, 10), initials=INITIALS[0], date_of_birth=BIRTH_DATES[0]
        )
        infusion(dosed, "W0", 1, 127_000_000, coordinator)
        ae(
            dosed,
            investigator,
            term="Hepatitis",
            onset_date=date(2024, 1, 20),
            grade=3,
            relationship="probable",
            serious=True,
            hospitalization=True,
            awareness_time=datetime(2024, 1, 21, 8, 0, tzinfo=TZ),
        )
        enrolled = factories.enrolled_participant(
            coordinator, day1=None, initials=INITIALS[1], date_of_birth=BIRTH_DATES[1]
        )
        screening = factories.participant(coordinator, initials=INITIALS[2], date_of_birth=BIRTH_DATES[2])
        for participant in (enrolled, screening):  # AEs of people never dosed
            ae(participant, coordinator, term="Fracture", onset_date=date(2024, 1, 20), grade=4,
               relationship="not_related", serious=True, hospitalization=True,
               awareness_time=datetime(2024, 1, 21, 8, 0, tzinfo=TZ))  # fmt: skip
        for participant in (dosed, enrolled):  # grade 3 ALT and platelets: in the laboratory shifts
            lab_panel_record(
                participant=participant,
                user=coordinator,
                visit_code="W4",
                collected_at=datetime(2024, 2, 7, 8, tzinfo=TZ),
                results={"ALT": {"value": Decimal("201")}, "PLAT": {"value": Decimal("49")}},
            )
    assert SafetyHold.objects.count() == 1
    return dosed


def body(response) -> str:
    if isinstance(response, StreamingHttpResponse):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")  # XPT files are binary around their text


def dmc_visible_responses(user) -> dict[str, str]:
    """Every page, API answer and export a DMC reviewer can open, by URL."""
    client = logged_in(user)
    api = APIClient()
    api.force_authenticate(user)
    urls = ["/", "/accounts/profile/", "/exports/", "/safety/dashboard/", f"/safety/dashboard/?cutoff={CUTOFF}"]
    urls += [f"/safety/dashboard/listing/{name}/{query}" for name in LISTINGS for query in LISTING_FILTERS]
    urls += [f"/safety/dashboard/listing/{name}/?format=csv" for name in LISTINGS]
    urls += [f"/safety/dashboard/listing/{name}/?cutoff={CUTOFF}&format=csv" for name in LISTINGS]
    hold = SafetyHold.objects.get()
    api_urls = ["/api/v1/safety-holds/", f"/api/v1/safety-holds/{hold.pk}/", "/api/v1/data-dictionary/"]
    api_urls += [f"/api/v1/exports/sdtm/{domain}.{ext}" for domain in sorted(sdtm.SAFETY_DOMAINS) for ext in EXTS]
    seen = {}
    with time_machine.travel(NOW, tick=False):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            seen[url] = body(response)
        for url in api_urls:
            response = api.get(url)
            assert response.status_code == 200, url
            seen[url] = body(response)
    return seen


def test_dmc_sees_subject_ids_only_everywhere(study_with_holds, dmc_reviewer):
    screening_numbers = list(Participant.objects.values_list("screening_number", flat=True))
    seen = dmc_visible_responses(dmc_reviewer)
    for url, text in seen.items():
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
        for number in screening_numbers:
            assert number not in text, (url, number)
        assert "SCR-" not in text, url
        for initials in INITIALS:
            assert not re.search(rf"\b{initials}\b", text), (url, initials)
        for born in BIRTH_DATES:
            assert born.isoformat() not in text, (url, born)
    assert "S2018-11-001" in seen["/safety/dashboard/"]
    for url in ("/api/v1/exports/sdtm/lb.xpt", "/safety/dashboard/listing/adverse-events/?format=csv"):
        assert "S2018-11-0" in seen[url], url  # the scan read real rows


def test_safety_holds_api_is_pseudonymised_for_the_dmc(study_with_holds, dmc_reviewer, investigator):
    api = APIClient()
    api.force_authenticate(dmc_reviewer)
    (hold,) = api.get("/api/v1/safety-holds/").json()["results"]
    assert hold["participant"] is None and hold["subject_id"] == "S2018-11-001"
    assert "Hepatitis" not in hold["reason"] and hold["reason"].startswith("AE 1:")
    assert "grade 3" in hold["reason"] and "probable" in hold["reason"]
    assert api.get("/api/v1/safety-holds/?participant=SCR-001").json()["count"] == 0  # no linkage by probing
    assert api.get("/api/v1/safety-holds/?participant=S2018-11-001").json()["count"] == 1
    api.force_authenticate(investigator)
    (full,) = api.get("/api/v1/safety-holds/").json()["results"]
    assert full["participant"] == "SCR-001" and "Hepatitis" in full["reason"]


def test_dmc_exports_hold_enrolled_participants_only(study_with_holds, dmc_reviewer):
    response = APIClient()
    response.force_authenticate(dmc_reviewer)
    for domain in ("dm", "ds", "ae", "suppae"):
        rows = list(csv.DictReader(io.StringIO(body(response.get(f"/api/v1/exports/sdtm/{domain}.csv")))))
        assert {row["USUBJID"] for row in rows} <= {"S2018-11-01-001", "S2018-11-01-002"}
        assert rows
