"""Medical history records: the screening's washout exclusions derived from prior therapies (PROTOCOL
§10, Day 1 − 84 for a biologic), the investigator's override with a reason, pages, API and roles."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from medications.models import WashoutOverride
from medications.services import mh_record, washout_override_set
from subjects.models import Screening
from tests import factories
from tests.conftest import logged_in, make_user
from tests.html_forms import form_values
from trialsite.roles import Role

TZ = ZoneInfo("Asia/Shanghai")
PLANNED_DAY1 = date(2024, 1, 10)
URL = "/api/v1/medical-history/"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 1, 8, 12, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def participant(coordinator):
    return factories.enrolled_participant(coordinator, planned_day1=PLANNED_DAY1)


def biologic(participant, user, last_dose: str, **overrides):
    values = dict(
        category="prior_psoriasis_therapy",
        term="Adalimumab",
        therapy_type="biologic",
        start_date="2022",
        end_date=last_dose,
        ongoing=False,
    )
    values.update(overrides)
    return mh_record(participant=participant, user=user, **values)


def screening(participant) -> Screening:
    return Screening.objects.get(participant=participant)


@pytest.mark.parametrize(("last_dose", "excluded"), [("2023-10-18", False), ("2023-10-19", True)])
def test_biologic_washout_at_day1_minus_84(participant, coordinator, last_dose, excluded):
    # 2024-01-10 − 84 days = 2023-10-18: acceptable; one day later is not washed out.
    biologic(participant, coordinator, last_dose)
    assert screening(participant).recent_systemic_therapy is excluded


def test_prior_stem_cell_therapy_and_override_with_reason(participant, coordinator, investigator):
    mh_record(
        participant=participant,
        user=coordinator,
        category="prior_psoriasis_therapy",
        term="MSC infusion (other trial)",
        therapy_type="stem_cell",
        start_date="2019",
        end_date="2019",
        ongoing=False,
    )
    assert screening(participant).prior_stem_cell_therapy is True
    with pytest.raises(ValidationError):
        washout_override_set(
            participant=participant, user=investigator, item="prior_stem_cell_therapy", value=False, reason=""
        )
    washout_override_set(
        participant=participant,
        user=investigator,
        item="prior_stem_cell_therapy",
        value=False,
        reason="Source shows autologous fat graft, not stem-cell therapy",
    )
    assert screening(participant).prior_stem_cell_therapy is False
    biologic(participant, coordinator, "2023-01-01")  # another history item: the override still wins
    assert screening(participant).prior_stem_cell_therapy is False
    assert "overridden" in screening(participant).history.first().history_change_reason


def test_refusals(participant, coordinator):
    with pytest.raises(ValidationError) as error:
        mh_record(
            participant=participant,
            user=coordinator,
            category="prior_psoriasis_therapy",
            term="X",
            therapy_type="",
            start_date="",
            end_date="2030",
            ongoing=False,
        )
    assert {"therapy_type", "end_date"} <= set(error.value.message_dict)


def test_pages_and_ladder(participant, coordinator, investigator, dmc_reviewer, client):
    new = reverse("medications:mh_new", args=[participant.screening_number])
    assert client.get(new).status_code == 302
    assert logged_in(dmc_reviewer).get(new).status_code == 403
    browser = logged_in(coordinator)
    response = browser.post(
        new,
        {
            "category": "psoriasis",
            "term": "Plaque psoriasis",
            "psoriasis_type": "plaque",
            "start_date": "2015",
            "end_date": "",
            "ongoing": "on",
        },
    )
    assert response.status_code == 302
    page = browser.get(reverse("subjects:detail", args=[participant.screening_number])).content.decode()
    assert "Plaque psoriasis" in page and 'id="mh-table"' in page
    washout = reverse("medications:washout_override", args=[participant.screening_number])
    assert browser.get(washout).status_code == 403
    assert logged_in(investigator).get(washout).status_code == 200


def test_api(participant, coordinator, data_manager):
    api = APIClient()
    api.force_authenticate(coordinator)
    body = {
        "participant": participant.screening_number,
        "category": "prior_psoriasis_therapy",
        "term": "Secukinumab",
        "therapy_type": "biologic",
        "end_date": "2023-12",
        "ongoing": False,
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert screening(participant).recent_systemic_therapy is True
    pk = response.json()["id"]
    patched = api.patch(
        f"{URL}{pk}/", {"end_date": "2023-06", "reason_for_change": "source"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patched.status_code == 200, patched.json()
    assert screening(participant).recent_systemic_therapy is False
    assert APIClient().get(URL).status_code == 401
    reader = APIClient()
    reader.force_authenticate(data_manager)
    assert reader.get(URL).status_code == 200


def test_an_override_saved_meanwhile_is_not_silently_replaced(participant, coordinator, investigator):
    """Two investigators have the washout page open; the second save is refused, shows the other override
    and keeps what was typed; saving again replaces it knowingly."""
    biologic(participant, coordinator, "2023-12-01")  # recent systemic therapy: derived yes (excluded)
    url = reverse("medications:washout_override", args=[participant.screening_number])
    browser = logged_in(investigator)
    values = form_values(browser.get(url))
    other = make_user("olga", Role.INVESTIGATOR)
    washout_override_set(
        participant=participant, user=other, item="recent_systemic_therapy", value=False, reason="Dose was topical"
    )
    mine = {"item": "recent_systemic_therapy", "value": "on", "reason": "Source confirms the biologic"}
    response = browser.post(url, {**values, **mine})
    assert response.status_code == 409
    html = response.content.decode()
    assert "olga" in html and "Dose was topical" in html and 'class="changed-meanwhile"' in html
    override = WashoutOverride.objects.get()
    assert (override.value, override.reason, override.version) == (False, "Dose was topical", 1)
    again = form_values(response)
    assert again["reason"] == mine["reason"] and again["item"] == mine["item"]
    assert browser.post(url, again).status_code == 302
    override = WashoutOverride.objects.get()
    assert (override.value, override.reason, override.version) == (True, "Source confirms the biologic", 2)
    assert screening(participant).recent_systemic_therapy is True
