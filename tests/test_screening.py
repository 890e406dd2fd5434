"""Screening: eligibility evaluated by the system, screen failures with reasons, live preview, audit."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from subjects import services
from subjects.models import Participant, Screening, Visit
from tests.conftest import PASSWORD, logged_in
from tests.subjects_helpers import SCREENING, register, screened, signoff_of, signoff_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2024, 1, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def form_data(**overrides) -> dict:
    data = {}
    for key, value in SCREENING.items():
        data[key] = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return {**data, **overrides}


def test_screening_creates_scr_visit_and_waits_for_pasi(coordinator):
    p = register(coordinator)
    screening = services.screening_save(participant=p, user=coordinator, **SCREENING)
    assert (screening.eligible, screening.failed_criteria) == (False, ["screening_pasi_missing"])
    visit = Visit.objects.get(participant=p)
    assert (visit.visit_code, visit.actual_date, visit.window_start, visit.window_end, visit.status) == (
        "SCR",
        date(2024, 1, 3),
        date(2023, 12, 13),
        date(2024, 1, 9),
        "done",
    )
    p.refresh_from_db()
    assert p.status == "screening"  # incomplete: no PASI yet, not a screen failure


def test_pasi_makes_eligible(coordinator):
    p = screened(coordinator, pasi=Decimal("7.1"), bsa_percent=Decimal("10.0"))
    screening = Screening.objects.get(participant=p)
    assert (screening.eligible, screening.failed_criteria, screening.screening_pasi) == (True, [], Decimal("7.1"))


def test_screen_failure_records_every_reason(coordinator):
    p = screened(
        coordinator, pasi=Decimal("7.0"), bsa_percent=Decimal("10.0"), active_infection=True, product_allergy=True
    )
    assert p.status == "screen_failed"
    screening = Screening.objects.get(participant=p)
    assert screening.failed_criteria == [
        "inclusion_severity",
        "exclusion_active_infection",
        "exclusion_product_allergy",
    ]
    assert p.history.order_by("-history_id").first().history_change_reason == (
        "Screen failure: inclusion_severity, exclusion_active_infection, exclusion_product_allergy"
    )
    html = logged_in(coordinator).get(f"/participants/{p.screening_number}/").content.decode()
    assert "Not eligible" in html
    assert "Psoriasis is not moderate to severe: neither PASI nor BSA is above the threshold." in html
    assert "Exclusion criterion met: Active infection (including HBV, HCV, HIV, active TB)." in html
    assert "Exclusion criterion met: Known allergy to product components." in html
    assert "Screen failure: no further action" in html


def test_age_66_on_screening_date_is_screen_failure(coordinator):
    p = register(coordinator, date_of_birth=date(1958, 1, 3), consent_date=date(2024, 1, 2))
    services.screening_save(participant=p, user=coordinator, **SCREENING)
    services.screening_set_pasi(participant=p, pasi_total=Decimal("12.0"), user=coordinator)
    p.refresh_from_db()
    assert p.status == "screen_failed"
    assert Screening.objects.get(participant=p).failed_criteria == ["inclusion_age"]


def test_correction_back_to_eligible_needs_reason(coordinator):
    p = screened(coordinator, active_infection=True)
    assert p.status == "screen_failed"
    with pytest.raises(ValidationError) as exc:
        services.screening_save(participant=p, user=coordinator, active_infection=False)
    assert "reason_for_change" in exc.value.message_dict
    services.screening_save(participant=p, user=coordinator, active_infection=False, reason="Answer entered wrongly")
    p.refresh_from_db()
    assert p.status == "screening"
    assert p.history.order_by("-history_id").first().history_change_reason == "Answer entered wrongly"
    screening = Screening.objects.get(participant=p)
    assert screening.eligible is True
    assert screening.history.order_by("-history_id").first().history_change_reason == "Answer entered wrongly"


def test_changing_pasi_needs_reason(coordinator):
    p = screened(coordinator)
    with pytest.raises(ValidationError) as exc:
        services.screening_set_pasi(participant=p, pasi_total=Decimal("3.0"), user=coordinator)
    assert "reason_for_change" in exc.value.message_dict
    assert Screening.objects.get(participant=p).screening_pasi == Decimal("12.4")
    services.screening_set_pasi(participant=p, pasi_total=Decimal("3.0"), user=coordinator, reason="Re-scored")
    p.refresh_from_db()
    assert p.status == "screening"  # BSA 15 % still qualifies


def test_change_after_signoff_voids_the_signoff(coordinator, investigator):
    p = screened(coordinator)
    services.eligibility_signoff(participant=p, investigator=investigator, password=PASSWORD, request=signoff_request())
    services.screening_save(participant=p, user=coordinator, weight_kg=Decimal("64.0"), reason="Re-weighed")
    assert signoff_of(p) is None


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"screening_date": date(2024, 1, 9)}, "screening_date", "Screening date cannot be in the future."),
        (
            {"screening_date": date(2024, 1, 1)},
            "screening_date",
            "Screening date cannot be before the consent date (consent must come first).",
        ),
        (
            {"planned_day1_date": date(2024, 1, 3)},
            "planned_day1_date",
            "Planned Day 1 must be after the screening date.",
        ),
        (
            {"planned_day1_date": date(2024, 2, 1)},
            "planned_day1_date",
            "Planned Day 1 must be at most 28 days after the screening date.",
        ),
        ({"weight_kg": Decimal("29.9")}, "weight_kg", "Ensure this value is greater than or equal to 30.0."),
        ({"height_cm": Decimal("220.1")}, "height_cm", "Ensure this value is less than or equal to 220.0."),
        ({"bsa_percent": Decimal("100.1")}, "bsa_percent", "Ensure this value is less than or equal to 100.0."),
    ],
)
def test_bad_screening_refused_nothing_saved(coordinator, overrides, field, message):
    p = register(coordinator)
    with pytest.raises(ValidationError) as exc:
        services.screening_save(participant=p, user=coordinator, **{**SCREENING, **overrides})
    assert exc.value.message_dict[field] == [message]
    assert not Screening.objects.exists()
    assert not Visit.objects.exists()


def test_planned_day1_exactly_28_days_after_is_accepted(coordinator):
    p = register(coordinator)
    services.screening_save(participant=p, user=coordinator, **{**SCREENING, "planned_day1_date": date(2024, 1, 31)})
    assert Screening.objects.get().planned_day1_date == date(2024, 1, 31)


def test_study_window_setting_is_used(coordinator, administrator):
    services.study_update(user=administrator, reason="Amendment", screening_window_days=14)
    p = register(coordinator)
    with pytest.raises(ValidationError) as exc:
        services.screening_save(
            participant=p, user=coordinator, **{**SCREENING, "planned_day1_date": date(2024, 1, 18)}
        )
    assert exc.value.message_dict["planned_day1_date"] == [
        "Planned Day 1 must be at most 14 days after the screening date."
    ]


# --- Browser ---------------------------------------------------------------------------------


def test_screening_form_saves_and_redirects(coordinator):
    p = register(coordinator)
    response = logged_in(coordinator).post(f"/participants/{p.screening_number}/screening/", form_data())
    assert response.status_code == 302
    assert Screening.objects.get().bsa_percent == Decimal("15.0")


def test_screening_form_field_errors_nothing_saved(coordinator):
    p = register(coordinator)
    data = form_data(weight_kg="250.0", planned_day1_date="2024-03-01")
    del data["product_allergy"]
    response = logged_in(coordinator).post(f"/participants/{p.screening_number}/screening/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="product_allergy_errors"' in html
    assert not Screening.objects.exists()
    data = form_data(planned_day1_date="2024-03-01")
    html = logged_in(coordinator).post(f"/participants/{p.screening_number}/screening/", data).content.decode()
    assert (
        '<ul class="errorlist" id="planned_day1_date_errors"><li>Planned Day 1 must be at most 28 days after the '
        "screening date.</li>" in html
    )
    data = form_data(weight_kg="250.0")
    html = logged_in(coordinator).post(f"/participants/{p.screening_number}/screening/", data).content.decode()
    assert '<ul class="errorlist" id="weight_kg_errors"><li>Ensure this value is less than or equal to 200.0.' in html
    assert not Screening.objects.exists()


def test_screening_edit_form_requires_reason(coordinator):
    p = screened(coordinator)
    url = f"/participants/{p.screening_number}/screening/"
    version = Screening.objects.get().version
    html = logged_in(coordinator).post(url, form_data(weight_kg="70.0", version=version)).content.decode()
    assert 'id="reason_for_change_errors"' in html
    assert Screening.objects.get().weight_kg == Decimal("63.5")
    response = logged_in(coordinator).post(
        url, form_data(weight_kg="70.0", reason_for_change="Transcription", version=version)
    )
    assert response.status_code == 302
    assert Screening.objects.get().weight_kg == Decimal("70.0")


def test_live_preview_uses_the_eligibility_rule(coordinator):
    p = screened(coordinator, pasi=Decimal("6.0"))
    url = f"/participants/{p.screening_number}/screening/preview/"
    client = logged_in(coordinator)
    assert client.post(url, form_data()).json() == {"eligible": True, "failed": [], "message": ""}
    body = client.post(url, form_data(bsa_percent="10.0", pregnant_or_breastfeeding="yes")).json()
    assert body["eligible"] is False
    assert [item["name"] for item in body["failed"]] == ["inclusion_severity", "exclusion_pregnant_or_breastfeeding"]
    assert body["failed"][1]["label"] == "Exclusion criterion met: Pregnant or breast-feeding."
    partial = {"screening_date": "2024-01-03", "bsa_percent": "15.0"}
    assert [i["name"] for i in client.post(url, partial).json()["failed"]][:1] == [
        "exclusion_pregnant_or_breastfeeding_unanswered"
    ]
    assert client.post(url, {}).json()["eligible"] is None
    assert Screening.objects.get().bsa_percent == Decimal("15.0")  # nothing saved by a preview


def test_preview_and_screening_roles(personas):
    p = register(personas["coordinator"])
    for name in ("data_manager", "dmc_reviewer", "api_client_user", "administrator", "outsider"):
        client = logged_in(personas[name])
        assert client.get(f"/participants/{p.screening_number}/screening/").status_code == 403, name
        assert client.post(f"/participants/{p.screening_number}/screening/preview/", form_data()).status_code == 403
    assert logged_in(personas["investigator"]).get(f"/participants/{p.screening_number}/screening/").status_code == 200
    assert Participant.objects.get().status == "screening"
