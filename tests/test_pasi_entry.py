"""PASI entry: derived never typed, every region required, one per visit, SCR eligibility, baseline, live preview."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessments.models import PasiAssessment
from assessments.services import baseline_refresh, pasi_save
from subjects import services as subject_services
from subjects.models import ParticipantStatus, Visit
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 4, 20, 12, 0, tzinfo=TZ)

pytestmark = pytest.mark.usefixtures("frozen")

# head 0.1×(2+2+1)×area 2 (15 %) = 1.0; upper 0.2×4×2 (25 %) = 1.6; trunk 0.3×6×3 (35 %) = 5.4;
# lower 0.4×5×3 (45 %) = 6.0; PASI 14.0
REGIONS_14 = {
    "head": {"erythema": 2, "induration": 2, "desquamation": 1, "area_percent": Decimal("15.0")},
    "upper_limbs": {"erythema": 2, "induration": 1, "desquamation": 1, "area_percent": Decimal("25.0")},
    "trunk": {"erythema": 2, "induration": 2, "desquamation": 2, "area_percent": Decimal("35.0")},
    "lower_limbs": {"erythema": 2, "induration": 2, "desquamation": 1, "area_percent": Decimal("45.0")},
}
# 0.1×3×1 + 0.2×3×1 + 0.3×3×1 + 0.4×3×1 = 3.0
REGIONS_3 = {r: {"erythema": 1, "induration": 1, "desquamation": 1, "area_percent": Decimal("5.0")} for r in REGIONS_14}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def regions(**changes) -> dict:
    data = {region: dict(items) for region, items in REGIONS_14.items()}
    for key, value in changes.items():
        region, item = key.split("__")
        if value is None:
            data[region].pop(item, None)
        else:
            data[region][item] = value
    return data


@pytest.fixture
def participant(coordinator):
    p = factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
    screening = p.screening
    screening.screening_pasi = None  # the SCR PASI will come from the PASI form
    audited_save(screening, user=coordinator, reason="test: no SCR PASI yet")
    return p


def visit(participant, code) -> Visit:
    return Visit.objects.get(participant=participant, visit_code=code)


def save(participant, user, code="W0", on=date(2024, 1, 10), data=None, **kwargs) -> PasiAssessment:
    return pasi_save(
        visit=visit(participant, code), user=user, assessment_date=on, regions=data or REGIONS_14, **kwargs
    )


def test_pasi_total_is_computed_and_saved(participant, coordinator):
    assessment = save(participant, coordinator, bsa_percent=Decimal("18.5"))
    assert assessment.pasi_total == Decimal("14.0")
    assert (assessment.head_area_score, assessment.trunk_area_score, assessment.lower_limbs_area_score) == (2, 3, 3)
    assert assessment.assessor == coordinator
    assert assessment.history.first().history_change_reason == "Initial entry"


def test_area_score_entered_when_only_the_score_is_known(participant, coordinator):
    data = regions(head__area_percent=None, head__area_score=2)
    assessment = save(participant, coordinator, data=data)
    assert (assessment.head_area_percent, assessment.head_area_score, assessment.pasi_total) == (
        None,
        2,
        Decimal("14.0"),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"head__erythema": 5}, "head_erythema"),
        ({"trunk__induration": -1}, "trunk_induration"),
        ({"upper_limbs__desquamation": None}, "upper_limbs_desquamation"),
        ({"lower_limbs__area_percent": Decimal("100.1")}, "lower_limbs_area_percent"),
        ({"lower_limbs__area_percent": Decimal("-0.1")}, "lower_limbs_area_percent"),
        ({"head__area_percent": None}, "head_area_percent"),
        ({"head__area_percent": None, "head__area_score": 7}, "head_area_score"),
        ({"head__area_score": 5}, "head_area_score"),  # 15 % gives 2, not 5
        ({"head__erythema": Decimal("1.5")}, "head_erythema"),
    ],
)
def test_bad_items_are_refused_and_nothing_saved(participant, coordinator, changes, field):
    with pytest.raises(ValidationError) as caught:
        save(participant, coordinator, data=regions(**changes))
    assert field in caught.value.message_dict
    assert not PasiAssessment.objects.exists()


def test_missing_region_is_never_imputed(participant, coordinator):
    data = regions()
    del data["trunk"]
    with pytest.raises(ValidationError) as caught:
        save(participant, coordinator, data=data)
    assert "never imputed" in caught.value.message_dict["trunk"][0]
    assert not PasiAssessment.objects.exists()


def test_future_assessment_date_is_refused(participant, coordinator):
    with pytest.raises(ValidationError) as caught:
        save(participant, coordinator, on=date(2024, 4, 21))
    assert "assessment_date" in caught.value.message_dict
    assert not PasiAssessment.objects.exists()


def test_one_per_visit_and_changes_need_a_reason(participant, coordinator):
    save(participant, coordinator)
    with pytest.raises(ValidationError) as caught:
        save(participant, coordinator, data=REGIONS_3)
    assert "already recorded" in caught.value.message_dict["visit"][0]
    changed = save(participant, coordinator, data=REGIONS_3, reason="Trunk re-read from source")
    assert changed.pasi_total == Decimal("3.0")
    assert PasiAssessment.objects.count() == 1
    assert changed.history.first().history_change_reason == "Trunk re-read from source"


# --- Screening PASI updates eligibility ----------------------------------------------------------


@pytest.fixture
def screened(coordinator):
    p = subject_services.participant_register(
        user=coordinator,
        initials="CD",
        sex="M",
        date_of_birth=date(1975, 3, 1),
        consent_date=date(2024, 4, 1),
        consent_version="1.0",
    )
    subject_services.screening_save(
        participant=p,
        user=coordinator,
        screening_date=date(2024, 4, 2),
        planned_day1_date=date(2024, 4, 25),
        weight_kg=Decimal("70.0"),
        height_cm=Decimal("170.0"),
        bsa_percent=Decimal("5.0"),  # BSA alone does not qualify: PASI decides
        **factories.EXCLUSIONS_NO,
    )
    return p


def test_screening_pasi_above_threshold_makes_participant_eligible(screened, coordinator):
    save(screened, coordinator, code="SCR", on=date(2024, 4, 2))
    screened.refresh_from_db()
    assert screened.screening.screening_pasi == Decimal("14.0")
    assert screened.screening.eligible is True
    assert screened.status == ParticipantStatus.SCREENING


def test_screening_pasi_at_or_below_threshold_screen_fails(screened, coordinator):
    save(screened, coordinator, code="SCR", on=date(2024, 4, 2), data=REGIONS_3)
    screened.refresh_from_db()
    assert screened.screening.screening_pasi == Decimal("3.0")
    assert screened.screening.eligible is False
    assert screened.status == ParticipantStatus.SCREEN_FAILED
    # correcting the SCR PASI (with a reason) re-evaluates eligibility again
    save(screened, coordinator, code="SCR", on=date(2024, 4, 2), reason="Transcription error")
    screened.refresh_from_db()
    assert (screened.screening.eligible, screened.status) == (True, ParticipantStatus.SCREENING)


# --- Baseline PASI ---------------------------------------------------------------------------------


def test_baseline_is_w0_when_assessed_on_day1(participant, coordinator):
    save(participant, coordinator, code="SCR", on=date(2024, 1, 3))
    participant.refresh_from_db()
    assert participant.baseline_pasi == Decimal("14.0")  # only screening so far
    save(participant, coordinator, code="W0", on=date(2024, 1, 10), data=REGIONS_3)
    participant.refresh_from_db()
    assert participant.baseline_pasi == Decimal("3.0")


def test_baseline_falls_back_to_screening_when_w0_pasi_is_after_day1(participant, coordinator):
    participant.day1_date = date(2024, 1, 10)
    audited_save(participant, user=coordinator, reason="Day 1")
    save(participant, coordinator, code="SCR", on=date(2024, 1, 3))
    save(participant, coordinator, code="W0", on=date(2024, 1, 11), data=REGIONS_3)  # after the first infusion
    participant.refresh_from_db()
    assert participant.baseline_pasi == Decimal("14.0")


def test_baseline_refresh_ignores_later_visits_and_is_idempotent(participant, coordinator):
    save(participant, coordinator, code="W2", on=date(2024, 1, 24), data=REGIONS_3)
    participant.refresh_from_db()
    assert participant.baseline_pasi is None
    history = participant.history.count()
    assert baseline_refresh(participant, coordinator) is None
    assert participant.history.count() == history


def stored(participant) -> dict:
    assessments = list(PasiAssessment.objects.filter(participant=participant).select_related("visit"))
    assert all(a.visit_code == a.visit.visit_code for a in assessments)  # the stored code is its visit's
    return {a.visit_code: a.improvement_percent for a in assessments}


def test_improvement_is_stored_and_follows_the_baseline(participant, coordinator):
    # REGIONS_14 = 14.0, REGIONS_3 = 3.0. Hand-computed improvements (baseline - PASI) / baseline x 100.
    save(participant, coordinator, code="W2", on=date(2024, 1, 24), data=REGIONS_3)
    assert stored(participant) == {"W2": None}  # no baseline yet
    save(participant, coordinator, code="SCR", on=date(2024, 1, 3))  # baseline 14.0 (screening)
    assert stored(participant) == {"SCR": None, "W2": Decimal("78.6")}  # 11 / 14 = 78.571; none at baseline
    w2 = PasiAssessment.objects.get(participant=participant, visit_code="W2")
    assert w2.history.first().history_change_reason == ("Improvement derived against baseline PASI 14.0 (was none)")
    save(participant, coordinator, code="W0", on=date(2024, 1, 10), data=REGIONS_3)  # baseline 3.0 (Day 1)
    assert stored(participant) == {"SCR": None, "W0": None, "W2": Decimal("0.0")}  # none at or before baseline
    # Correcting W0 (with a reason) moves the baseline back to 14.0 and every improvement with it.
    save(participant, coordinator, code="W0", on=date(2024, 1, 10), reason="Transcription error")
    assert stored(participant) == {"SCR": None, "W0": None, "W2": Decimal("78.6")}
    reasons = list(w2.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == [
        "Initial entry",
        "Improvement derived against baseline PASI 14.0 (was none)",
        "Improvement derived against baseline PASI 3.0 (was 78.6 %)",
        "Improvement derived against baseline PASI 14.0 (was 0.0 %)",
    ]


def test_improvement_is_stored_at_its_extremes(participant, coordinator):
    least = {region: {"erythema": 0, "induration": 0, "desquamation": 0, "area_score": 0} for region in REGIONS_14}
    least["head"] = {"erythema": 1, "induration": 0, "desquamation": 0, "area_score": 1}  # 0.1 x 1 x 1
    save(participant, coordinator, code="W0", on=date(2024, 1, 10), data=least)
    participant.refresh_from_db()
    assert participant.baseline_pasi == Decimal("0.1")  # the smallest baseline: 72.0 is -71 900 %
    worst = {region: {"erythema": 4, "induration": 4, "desquamation": 4, "area_score": 6} for region in REGIONS_14}
    save(participant, coordinator, code="W2", on=date(2024, 1, 24), data=worst)
    assessment = PasiAssessment.objects.get(participant=participant, visit_code="W2")
    assert (assessment.pasi_total, assessment.improvement_percent) == (Decimal("72.0"), Decimal("-71900.0"))


# --- Browser form and live preview -------------------------------------------------------------------


def form_data(**overrides) -> dict:
    data = {"assessment_date": "2024-01-10", "bsa_percent": "18.5"}
    for region, items in REGIONS_14.items():
        for item, value in items.items():
            data[f"{region}_{item}"] = str(value)
    data.update(overrides)
    return data


def test_form_saves_computed_pasi_and_ignores_a_typed_total(participant, coordinator):
    url = f"/assessments/{participant.screening_number}/W0/pasi/"
    response = logged_in(coordinator).post(url, form_data(pasi_total="99.9"))
    assert response.status_code == 302
    assert PasiAssessment.objects.get().pasi_total == Decimal("14.0")
    page = logged_in(coordinator).get(url).content.decode()
    assert '<dd id="saved-pasi">14.0</dd>' in page
    assert "reason_for_change" in page  # a change now needs a reason


def test_form_shows_errors_and_saves_nothing(participant, coordinator):
    url = f"/assessments/{participant.screening_number}/W0/pasi/"
    response = logged_in(coordinator).post(url, form_data(head_erythema="5", trunk_area_percent=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ensure this value is less than or equal to 4." in body
    assert "enter the area as a percentage" in body
    assert not PasiAssessment.objects.exists()


def test_form_change_without_reason_is_refused(participant, coordinator):
    url = f"/assessments/{participant.screening_number}/W0/pasi/"
    client = logged_in(coordinator)
    client.post(url, form_data())
    version = PasiAssessment.objects.get().version
    response = client.post(url, form_data(head_erythema="0", version=version))
    assert response.status_code == 400
    assert PasiAssessment.objects.get().head_erythema == 2
    response = client.post(url, form_data(head_erythema="0", reason_for_change="Source says 0", version=version))
    assert response.status_code == 302
    assert PasiAssessment.objects.get().pasi_total == Decimal("13.6")  # head 0.1×3×2 = 0.6


def test_preview_computes_subtotals_and_total_with_the_pasi_rules(participant, coordinator):
    client = logged_in(coordinator)
    partial = {k: v for k, v in form_data().items() if not k.startswith("trunk")}
    body = client.post("/assessments/pasi/preview/", partial).json()
    assert body["regions"]["head"] == {"area_score": 2, "subtotal": "1.0"}
    assert body["regions"]["lower_limbs"] == {"area_score": 3, "subtotal": "6.0"}
    assert "trunk" not in body["regions"]
    assert body["pasi_total"] is None  # a missing region: no total
    body = client.post("/assessments/pasi/preview/", form_data()).json()
    assert body["pasi_total"] == "14.0"
    body = client.post("/assessments/pasi/preview/", form_data(head_erythema="9")).json()
    assert body["pasi_total"] is None and "head_erythema" in body["errors"]
    assert not PasiAssessment.objects.exists()


@pytest.mark.parametrize(
    ("persona", "get_status", "post_status", "preview_status"),
    [
        ("coordinator", 200, 302, 200),
        ("investigator", 200, 302, 200),
        ("data_manager", 200, 403, 403),
        ("api_client_user", 200, 403, 403),
        ("administrator", 200, 403, 403),
        ("dmc_reviewer", 403, 403, 403),
        ("outsider", 403, 403, 403),
    ],
)
def test_pasi_pages_roles(participant, personas, persona, get_status, post_status, preview_status):
    client = logged_in(personas[persona])
    url = f"/assessments/{participant.screening_number}/W0/pasi/"
    assert client.get(url).status_code == get_status
    assert client.post(url, form_data()).status_code == post_status
    assert client.post("/assessments/pasi/preview/", form_data()).status_code == preview_status
    assert PasiAssessment.objects.exists() is (post_status == 302)


def test_pasi_pages_anonymous_redirect(participant, client):
    for response in (
        client.get(f"/assessments/{participant.screening_number}/W0/pasi/"),
        client.post("/assessments/pasi/preview/", form_data()),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.fixture
def pasi_before_day1(participant, coordinator):
    """SCR 14.0 (3 Jan), W0 3.0 assessed on 11 Jan, W2 3.0: without Day 1 the baseline is W0's 3.0."""
    save(participant, coordinator, code="SCR", on=date(2024, 1, 3))
    save(participant, coordinator, code="W0", on=date(2024, 1, 11), data=REGIONS_3)
    save(participant, coordinator, code="W2", on=date(2024, 1, 24), data=REGIONS_3)
    participant.refresh_from_db()
    assert (participant.baseline_pasi, stored(participant)["W2"]) == (Decimal("3.0"), Decimal("0.0"))
    return participant


