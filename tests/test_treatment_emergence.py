"""An AE's relation to dosing: treatment-emergent is derived from its onset and Day 1 wherever it is
shown (API, AE page, DMC dashboard, SDTM AETRTEM), so it follows Day 1 when Day 1 moves; before the
first infusion an AE cannot be related to UCMSCs, and only dosed participants get holds and alerts."""

import csv
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from safety import dashboard, rules
from safety.models import AdverseEvent, SafetyHold
from safety.services import adverse_event_assess, adverse_event_record, dmc_alert
from subjects.models import ParticipantStatus, Study
from subjects.services import visits_reanchor
from tests import factories
from tests.conftest import logged_in
from tests.subjects_helpers import SIGNED

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=TZ)

pytestmark = pytest.mark.django_db


def fields(**overrides) -> dict:
    base = dict(
        term="Headache",
        onset_date=date(2024, 1, 12),
        end_date=None,
        ongoing=True,
        grade=1,
        serious=False,
        relationship="not_related",
        expected=True,
        action_taken="not_applicable",
        outcome="recovering",
    )
    base.update(overrides)
    return base


def treatment_emergent_everywhere(adverse_event, data_manager) -> dict:
    """The flag as the API, the AE page, the dashboard's count and SDTM AETRTEM show it."""
    client = logged_in(data_manager)
    api = APIClient()
    api.force_authenticate(data_manager)
    with time_machine.travel(NOW, tick=False):
        from_api = api.get(f"/api/v1/adverse-events/{adverse_event.pk}/").json()["treatment_emergent"]
        page = client.get(f"/safety/adverse-events/{adverse_event.pk}/").content.decode()
        figures = dashboard.dashboard_data(Study.current())
        listing = client.get("/safety/dashboard/listing/adverse-events/?treatment_emergent=yes").content.decode()
        response = client.get("/api/v1/exports/sdtm/suppae.csv")  # AETRTEM is a supplemental qualifier
    on_page = re.search(r"<dt>Treatment-emergent</dt><dd>(\w+)</dd>", page).group(1)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    return {
        "api": from_api,
        "page": on_page == "Yes",
        "dashboard": figures["incidence"]["te_events"] == 1,
        "listing": bool(re.search(r'id="listing-count">1<', listing)),
        "sdtm": {row["QNAM"]: row["QVAL"] for row in rows}["AETRTEM"] == "Y",
    }


def test_treatment_emergent_follows_day1_when_it_moves(
    coordinator, data_manager, study, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        participant = factories.enrolled_participant(coordinator, day1=None)
        dashboard_infusion(participant, coordinator)  # dosed: in the dashboard's safety population
        adverse_event = adverse_event_record(participant=participant, user=coordinator, **fields())
    # Day 1 still unknown when the AE was entered: not treatment-emergent, everywhere.
    assert set(treatment_emergent_everywhere(adverse_event, data_manager).values()) == {False}
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        visits_reanchor(participant=participant, day1=date(2024, 1, 10), user=coordinator, reason="W0 infusion")
    assert set(treatment_emergent_everywhere(adverse_event, data_manager).values()) == {True}
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        visits_reanchor(participant=participant, day1=date(2024, 1, 13), user=coordinator, reason="Date corrected")
    assert set(treatment_emergent_everywhere(adverse_event, data_manager).values()) == {False}
    assert not hasattr(AdverseEvent(), "treatment_emergent")  # derived, never a stored copy


def dashboard_infusion(participant, user):
    from tests.test_dmc_dashboard import infusion

    return infusion(participant, "W0", 1, 127_000_000, user)


@pytest.mark.parametrize("relationship", ["unlikely", "possible", "probable", "definite"])
def test_before_the_first_infusion_an_ae_is_not_related(coordinator, study, relationship):
    with time_machine.travel(NOW, tick=False):
        screening = factories.participant(coordinator, status=ParticipantStatus.SCREENING)
        with pytest.raises(ValidationError) as refused:
            adverse_event_record(participant=screening, user=coordinator, **fields(relationship=relationship, grade=3))
    assert "before the first infusion" in refused.value.message_dict["relationship"][0]
    assert not AdverseEvent.objects.exists() and not SafetyHold.objects.exists()


def test_an_ae_that_started_before_day1_is_not_related(coordinator, investigator, study):
    with time_machine.travel(NOW, tick=False):
        participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
        before = adverse_event_record(participant=participant, user=coordinator, **fields(onset_date=date(2024, 1, 9)))
        with pytest.raises(ValidationError) as refused:
            adverse_event_assess(
                **SIGNED,
                adverse_event=before,
                investigator=investigator,
                relationship="probable",
                expected=False,
                reason="x",
            )
        assert "relationship" in refused.value.message_dict
        on_day1 = adverse_event_record(
            participant=participant,
            user=investigator,
            **fields(onset_date=date(2024, 1, 10), relationship="probable", grade=3),
        )
    assert on_day1.is_related and SafetyHold.objects.filter(adverse_event=on_day1).exists()


def test_the_browser_form_shows_the_refusal(coordinator, study):
    with time_machine.travel(NOW, tick=False):
        screening = factories.participant(coordinator)
        data = {**fields(relationship="probable"), "expected": "True", "onset_date": "2024-01-12"}
        data = {k: ("" if v is None else v) for k, v in data.items()}
        data["ongoing"] = "on"
        response = logged_in(coordinator).post(f"/safety/participants/{screening.pk}/adverse-events/new/", data)
    assert response.status_code == 200
    assert "before the first infusion" in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_legacy_related_ae_of_an_undosed_participant_gives_no_alert(coordinator, study):
    """Events recorded before the rule existed: holds and the DMC alert count dosed participants only."""
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):
            screening = factories.participant(coordinator)
            _legacy_event(screening, coordinator)
    assert dmc_alert(study).participants == 0
    assert (
        rules.triggers_safety_hold(
            grade=4, serious=False, relationship="probable", hold_min_grade=3, treatment_emergent=False
        )
        is False
    )


def _legacy_event(participant, user):
    from trialsite.audit import audited_save

    return audited_save(
        AdverseEvent(participant=participant, ae_number=1, **fields(relationship="probable", grade=4)),
        user=user,
        validate=False,
    )
