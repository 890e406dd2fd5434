"""The monitor (clinical research associate): sees all clinical data, raises and closes queries,
verifies source data; never enters or changes clinical data, never locks."""

from datetime import date

import pytest
from django.core.management import call_command

from trialsite.roles import CAPABILITIES, Cap, Role

from .conftest import logged_in
from .factories import enrolled_participant, pasi_assessment

pytestmark = pytest.mark.django_db


def test_monitor_capabilities():
    assert Role.MONITOR in CAPABILITIES[Cap.VIEW_CLINICAL]
    assert Role.MONITOR in CAPABILITIES[Cap.RAISE_QUERY] and Role.MONITOR in CAPABILITIES[Cap.VERIFY_SOURCE]
    for cap in (Cap.ENTER_DATA, Cap.SIGN_OFF, Cap.ANSWER_QUERY, Cap.LOCK_DATA, Cap.CONFIGURE_STUDY):
        assert Role.MONITOR not in CAPABILITIES[cap]
    assert CAPABILITIES[Cap.LOCK_DATA] == {Role.DATA_MANAGER}


def test_monitor_reads_clinical_pages_but_cannot_enter_data(monitor, coordinator, study):
    participant = enrolled_participant(coordinator, day1=date(2024, 1, 10))
    pasi_assessment(participant, "W0", "12.0", coordinator)
    sn = participant.screening_number
    client = logged_in(monitor)
    assert client.get("/participants/").status_code == 200
    assert client.get(f"/participants/{sn}/").status_code == 200
    page = client.get(f"/assessments/{sn}/W0/pasi/")
    assert page.status_code == 200 and 'id="pasi-form"' not in page.content.decode()
    assert client.post(f"/assessments/{sn}/W0/pasi/", {}).status_code == 403
    assert client.get(f"/participants/{sn}/edit/").status_code == 403
    assert client.get("/participants/register/").status_code == 403
    assert client.get(f"/api/v1/participants/{sn}/").status_code == 200
    assert client.patch(f"/api/v1/participants/{sn}/", {}, content_type="application/json").status_code == 403


def test_demo_account_monitor(db, settings):
    settings.DEBUG = settings.TRIALSITE_DEMO = True
    call_command("setup_demo")
    from django.contrib.auth.models import User

    assert User.objects.get(username="monitor").groups.get().name == "monitor"
