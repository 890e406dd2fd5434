"""The audit-trail pages read like the forms: record names, field labels, linked records by name, times in
site time; each field of a saved record links to its own changes. The CSV keeps the stored values."""

import re
from datetime import date

import pytest
from django.test import Client

from dosing.models import VitalSigns
from safety.services import adverse_event_record, adverse_event_update
from subjects.sitetime import site_today
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def ae(coordinator, data_manager):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    event = adverse_event_record(
        participant=participant,
        user=coordinator,
        term="Headache",
        onset_date=date(2024, 1, 12),
        end_date=date(2024, 1, 13),
        ongoing=False,
        grade=1,
        serious=False,
        relationship="unlikely",
        expected=True,
        action_taken="dose_not_changed",
        outcome="recovered",
    )
    return adverse_event_update(adverse_event=event, user=coordinator, reason="Source says 2", grade=2)


def test_trail_page_names_records_and_fields(ae, data_manager):
    html = logged_in(data_manager).get("/audit-trail/", {"model": "safety.adverseevent"}).content.decode()
    assert "Adverse event 1" in html and "safety.adverseevent" not in html.split("<table", 1)[1].split("data-record")[0]
    assert re.search(r'title="grade">[^<]*grade</span>: 1 → 2', html, re.IGNORECASE)
    assert "Onset date" in html or "onset date" in html.lower()
    assert "2024-01-12" in html
    assert "Unlikely" in html  # a choice by its label


def test_linked_records_by_name_and_times_in_site_time(coordinator, data_manager):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    visit = participant.visits.get(visit_code="W0")
    from django.utils import timezone

    moment = timezone.make_aware(timezone.datetime(2024, 1, 10, 8, 0))  # 08:00 site time
    audited_save(
        VitalSigns(participant=participant, visit=visit, timepoint="pre_infusion", measured_at=moment, weight_kg=63),
        user=coordinator,
    )
    html = logged_in(data_manager).get("/audit-trail/", {"model": "dosing.vitalsigns"}).content.decode()
    assert "Vital signs · W0" in html
    assert re.search(r">Visit</span>: — → W0<", html)
    assert "2024-01-10 08:00" in html  # not the UTC value
    assert "→ 4<" not in html


def test_field_history_page_and_icon(ae, coordinator, personas):
    url = f"/history/adverse_event/{ae.pk}/grade/"
    assert Client().get(url).status_code == 302
    assert logged_in(personas["dmc_reviewer"]).get(url).status_code == 403
    html = logged_in(coordinator).get(url).content.decode()
    assert "Source says 2" in html and "alice" in html
    rows = html.split('id="field-history"', 1)[1].split("</table>", 1)[0]
    assert rows.count("<tr>") == 3  # header, the change 1 → 2, the first value
    assert logged_in(coordinator).get(f"/history/adverse_event/{ae.pk}/version/").status_code == 404
    assert logged_in(coordinator).get(f"/history/nothing/{ae.pk}/grade/").status_code == 404
    edit = logged_in(coordinator).get(f"/safety/adverse-events/{ae.pk}/edit/").content.decode()
    link = edit.split(f'<a class="history-link" href="{url}"', 1)[1].split("</a>", 1)[0]
    assert "<svg" in link and 'title="History of CTCAE v5.0 grade"' in link  # drawn: no font needed
    chinese = logged_in(coordinator)
    chinese.post("/language/", {"language": "zh-hans", "next": "/"})
    edit = chinese.get(f"/safety/adverse-events/{ae.pk}/edit/").content.decode()
    assert f'href="{url}" title="CTCAE v5.0 分级 的修改历史"' in edit


def test_audit_csv_file_name_uses_the_site_date(ae, data_manager):
    response = logged_in(data_manager).get("/api/v1/audit-trail.csv")
    assert f"audit-trail-{site_today():%Y%m%d}.csv" in response["Content-Disposition"]


def test_record_page_links_each_fact_to_its_history(ae, coordinator):
    html = logged_in(coordinator).get(f"/safety/adverse-events/{ae.pk}/").content.decode()
    for name in ("term", "onset_date", "grade", "outcome"):
        assert f'href="/history/adverse_event/{ae.pk}/{name}/"' in html, name


def test_names_of_every_linked_model_in_one_query(coordinator, data_manager, django_assert_num_queries):
    """The page names linked records as their own __str__ does (visits by code), in one query whatever
    the models: users, participants, visits, infusions, lab panels, AEs, MedDRA terms, the study."""
    from coding.models import LowestLevelTerm
    from exports.trail_display import linked_names
    from subjects.models import Study, Visit
    from tests.export_data import build_study_data, later_records
    from tests.test_meddra_coding import load

    load()
    built = build_study_data(coordinator)
    panel = later_records(built["p1"], coordinator)["lab_result"].panel
    visit = built["p1"].visits.get(visit_code="W0")
    objects = [coordinator, built["p1"], built["p2"], visit, built["infusion"], panel, built["chills"]]
    objects += [LowestLevelTerm.objects.get(code=90400002), Study.current()]
    wanted = {}
    for obj in objects:
        wanted.setdefault(type(obj), set()).add(obj.pk)
    with django_assert_num_queries(1):
        names = linked_names(wanted)
    expected = {type(obj): {} for obj in objects}
    for obj in objects:
        expected[type(obj)][obj.pk] = obj.visit_code if isinstance(obj, Visit) else str(obj)
    assert names == expected
    assert names[type(built["infusion"])][built["infusion"].pk] == "Infusion 1 of SCR-001"


def test_field_history_names_linked_records(ae, coordinator):
    """A link's history shows the linked record by name (the participant's screening number), not its id."""
    html = logged_in(coordinator).get(f"/history/adverse_event/{ae.pk}/participant/").content.decode()
    rows = html.split('id="field-history"', 1)[1].split("</table>", 1)[0]
    assert ae.participant.screening_number in rows and f"#{ae.participant_id}" not in rows