def assert_rederived_on_day1_10_january(participant):
    # Day 1 = 10 Jan: the W0 PASI of 11 Jan is after it, so the baseline falls back to screening (14.0)
    # and W2's improvement is (14 - 3) / 14 = 78.6 %.
    participant.refresh_from_db()
    assert participant.day1_date == date(2024, 1, 10)
    assert participant.baseline_pasi == Decimal("14.0")
    assert stored(participant)["W2"] == Decimal("78.6")
    assert participant.history.filter(history_change_reason="Baseline PASI derived (PASI at SCR)").exists()


def test_recording_the_w0_visit_rederives_the_baseline_and_improvements(pasi_before_day1, coordinator):
    subject_services.visit_record(visit=visit(pasi_before_day1, "W0"), user=coordinator, actual_date=date(2024, 1, 10))
    assert_rederived_on_day1_10_january(pasi_before_day1)


def test_the_w0_visit_through_the_api_rederives_the_baseline(pasi_before_day1, coordinator):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(coordinator)
    url = f"/api/v1/participants/{pasi_before_day1.screening_number}/visits/W0/"
    version = visit(pasi_before_day1, "W0").version
    response = client.patch(url, {"actual_date": "2024-01-10"}, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert response.status_code == 200, response.content
    assert_rederived_on_day1_10_january(pasi_before_day1)


def test_the_w0_visit_through_the_page_rederives_the_baseline(pasi_before_day1, coordinator):
    w0 = visit(pasi_before_day1, "W0")
    url = f"/participants/{pasi_before_day1.screening_number}/visits/W0/"
    response = logged_in(coordinator).post(url, {"actual_date": "2024-01-10", "version": w0.version})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_rederived_on_day1_10_january(pasi_before_day1)


def test_a_failed_rederivation_leaves_day1_unmoved(pasi_before_day1, coordinator, monkeypatch):
    """Day 1 and the values derived from it are written in one transaction: all or nothing."""
    from assessments import services as assessment_services

    def fail(*args, **kwargs):
        raise RuntimeError("improvement failed")

    monkeypatch.setattr(assessment_services, "improvements_refresh", fail)
    with pytest.raises(RuntimeError):
        subject_services.visit_record(
            visit=visit(pasi_before_day1, "W0"), user=coordinator, actual_date=date(2024, 1, 10)
        )
    pasi_before_day1.refresh_from_db()
    assert (pasi_before_day1.day1_date, pasi_before_day1.baseline_pasi) == (None, Decimal("3.0"))
    assert visit(pasi_before_day1, "W0").actual_date is None
