"""Study configuration page: everyone with clinical, target or configuration rights sees it;
a data manager changes the enrollment target, an administrator every value; always with a reason."""

import pytest

from subjects.models import Study
from subjects.services import STUDY_FIELDS
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
URL = "/participants/study/"


def test_anonymous_redirected_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["dmc_reviewer", "outsider"])
def test_no_access_without_rights(personas, persona):
    assert logged_in(personas[persona]).get(URL).status_code == 403


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "api_client_user"])
def test_clinical_roles_see_but_cannot_change(personas, persona):
    client = logged_in(personas[persona])
    html = client.get(URL).content.decode()
    assert "S2018-11 · version 1" in html
    assert "W12" in html and "−3 / +3 days" in html
    assert 'name="enrollment_target"' not in html
    assert (
        client.post(
            URL, {"version": Study.current().version, "enrollment_target": 9, "reason_for_change": "x"}
        ).status_code
        == 403
    )
    assert Study.current().enrollment_target == 5


def test_data_manager_raises_target_with_reason(data_manager):
    client = logged_in(data_manager)
    html = client.get(URL).content.decode()
    assert 'name="enrollment_target"' in html
    assert 'name="pasi_threshold"' not in html
    response = client.post(URL, {"version": Study.current().version, "enrollment_target": 6})
    assert '<ul class="errorlist" id="reason_for_change_errors"><li>This field is required.</li>' in (
        response.content.decode()
    )
    assert Study.current().enrollment_target == 5
    response = client.post(
        URL,
        {"version": Study.current().version, "enrollment_target": 6, "reason_for_change": "Sponsor approved one more"},
    )
    assert response.status_code == 302
    study = Study.current()
    assert (study.enrollment_target, study.version) == (6, 2)
    record = study.history.order_by("-history_id").first()
    assert (record.history_change_reason, record.history_user) == ("Sponsor approved one more", data_manager)
    # A posted value outside the data manager's rights is ignored by the form (not a field of it).
    client.post(
        URL,
        {"version": Study.current().version, "enrollment_target": 6, "pasi_threshold": "9.0", "reason_for_change": "x"},
    )
    assert str(Study.current().pasi_threshold) == "7.0"


def test_administrator_changes_any_value(administrator):
    client = logged_in(administrator)
    data = {
        field.name: getattr(Study.current(), field.name)
        for field in Study._meta.concrete_fields
        if field.name in STUDY_FIELDS
    }
    response = client.post(
        URL, {"version": Study.current().version, **data, "reminder_hour": 25, "reason_for_change": "x"}
    )
    assert 'id="reminder_hour_errors"' in response.content.decode()
    response = client.post(
        URL, {"version": Study.current().version, **data, "bsa_threshold": "12.0", "reason_for_change": "Amendment 2"}
    )
    assert response.status_code == 302
    study = Study.current()
    assert (str(study.bsa_threshold), study.version) == ("12.0", 2)


def test_target_cannot_drop_below_enrolled(data_manager, coordinator):
    from datetime import date

    from tests import factories

    factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
    factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
    html = (
        logged_in(data_manager)
        .post(URL, {"version": Study.current().version, "enrollment_target": 1, "reason_for_change": "x"})
        .content.decode()
    )
    assert "The target cannot be below the 2 participants already enrolled." in html
    assert Study.current().enrollment_target == 5


def test_a_data_manager_raises_the_target_and_never_lowers_it(data_manager, administrator, coordinator):
    from datetime import date

    from rest_framework.test import APIClient

    from tests import factories

    for _ in range(3):
        factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
    html = (
        logged_in(data_manager)
        .post(URL, {"version": Study.current().version, "enrollment_target": 3, "reason_for_change": "x"})
        .content.decode()
    )
    assert "A data manager may raise the enrollment target only" in html
    api = APIClient()
    api.force_authenticate(data_manager)

    def patch(target: int):
        etag = api.get("/api/v1/study/")["ETag"]
        data = {"enrollment_target": target, "reason_for_change": "x"}
        return api.patch("/api/v1/study/", data, format="json", HTTP_IF_MATCH=etag)

    response = patch(4)
    assert response.status_code == 400 and "enrollment_target" in response.json()
    assert Study.current().enrollment_target == 5
    assert patch(6).status_code == 200
    api.force_authenticate(administrator)
    response = patch(2)
    assert response.status_code == 400  # below the 3 enrolled: refused for everyone
    assert patch(3).status_code == 200
    assert Study.current().enrollment_target == 3
