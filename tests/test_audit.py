"""The audit trail: who, when (UTC), old -> new and why, for every write of clinical data."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from subjects.models import Participant
from tests import factories
from trialsite.audit import INITIAL_ENTRY, audited_delete, audited_save, field_changes


def test_first_save_is_recorded_as_initial_entry_with_user(coordinator):
    p = factories.participant(coordinator, initials="JD")
    record = p.history.get()
    assert record.history_type == "+"
    assert record.history_user == coordinator
    assert record.history_change_reason == INITIAL_ENTRY
    assert record.history_date.utcoffset().total_seconds() == 0  # stored in UTC


def test_change_without_reason_is_refused_and_nothing_changes(coordinator):
    p = factories.participant(coordinator, initials="JD")
    p.initials = "JX"
    with pytest.raises(ValidationError) as excinfo:
        audited_save(p, user=coordinator, reason="  ")
    assert "reason_for_change" in excinfo.value.message_dict
    assert Participant.objects.get(pk=p.pk).initials == "JD"
    assert p.history.count() == 1


def test_plain_save_of_saved_record_without_reason_is_refused(coordinator):
    """No code path can write around the rule: the model's save() enforces it too."""
    p = factories.participant(coordinator)
    p.consent_version = "2.0"
    with pytest.raises(ValidationError):
        p.save()


def test_change_with_reason_records_old_new_user_and_reason(coordinator, data_manager):
    p = factories.participant(coordinator, initials="JD", date_of_birth=date(1980, 1, 1))
    p.initials = "JK"
    audited_save(p, user=data_manager, reason="Transcription error, source document checked")
    new, old = p.history.all()[:2]
    assert new.history_user == data_manager
    assert new.history_change_reason == "Transcription error, source document checked"
    assert [(name, before, after) for name, before, after in field_changes(new, old)] == [("initials", "JD", "JK")]


def test_a_reason_covers_one_write_only(coordinator):
    p = factories.participant(coordinator)
    p.consent_version = "2.0"
    audited_save(p, user=coordinator, reason="Re-consent")
    p.consent_version = "3.0"
    with pytest.raises(ValidationError):
        p.save()


def test_delete_needs_a_reason_and_is_recorded(coordinator):
    p = factories.participant(coordinator)
    with pytest.raises(ValidationError):
        p.delete()
    pk = p.pk
    audited_delete(p, user=coordinator, reason="Registered twice by mistake")
    assert not Participant.objects.filter(pk=pk).exists()
    last = Participant.history.filter(id=pk).first()
    assert last.history_type == "-"
    assert last.history_change_reason == "Registered twice by mistake"


def test_invalid_data_is_not_half_saved(coordinator):
    p = factories.participant(coordinator, initials="JD")
    p.initials = "jd1"
    with pytest.raises(ValidationError):
        audited_save(p, user=coordinator, reason="typo")
    assert Participant.objects.get(pk=p.pk).initials == "JD"
    assert p.history.count() == 1


def test_history_rows_cannot_be_changed_or_deleted_in_postgres(require_postgres, coordinator):
    p = factories.participant(coordinator)
    record = p.history.get()
    for statement in (
        f"UPDATE {record._meta.db_table} SET history_change_reason = 'forged' WHERE history_id = %s",
        f"DELETE FROM {record._meta.db_table} WHERE history_id = %s",
    ):
        with pytest.raises(DatabaseError, match="cannot be changed or deleted"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [record.history_id])
    assert p.history.get().history_change_reason == INITIAL_ENTRY
