"""The write guards and after-write hooks that upper layers (locks, signatures) stand on."""

import pytest
from django.core.exceptions import PermissionDenied

from trialsite import audit
from trialsite.audit import audited_delete, audited_save
from trialsite.records import RECORD_TYPES, participant_of, record_type_of, visit_of_record

from .factories import participant as make_participant

pytestmark = pytest.mark.django_db

seen = []


def refuse_initials_zzz(obj, *, deleting):
    if getattr(obj, "initials", None) == "ZZZ" or (deleting and getattr(obj, "initials", None)):
        raise PermissionDenied("refused")


def remember(obj, *, created, changed):
    seen.append((type(obj).__name__, created, sorted(changed)))


@pytest.fixture
def hooks(settings):
    settings.AUDITED_WRITE_GUARDS = ["tests.test_audit_hooks.refuse_initials_zzz"]
    settings.AUDITED_AFTER_WRITE = ["tests.test_audit_hooks.remember"]
    audit._hooks.cache_clear()
    seen.clear()
    yield
    audit._hooks.cache_clear()


def test_after_write_gets_the_changed_fields_and_no_op_saves_call_nothing(hooks, coordinator, study):
    participant = make_participant(coordinator)
    seen.clear()
    participant.initials = "ABC" if participant.initials != "ABC" else "ABD"
    audited_save(participant, user=coordinator, reason="typo")
    assert seen == [("Participant", False, ["initials"])]
    audited_save(participant, user=coordinator, reason="nothing changed")
    assert len(seen) == 1


def test_a_guard_refuses_the_write_and_nothing_is_stored(hooks, coordinator, study):
    participant = make_participant(coordinator)
    before = participant.initials
    participant.initials = "ZZZ"
    with pytest.raises(PermissionDenied):
        audited_save(participant, user=coordinator, reason="try", validate=False)
    participant.refresh_from_db()
    assert participant.initials == before
    with pytest.raises(PermissionDenied):
        audited_delete(participant, user=coordinator, reason="try")


def test_every_record_type_names_a_model_and_leads_to_its_participant(study, coordinator):
    for rt in RECORD_TYPES.values():
        assert record_type_of(rt.model_class()) is rt
    participant = make_participant(coordinator)
    assert participant_of(participant) == participant
    assert visit_of_record(participant) is None
