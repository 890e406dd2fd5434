"""Registration: gapless screening numbers (also under concurrency), identity checks, the browser form."""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from subjects import services
from subjects.models import Participant
from tests.conftest import logged_in
from tests.subjects_helpers import register

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Flushing after a transactional test on PostgreSQL needs TRUNCATE ... CASCADE (history tables).
ALL_APPS = list(settings.INSTALLED_APPS)
FORM = {
    "initials": "ZLW",
    "sex": "M",
    "date_of_birth": "1975-03-02",
    "consent_date": "2024-01-02",
    "consent_version": "1.0",
}


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2024, 1, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.mark.django_db
def test_screening_numbers_are_sequential(coordinator):
    numbers = [register(coordinator, initials=i).screening_number for i in ("AB", "CD", "EF")]
    assert numbers == ["SCR-001", "SCR-002", "SCR-003"]
    p = Participant.objects.get(screening_number="SCR-002")
    assert (p.screening_seq, p.status, p.subject_id, p.site_id) == (2, "screening", None, "01")
    assert p.history.get().history_change_reason == "Initial entry"
    assert p.history.get().history_user == coordinator


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("initials", "ab", "Initials are 2 to 4 capital letters (A–Z)."),
        ("initials", "A", "Initials are 2 to 4 capital letters (A–Z)."),
        ("initials", "ABCDE", "Initials are 2 to 4 capital letters (A–Z)."),
        ("date_of_birth", date(2024, 1, 9), "Date of birth cannot be in the future."),
        ("date_of_birth", date(1903, 1, 8), "Date of birth gives an age above 120 years."),
        ("consent_date", date(2024, 1, 9), "Consent date cannot be in the future."),
        ("consent_version", " ", "Consent version is required."),
        ("sex", "X", "Sex is M or F."),
    ],
)
def test_bad_identity_refused_nothing_saved(coordinator, field, value, message):
    with pytest.raises(ValidationError) as exc:
        register(coordinator, **{field: value})
    assert exc.value.message_dict[field] == [message]
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_age_exactly_120_and_born_today_accepted(coordinator):
    assert register(coordinator, date_of_birth=date(1904, 1, 8), consent_date=date(2024, 1, 8)).screening_seq == 1
    assert register(coordinator, date_of_birth=date(2024, 1, 8), consent_date=date(2024, 1, 8)).screening_seq == 2


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_concurrent_registrations_get_distinct_gapless_numbers(require_postgres, coordinator):
    threads_count, per_thread = 4, 3
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                register(coordinator, initials="AB")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Participant.objects.values_list("screening_number", flat=True))
    assert numbers == [f"SCR-{n:03d}" for n in range(1, 13)]


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_second_transaction_waits_for_the_first(require_postgres, coordinator):
    """The Study row lock serialises numbering: B blocks until A commits, then takes A's number + 1."""
    from django.db import transaction

    a_has_number = threading.Event()
    results: dict[str, str] = {}

    def second() -> None:
        a_has_number.wait()
        results["b"] = register(coordinator, initials="BB").screening_number
        connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    with transaction.atomic():
        results["a"] = register(coordinator, initials="AA").screening_number
        a_has_number.set()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # blocked on the lock while A's transaction is open
    thread.join()
    assert results == {"a": "SCR-001", "b": "SCR-002"}


# --- Browser form ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_page_ladder(client, personas):
    assert client.get("/participants/register/").status_code == 302
    for name in ("investigator", "coordinator"):
        assert logged_in(personas[name]).get("/participants/register/").status_code == 200
    for name in ("data_manager", "dmc_reviewer", "api_client_user", "administrator", "outsider"):
        response = logged_in(personas[name]).post("/participants/register/", FORM)
        assert response.status_code == 403, name
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_coordinator_registers_in_the_browser(coordinator):
    response = logged_in(coordinator).post("/participants/register/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/participants/SCR-001/screening/"
    p = Participant.objects.get()
    assert (p.initials, p.sex, p.date_of_birth) == ("ZLW", "M", date(1975, 3, 2))


@pytest.mark.django_db
def test_register_form_shows_field_errors_and_saves_nothing(coordinator):
    response = logged_in(coordinator).post(
        "/participants/register/", {**FORM, "initials": "zl", "date_of_birth": "2030-01-01"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<ul class="errorlist" id="initials_errors"><li>Initials are 2 to 4 capital letters (A–Z).</li>' in html
    assert '<ul class="errorlist" id="date_of_birth_errors"><li>Date of birth cannot be in the future.</li>' in html
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_correcting_registration_needs_reason(coordinator):
    register(coordinator)
    client = logged_in(coordinator)
    form = {**FORM, "version": Participant.objects.get().version}
    response = client.post("/participants/SCR-001/edit/", {**form, "initials": "AC"})
    assert "reason_for_change_errors" in response.content.decode()
    assert Participant.objects.get().initials == "AB"
    response = client.post("/participants/SCR-001/edit/", {**form, "initials": "AC", "reason_for_change": "Typo"})
    assert response.status_code == 302
    p = Participant.objects.get()
    assert p.initials == "AC"
    assert p.history.order_by("-history_id").first().history_change_reason == "Typo"
    assert services.next_action(p) == "Record screening"


@pytest.mark.django_db
def test_race_and_ethnicity_are_optional_and_exported_as_cdisc_terms(coordinator, data_manager):
    """Registration form and API: both optional; a value outside the choices is refused naming the field;
    DM has the CDISC term, NOT REPORTED when not collected."""
    import csv
    import io

    from rest_framework.test import APIClient

    client = logged_in(coordinator)
    assert client.post("/participants/register/", FORM).status_code == 302  # SCR-001: not collected
    refused = client.post("/participants/register/", {**FORM, "initials": "AB", "race": "martian"})
    assert refused.status_code == 200 and 'id="race_errors"' in refused.content.decode()
    response = client.post("/participants/register/", {**FORM, "initials": "AB", "race": "asian"})
    assert response.status_code == 302  # SCR-002: race only
    api = APIClient()
    api.force_authenticate(coordinator)
    bad = api.post("/api/v1/participants/", {**FORM, "initials": "CD", "ethnicity": "martian"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"ethnicity"}
    registration = {**FORM, "initials": "CD", "race": "white", "ethnicity": "not_hispanic_or_latino"}
    assert api.post("/api/v1/participants/", registration, format="json").status_code == 201  # SCR-003
    assert Participant.objects.count() == 3
    response = logged_in(data_manager).get("/api/v1/exports/sdtm/dm.csv")
    rows = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert {row["SUBJID"]: (row["RACE"], row["ETHNIC"]) for row in rows} == {
        "SCR-001": ("NOT REPORTED", "NOT REPORTED"),
        "SCR-002": ("ASIAN", "NOT REPORTED"),
        "SCR-003": ("WHITE", "NOT HISPANIC OR LATINO"),
    }
