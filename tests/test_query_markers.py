"""Query markers beside the fields of every record type's page and form, the thread under it, and
the read-only way for data managers and monitors to raise a query on a visit."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from datamanagement import services
from datamanagement.models import Query, QueryState
from labs.services import lab_panel_record
from medications.services import cm_record, mh_record
from safety.services import adverse_event_record
from trialsite.records import record_type_of

from .conftest import logged_in
from .factories import enrolled_participant
from .test_edit_checks import infuse, vitals

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
TZ = ZoneInfo("Asia/Shanghai")
W0 = date(2024, 1, 10)


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def participant(coordinator, study):
    return enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=W0)


def _participant(p, user):
    sn = p.screening_number
    return p, "initials", [f"/participants/{sn}/", reverse("subjects:edit", args=[sn])]


def _screening(p, user):
    sn = p.screening_number
    return p.screening, "weight_kg", [f"/participants/{sn}/", reverse("subjects:screening", args=[sn])]


def _visit(p, user):
    sn, visit = p.screening_number, p.visits.get(visit_code="W2")
    return visit, "actual_date", [f"/participants/{sn}/", reverse("subjects:visit", args=[sn, "W2"])]


def _vital_signs(p, user):
    record = vitals(p, user, "W2", date(2024, 1, 24), weight_kg=Decimal("64.0"))
    sn = p.screening_number
    return (
        record,
        "weight_kg",
        [reverse("dosing:vitals", args=[sn, "W2"]), reverse("dosing:vitals_edit", args=[sn, "W2", record.pk])],
    )


def _infusion(p, user):
    record = infuse(p, user)
    return record, "product_lot", [reverse("dosing:infusion", args=[p.screening_number, "W0"])]


def _adverse_event(p, user):
    record = adverse_event_record(
        participant=p,
        user=user,
        term="Headache",
        onset_date=date(2024, 1, 12),
        end_date=date(2024, 1, 13),
        ongoing=False,
        grade=1,
        serious=False,
        relationship="not_related",
        expected=True,
        action_taken="dose_not_changed",
        outcome="recovered",
    )
    return (
        record,
        "onset_date",
        [reverse("safety:ae_detail", args=[record.pk]), reverse("safety:ae_edit", args=[record.pk])],
    )


def _lab_result(p, user):
    panel = lab_panel_record(
        participant=p,
        user=user,
        visit_code="W4",
        collected_at=datetime(2024, 2, 7, 8, tzinfo=TZ),
        results={"ALT": {"value": Decimal("30")}},
    )
    record = panel.results.get()
    return record, "value", [reverse("labs:result_edit", args=[record.pk])]


def _concomitant_medication(p, user):
    record = cm_record(
        participant=p,
        user=user,
        medication="Paracetamol",
        medication_class="other",
        indication="Headache",
        dose=Decimal("500"),
        dose_unit="mg",
        frequency="PRN",
        route="ORAL",
        start_date="2024-01-05",
        end_date="2024-01-09",
        ongoing=False,
    )
    return record, "dose", [reverse("medications:cm_edit", args=[record.pk])]


def _medical_history(p, user):
    record = mh_record(
        participant=p, user=user, category="other_condition", term="Hypertension", start_date="2019", ongoing=True
    )
    return record, "term", [reverse("medications:mh_edit", args=[record.pk])]


RECORDS = [
    _participant,
    _screening,
    _visit,
    _vital_signs,
    _infusion,
    _adverse_event,
    _lab_result,
    _concomitant_medication,
    _medical_history,
]


@pytest.mark.parametrize("build", RECORDS, ids=[b.__name__.strip("_") for b in RECORDS])
def test_marker_beside_the_field_and_thread_under_it(build, participant, coordinator, data_manager):
    record, field, urls = build(participant, coordinator)
    rt = record_type_of(record).name
    client = logged_in(coordinator)
    for url in urls:
        assert 'data-query-marker="' + field + '"' not in client.get(url).content.decode()
    query = services.query_raise(
        user=data_manager, record_type=rt, record_id=record.pk, field=field, text="Please check against source."
    )
    for url in urls:
        html = client.get(url).content.decode()
        assert f'data-query-marker="{field}"' in html and "Query open" in html, url
        assert f"/data/queries/{query.pk}/" in html, url  # the marker links to the thread
    services.query_transition(query=query, user=coordinator, action="answer", text="Checked, correct.")
    for url in urls:
        html = client.get(url).content.decode()
        assert f'data-query-marker="{field}"' in html and "Query answered" in html, url
    services.query_transition(query=query, user=data_manager, action="close", text="Accepted.")
    for url in urls:
        assert f'data-query-marker="{field}"' not in client.get(url).content.decode(), url


def test_record_forms_show_the_thread_under_them(participant, coordinator, data_manager):
    record, field, urls = _vital_signs(participant, coordinator)
    services.query_raise(
        user=data_manager, record_type="vital_signs", record_id=record.pk, field=field, text="Scale calibrated?"
    )
    html = logged_in(coordinator).get(urls[1]).content.decode()
    assert 'id="data-management"' in html and "Scale calibrated?" in html


def test_data_managers_and_monitors_raise_a_visit_query_from_the_participant_page(
    participant, coordinator, investigator, data_manager, monitor, client, dmc_reviewer
):
    w2 = participant.visits.get(visit_code="W2")
    page = f"/participants/{participant.screening_number}/"
    new = reverse("datamanagement:query_new", args=["visit", w2.pk])
    assert client.get(page).status_code == 302  # anonymous: to the login
    assert client.get(new).status_code == 302
    for user in (coordinator, investigator):  # they record the visit instead; no raise link
        html = logged_in(user).get(page).content.decode()
        assert 'data-raise-query="W2"' not in html
        assert logged_in(user).get(new).status_code == 403
    assert logged_in(dmc_reviewer).get(new).status_code == 403
    for user, text in ((data_manager, "W2 date missing?"), (monitor, "Source says 24 Jan.")):
        html = logged_in(user).get(page).content.decode()
        assert f'data-raise-query="W2" href="{new}"' in html or f'href="{new}" data-raise-query="W2"' in html
        assert reverse("subjects:visit", args=[participant.screening_number, "W2"]) not in html  # read-only
        assert logged_in(user).get(new).status_code == 200
        response = logged_in(user).post(new, {"field": "actual_date", "text": text})
        assert response.status_code == 302
    queries = Query.objects.filter(record_type="visit", record_id=w2.pk, field="actual_date")
    assert sorted(queries.values_list("raised_by__username", flat=True)) == sorted(
        [data_manager.username, monitor.username]
    )
    assert set(queries.values_list("state", flat=True)) == {QueryState.OPEN}
    html = logged_in(coordinator).get(page).content.decode()
    assert 'data-query-marker="actual_date"' in html
