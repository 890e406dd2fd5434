"""Laboratory pages: the participant page's table with flags, grades and the AE prompt; panel entry;
result correction with a reason and a version; normal ranges; the role ladder."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from labs.models import LabResult, NormalRange
from labs.services import lab_panel_record
from tests import factories
from tests.conftest import logged_in

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 4, 20, 12, 0, tzinfo=TZ)
DAY1 = date(2024, 1, 10)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def woman(coordinator):
    return factories.enrolled_participant(coordinator, sex="F", planned_day1=DAY1, day1=DAY1)


def record_w4(participant, user, **values):
    return lab_panel_record(
        participant=participant,
        user=user,
        visit_code="W4",
        collected_at=datetime(2024, 2, 7, 8, tzinfo=TZ),
        results={code: {"value": Decimal(v)} for code, v in values.items()},
    )


def test_participant_page_shows_grade_and_ae_prompt_prefilled(woman, coordinator, django_assert_max_num_queries):
    record_w4(woman, coordinator, ALT="128", HGB="130")
    client = logged_in(coordinator)
    response = client.get(reverse("subjects:detail", args=[woman.screening_number]))
    html = response.content.decode()
    assert 'id="labs-table"' in html
    assert 'data-grade="2"' in html
    prompt = reverse("safety:ae_create", args=[woman.pk])
    assert f"{prompt}?term=Alanine+aminotransferase+increased&amp;grade=2&amp;onset_date=2024-02-07" in html
    form = client.get(f"{prompt}?term=Alanine+aminotransferase+increased&grade=2&onset_date=2024-02-07")
    assert 'value="Alanine aminotransferase increased"' in form.content.decode()


def test_lab_section_query_count_does_not_grow_with_panels(woman, coordinator, django_assert_max_num_queries):
    from labs.selectors import participant_labs

    record_w4(woman, coordinator, ALT="30", AST="30", HGB="130")
    lab_panel_record(
        participant=woman,
        user=coordinator,
        visit_code="W8",
        collected_at=datetime(2024, 3, 6, 8, tzinfo=TZ),
        results={"ALT": {"value": Decimal("35")}},
    )
    with django_assert_max_num_queries(1):
        labs = participant_labs(woman)
    assert [row["test"].code for row in labs["rows"]] == ["HGB", "ALT", "AST"]
    assert labs["rows"][1]["spark"]


def test_panel_entry_ladder_and_save(woman, coordinator, dmc_reviewer, data_manager, client):
    url = reverse("labs:panel_new", args=[woman.screening_number])
    assert client.get(url).status_code == 302
    assert logged_in(dmc_reviewer).get(url).status_code == 403
    assert logged_in(data_manager).get(url).status_code == 403
    coordinator_client = logged_in(coordinator)
    assert coordinator_client.get(url).status_code == 200
    response = coordinator_client.post(
        url,
        {
            "visit_code": "W4",
            "collected_at": "2024-02-07T08:00",
            "CREAT_value": "1.1",
            "CREAT_unit": "mg/dL",
            "ALT_not_done_reason": "Haemolysed",
        },
    )
    assert response.status_code == 302
    creat = LabResult.objects.get(test_code="CREAT")
    assert creat.value_standard == Decimal("97.24")
    assert LabResult.objects.get(test_code="ALT").not_done_reason == "Haemolysed"
    again = coordinator_client.post(url, {"visit_code": "W4", "collected_at": "2024-02-07T08:00", "ALT_value": "3"})
    assert again.status_code == 400


def test_result_correction_needs_reason_and_detects_conflict(woman, coordinator, investigator):
    record_w4(woman, coordinator, ALT="50")
    alt = LabResult.objects.get(test_code="ALT")
    url = reverse("labs:result_edit", args=[alt.pk])
    client = logged_in(investigator)
    assert client.post(url, {"value": "50", "unit": "U/L", "version": 1}).status_code == 400
    ok = client.post(
        url,
        {"value": "50", "unit": "U/L", "clinically_significant": "yes", "reason_for_change": "Judged CS", "version": 1},
    )
    assert ok.status_code == 302
    alt.refresh_from_db()
    assert (alt.clinically_significant, alt.version) == (True, 2)
    stale = client.post(url, {"value": "60", "unit": "U/L", "reason_for_change": "x", "version": 1})
    assert stale.status_code == 409


def test_normal_ranges_page_ladder(coordinator, administrator, client, study):
    url = reverse("labs:normal_ranges")
    assert client.get(url).status_code == 302
    assert logged_in(coordinator).get(url).status_code == 200
    assert logged_in(coordinator).post(url, {}).status_code == 403
    response = logged_in(administrator).post(
        url,
        {
            "test_code": "ALT",
            "sex": "F",
            "age_from": 0,
            "effective_from": "2024-03-01",
            "lln": "7",
            "uln": "45",
            "reason_for_change": "New analyser",
        },
    )
    assert response.status_code == 302
    assert NormalRange.objects.filter(effective_from=date(2024, 3, 1), uln=45).exists()


def test_only_the_investigator_may_judge_clinical_significance_on_the_pages(woman, coordinator, investigator):
    url = reverse("labs:panel_new", args=[woman.screening_number])
    assert 'name="ALT_clinically_significant" disabled' in logged_in(coordinator).get(url).content.decode()
    assert 'name="ALT_clinically_significant" disabled' not in logged_in(investigator).get(url).content.decode()
