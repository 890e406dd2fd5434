"""AE log: consistency rules, ae_number, causality by investigators only, the AE forms."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from safety import rules
from safety.models import AdverseEvent, SafetyHold
from safety.services import adverse_event_assess, adverse_event_record, adverse_event_update
from subjects.models import Participant
from tests import factories
from tests.conftest import PASSWORD, logged_in
from tests.subjects_helpers import SIGNED

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=TZ)
TODAY = date(2024, 3, 1)

pytestmark = pytest.mark.django_db


def facts(**overrides) -> rules.AdverseEventFacts:
    base = dict(
        onset_date=date(2024, 2, 1),
        end_date=date(2024, 2, 3),
        ongoing=False,
        grade=2,
        serious=False,
        criteria={},
        outcome="recovered",
        consent_date=date(2024, 1, 2),
    )
    base.update(overrides)
    return rules.AdverseEventFacts(**base)


def errors(**overrides) -> dict:
    return rules.consistency_errors(facts(**overrides), today=TODAY, now=NOW)


SAE = dict(serious=True, criteria={"hospitalization": True}, awareness_time=datetime(2024, 2, 2, 9, 0, tzinfo=TZ))
FATAL = dict(
    grade=5,
    outcome="fatal",
    serious=True,
    criteria={"death": True},
    awareness_time=datetime(2024, 2, 3, 9, 0, tzinfo=TZ),
    end_date=date(2024, 2, 3),
)


# --- rules: valid -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"end_date": None, "ongoing": True, "outcome": "not_recovered"},
        {"end_date": date(2024, 2, 1)},  # end on the onset day
        {"onset_date": date(2024, 1, 2)},  # onset on the consent day
        {"onset_date": TODAY, "end_date": TODAY},  # today is not the future
        SAE,
        FATAL,
        {**SAE, "reported_to_sponsor_at": datetime(2024, 2, 2, 9, 0, tzinfo=TZ)},
        {"infusion_reaction": True, "has_infusion": True},
    ],
)
def test_consistent_ae_has_no_errors(overrides):
    assert errors(**overrides) == {}


# --- rules: each violation names its field ------------------------------------------------


@pytest.mark.parametrize(
    "overrides,field,fragment",
    [
        ({"end_date": date(2024, 1, 31)}, "end_date", "before the onset"),
        ({"ongoing": True}, "end_date", "ongoing AE has no end date"),
        ({"end_date": None, "outcome": "not_recovered"}, "ongoing", "tick ongoing"),
        ({"end_date": None, "ongoing": True, "outcome": "recovered"}, "end_date", "recovered/resolved needs an end"),
        ({"grade": 5, "outcome": "recovered"}, "outcome", "Grade 5"),
        ({"outcome": "fatal"}, "grade", "Outcome fatal requires grade 5"),
        ({"grade": 5, "outcome": "fatal"}, "death", "must be serious with the criterion death"),
        ({**SAE, "criteria": {"death": True}}, "death", "requires grade 5"),
        ({"serious": True, "awareness_time": NOW}, "serious", "at least one serious criterion"),
        ({"serious": True, "criteria": {"hospitalization": True}}, "awareness_time", "awareness time"),
        ({"criteria": {"hospitalization": True}}, "serious", "only allowed when the AE is serious"),
        ({"onset_date": date(2024, 1, 1)}, "onset_date", "before informed consent"),
        ({"onset_date": date(2024, 3, 2), "end_date": None, "ongoing": True}, "onset_date", "future"),
        ({"end_date": date(2024, 3, 2)}, "end_date", "future"),
        ({**SAE, "awareness_time": datetime(2024, 3, 1, 12, 1, tzinfo=TZ)}, "awareness_time", "future"),
        (
            {**SAE, "reported_to_sponsor_at": datetime(2024, 2, 2, 8, 59, tzinfo=TZ)},
            "reported_to_sponsor_at",
            "before the awareness",
        ),
        ({**SAE, "reported_to_sponsor_at": datetime(2024, 3, 1, 13, 0, tzinfo=TZ)}, "reported_to_sponsor_at", "future"),
        ({"reported_to_sponsor_at": datetime(2024, 2, 2, 9, 0, tzinfo=TZ)}, "reported_to_sponsor_at", "awareness"),
        ({"infusion_reaction": True}, "infusion", "linked to its infusion"),
        ({"has_infusion": True}, "infusion_reaction", "tick infusion reaction"),
        (
            {"infusion_reaction": True, "has_infusion": True, "infusion_of_participant": False},
            "infusion",
            "another participant",
        ),
    ],
)
def test_each_inconsistency_is_refused_on_its_field(overrides, field, fragment):
    found = errors(**overrides)
    assert field in found, found
    assert any(fragment in message for message in found[field]), found[field]


def test_treatment_emergent_and_related():
    assert rules.is_treatment_emergent(date(2024, 1, 10), date(2024, 1, 10)) is True
    assert rules.is_treatment_emergent(date(2024, 1, 9), date(2024, 1, 10)) is False
    assert rules.is_treatment_emergent(date(2024, 1, 9), None) is False
    assert [rules.is_related(r) for r in ("not_related", "unlikely", "possible", "probable", "definite")] == [
        False,
        False,
        True,
        True,
        True,
    ]


# --- services ----------------------------------------------------------------------------


def ae_fields(**overrides) -> dict:
    fields = dict(
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
    fields.update(overrides)
    return fields


@pytest.fixture
def enrolled(coordinator, study):
    return factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))


def test_ae_numbers_are_1_2_3_per_participant(coordinator, enrolled):
    other = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="CD")
    numbers = [adverse_event_record(participant=enrolled, user=coordinator, **ae_fields()).ae_number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert adverse_event_record(participant=other, user=coordinator, **ae_fields()).ae_number == 1


def test_inconsistent_ae_is_refused_and_nothing_saved(coordinator, enrolled):
    with pytest.raises(ValidationError) as raised:
        adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(end_date=date(2024, 1, 11)))
    assert "end_date" in raised.value.message_dict
    assert AdverseEvent.objects.count() == 0


def test_ae_for_participant_who_never_consented_is_refused(coordinator, study):
    never_consented = Participant(screening_number="SCR-099", initials="ZZ", consent_date=None)
    with pytest.raises(ValidationError) as raised:
        adverse_event_record(participant=never_consented, user=coordinator, **ae_fields())
    assert "no informed consent" in raised.value.message_dict["participant"][0]
    assert AdverseEvent.objects.count() == 0


def test_coordinator_cannot_change_relationship_after_creation(coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    with pytest.raises(ValidationError) as raised:
        adverse_event_update(adverse_event=ae, user=coordinator, reason="typo", relationship="probable")
    assert "Only an investigator" in raised.value.message_dict["relationship"][0]
    ae.refresh_from_db()
    assert ae.relationship == "unlikely"
    # other fields stay editable by the coordinator, with a reason
    adverse_event_update(adverse_event=ae, user=coordinator, reason="source check", term="Tension headache")
    with pytest.raises(ValidationError) as raised:
        adverse_event_update(adverse_event=ae, user=coordinator, reason="", term="x")
    assert "reason_for_change" in raised.value.message_dict
    updated = adverse_event_update(adverse_event=ae, user=investigator, reason="re-assessed", expected=False)
    assert updated.expected is False and updated.causality_assessed_by == investigator


@time_machine.travel(NOW, tick=False)
def test_investigator_assessment_is_audited_with_reason(coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    with pytest.raises(PermissionDenied):
        adverse_event_assess(
            **SIGNED, adverse_event=ae, investigator=coordinator, relationship="possible", expected=False, reason="x"
        )
    with pytest.raises(ValidationError):
        adverse_event_assess(
            **SIGNED, adverse_event=ae, investigator=investigator, relationship="possible", expected=False, reason=""
        )
    assessed = adverse_event_assess(
        **SIGNED,
        adverse_event=ae,
        investigator=investigator,
        relationship="possible",
        expected=False,
        reason="Temporal link",
    )
    assert (assessed.relationship, assessed.expected) == ("possible", False)
    assert assessed.causality_assessed_by == investigator and assessed.causality_assessed_at == NOW
    history = list(assessed.history.order_by("history_id"))
    assert [h.relationship for h in history] == ["unlikely", "possible"]
    assert history[-1].history_change_reason == "Temporal link" and history[-1].history_user == investigator


# --- browser forms -----------------------------------------------------------------------------

FORM = {
    "term": "Injection-site pain",
    "onset_date": "2024-01-12",
    "end_date": "2024-01-14",
    "grade": "2",
    "relationship": "probable",
    "expected": "True",
    "action_taken": "dose_not_changed",
    "outcome": "recovered",
}


def test_coordinator_records_ae_through_the_form(coordinator, enrolled):
    client = logged_in(coordinator)
    page = client.get(f"/safety/participants/{enrolled.pk}/adverse-events/new/")
    assert page.status_code == 200 and "reason_for_change" not in page.content.decode()
    response = client.post(f"/safety/participants/{enrolled.pk}/adverse-events/new/", FORM)
    ae = AdverseEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/safety/adverse-events/{ae.pk}/"
    assert (ae.ae_number, ae.term, ae.grade, ae.relationship, ae.expected) == (
        1,
        "Injection-site pain",
        2,
        "probable",
        True,
    )
    detail = client.get(response["Location"]).content.decode()
    assert "Injection-site pain" in detail and "Probable" in detail


def test_form_shows_rule_errors_next_to_fields_and_saves_nothing(coordinator, enrolled):
    response = logged_in(coordinator).post(
        f"/safety/participants/{enrolled.pk}/adverse-events/new/",
        {**FORM, "grade": "5", "end_date": "2024-01-11", "serious": "on"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "The end date cannot be before the onset date." in html
    assert "Grade 5 (death) requires outcome fatal." in html
    assert "A serious AE needs at least one serious criterion." in html
    assert AdverseEvent.objects.count() == 0


def test_edit_needs_reason_and_locks_causality_for_coordinators(coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    client = logged_in(coordinator)
    page = client.get(f"/safety/adverse-events/{ae.pk}/edit/").content.decode()
    assert re.search(r'<select name="relationship"[^>]*disabled', page)
    form = {**FORM, "version": ae.version}
    no_reason = client.post(f"/safety/adverse-events/{ae.pk}/edit/", {**form, "relationship": "unlikely"})
    assert no_reason.status_code == 200 and "This field is required." in no_reason.content.decode()
    # a tampered POST cannot change the disabled relationship
    response = client.post(
        f"/safety/adverse-events/{ae.pk}/edit/", {**form, "relationship": "definite", "reason_for_change": "Source"}
    )
    assert response.status_code == 302
    ae.refresh_from_db()
    assert (ae.term, ae.relationship) == ("Injection-site pain", "unlikely")
    assert ae.history.order_by("history_id").last().history_change_reason == "Source"
    # the investigator may change it on the same form
    response = logged_in(investigator).post(
        f"/safety/adverse-events/{ae.pk}/edit/",
        {**FORM, "relationship": "definite", "reason_for_change": "Re-read", "version": ae.version},
    )
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.relationship == "definite" and ae.causality_assessed_by == investigator


def test_investigator_assessment_form(coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    url = f"/safety/adverse-events/{ae.pk}/assess/"
    assert logged_in(coordinator).get(url).status_code == 403
    client = logged_in(investigator)
    form = {"relationship": "possible", "expected": "False", "version": ae.version, "password": PASSWORD}
    missing = client.post(url, {**form, "reason": ""})
    assert missing.status_code == 200
    ae.refresh_from_db()
    assert ae.relationship == "unlikely"
    response = client.post(url, {**form, "reason": "Temporal association"})
    assert response.status_code == 302
    ae.refresh_from_db()
    assert (ae.relationship, ae.expected, ae.causality_assessed_by) == ("possible", False, investigator)


def test_hold_release_form(coordinator, investigator, enrolled):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(grade=3, relationship="probable"))
    hold = SafetyHold.objects.get()
    url = f"/safety/holds/{hold.pk}/release/"
    client = logged_in(investigator)
    assert "Release safety hold" in client.get(url).content.decode()
    assert client.post(url, {"reason": "", "version": hold.version, "password": PASSWORD}).status_code == 200
    hold.refresh_from_db()
    assert hold.released_at is None
    signed = {"reason": "DMC reviewed on 2024-02-01", "version": hold.version, "password": PASSWORD}
    assert client.post(url, signed).status_code == 302
    hold.refresh_from_db()
    enrolled.refresh_from_db()
    assert hold.release_reason == "DMC reviewed on 2024-02-01" and enrolled.on_safety_hold is False


def test_participant_include_lists_aes_with_constant_queries(coordinator, enrolled, django_assert_max_num_queries):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    for term in ("Headache", "Cough", "Fatigue"):
        adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(term=term))
    adverse_event_record(
        participant=enrolled, user=coordinator, **ae_fields(term="Fever", grade=3, relationship="definite")
    )
    request = RequestFactory().get("/")
    request.user = coordinator
    participant = Participant.objects.get(pk=enrolled.pk)
    with django_assert_max_num_queries(4):
        html = render_to_string("safety/_participant_safety.html", {"participant": participant}, request=request)
    assert "Headache" in html and "Fever" in html and "On safety hold" in html
    assert f"/safety/holds/{SafetyHold.objects.get().pk}/release/" not in html  # coordinators cannot release


# --- who may reach which page ------------------------------------------------------------------

GET_URLS = {
    "ae_list": (
        "/safety/adverse-events/",
        {"coordinator", "investigator", "data_manager", "api_client_user", "administrator"},
    ),
    "ae_detail": (
        "/safety/adverse-events/{ae}/",
        {"coordinator", "investigator", "data_manager", "api_client_user", "administrator"},
    ),
    "ae_create": ("/safety/participants/{participant}/adverse-events/new/", {"coordinator", "investigator"}),
    "ae_edit": ("/safety/adverse-events/{ae}/edit/", {"coordinator", "investigator"}),
    "ae_assess": ("/safety/adverse-events/{ae}/assess/", {"investigator"}),
    "hold_release": ("/safety/holds/{hold}/release/", {"investigator"}),
    "dashboard": ("/safety/dashboard/", {"investigator", "data_manager", "dmc_reviewer", "administrator"}),
    "listing": (
        "/safety/dashboard/listing/adverse-events/",
        {"investigator", "data_manager", "dmc_reviewer", "administrator"},
    ),
}


@pytest.fixture
def held(coordinator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(grade=3, relationship="probable"))
    return {"ae": ae.pk, "participant": enrolled.pk, "hold": SafetyHold.objects.get().pk}


@pytest.mark.parametrize("name", sorted(GET_URLS))
def test_role_ladder_for_every_page(client, personas, held, name):
    template, allowed = GET_URLS[name]
    url = template.format(**held)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for persona, user in personas.items():
        expected = 200 if persona in allowed else 403
        assert logged_in(user).get(url).status_code == expected, (persona, url)


@pytest.mark.parametrize("persona", ["dmc_reviewer", "data_manager", "api_client_user", "outsider"])
def test_no_data_changing_post_for_read_only_roles(personas, held, persona):
    client = logged_in(personas[persona])
    posts = [
        (f"/safety/participants/{held['participant']}/adverse-events/new/", FORM),
        (f"/safety/adverse-events/{held['ae']}/edit/", {**FORM, "reason_for_change": "x"}),
        (
            f"/safety/adverse-events/{held['ae']}/assess/",
            {"relationship": "definite", "expected": "True", "reason": "x"},
        ),
        (f"/safety/adverse-events/{held['ae']}/reported/", {"reported_to_sponsor_at": "2024-01-12T10:00"}),
        (f"/safety/holds/{held['hold']}/release/", {"reason": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert AdverseEvent.objects.count() == 1 and SafetyHold.objects.get().released_at is None
