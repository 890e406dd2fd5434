"""The audit trail is a hash chain: every history row, across all record types, in one global order,
stores the hash of its content and of the row before it. `verify_audit` recomputes it and names the
first row changed, deleted or inserted out of order, even by someone with superuser access; the
chain's head is published with every audit-trail export; a nightly task checks it."""

import csv
import io
import threading
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection

from safety.models import AdverseEvent
from subjects.models import Participant
from tests import factories
from tests.conftest import IN_CI, logged_in, make_user
from tests.export_data import build_study_data
from tests.migration_graph import executor as migration_executor
from tests.migration_graph import migrate_to_latest
from trialsite import chain
from trialsite.audit import audited_save
from trialsite.celery import app
from trialsite.models import AuditCheck
from trialsite.roles import Role

ALL_APPS = list(settings.INSTALLED_APPS)


def verify_audit() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def data(coordinator, data_manager):
    built = build_study_data(coordinator)
    headache = built["headache"]
    headache.grade = 2
    audited_save(headache, user=data_manager, reason="Source document says grade 2")
    return built


def as_superuser_without_triggers(sql: str, params=()) -> None:
    """What someone with superuser access to the database could do: no trigger stops them."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_an_intact_trail_verifies_and_prints_its_head(data):
    code, output = verify_audit()
    head = chain.head()
    assert code == 0, output
    assert head.position == sum(1 for _ in chain.all_rows()) > 20
    assert f"{head.position}" in output and head.chain_hash in output


def test_positions_are_one_global_sequence_across_record_types(data):
    rows = list(chain.all_rows())
    assert [row.chain_position for row in rows] == list(range(1, len(rows) + 1))
    assert len({type(row) for row in rows}) >= 6
    assert rows[0].chain_hash == chain.link_hash(chain.GENESIS, 1, rows[0].row_hash)
    for before, row in zip(rows, rows[1:], strict=False):
        assert row.chain_hash == chain.link_hash(before.chain_hash, row.chain_position, row.row_hash)


def test_a_row_rewritten_by_a_superuser_is_found(require_postgres, data):
    headache = data["headache"]
    record = headache.history.order_by("history_id").first()
    table = record._meta.db_table
    as_superuser_without_triggers(
        f'UPDATE "{table}" SET grade = 3 WHERE history_id = %s', [record.history_id]
    )  # the original grade, 1, "never happened"
    code, output = verify_audit()
    assert code != 0
    assert "changed" in output and table in output and f"history_id {record.history_id}" in output


def test_a_row_deleted_by_a_superuser_is_found(require_postgres, data):
    record = Participant.history.order_by("history_id").first()
    table = record._meta.db_table
    as_superuser_without_triggers(f'DELETE FROM "{table}" WHERE history_id = %s', [record.history_id])
    code, output = verify_audit()
    assert code != 0
    assert "deleted" in output and f"position {record.chain_position}" in output


def test_the_last_row_deleted_is_found(require_postgres, data):
    last = list(chain.all_rows())[-1]
    as_superuser_without_triggers(f'DELETE FROM "{last._meta.db_table}" WHERE history_id = %s', [last.history_id])
    code, output = verify_audit()
    assert code != 0 and "deleted" in output and f"position {last.chain_position}" in output


def test_a_row_inserted_outside_the_application_is_found(require_postgres, data, coordinator):
    record = AdverseEvent.history.order_by("history_id").first()
    table = record._meta.db_table
    as_superuser_without_triggers(
        f'INSERT INTO "{table}" (id, version, created_at, updated_at, participant_id, ae_number, term, onset_date, '
        "ongoing, grade, serious, death, life_threatening, hospitalization, disability, congenital_anomaly, "
        "important_medical_event, relationship, expected, action_taken, outcome, infusion_reaction, "
        "history_date, history_type, history_change_reason, chain_fields, row_hash, chain_hash) "
        "SELECT id, version, created_at, updated_at, participant_id, ae_number, 'Backdated', onset_date, ongoing, "
        "grade, serious, death, life_threatening, hospitalization, disability, congenital_anomaly, "
        "important_medical_event, relationship, expected, action_taken, outcome, infusion_reaction, "
        "history_date, '~', 'forged', chain_fields, '', '' "
        f'FROM "{table}" WHERE history_id = %s',
        [record.history_id],
    )
    code, output = verify_audit()
    assert code != 0 and "inserted" in output and table in output


def test_a_row_inserted_into_the_middle_of_the_chain_is_found(require_postgres, data):
    first, second = list(chain.all_rows())[:2]
    table = second._meta.db_table
    # A copy of the second row claiming the first row's place, with hashes that fit the first row.
    as_superuser_without_triggers(
        f'UPDATE "{table}" SET chain_position = %s, chain_hash = %s WHERE history_id = %s',
        [first.chain_position, first.chain_hash, second.history_id],
    )
    code, output = verify_audit()
    assert code != 0 and ("out of order" in output or "inserted" in output or "changed" in output)


def test_the_head_closes_every_audit_trail_export(data, data_manager):
    client = logged_in(data_manager)
    head = chain.head()
    body = client.get("/api/v1/audit-trail/").json()
    assert body["chain_head"] == {"position": head.position, "hash": head.chain_hash}
    content = b"".join(client.get("/api/v1/audit-trail.csv").streaming_content).decode()
    last = list(csv.reader(io.StringIO(content)))[-1]
    assert str(head.position) in last and head.chain_hash in last
    page = client.get("/audit-trail/").content.decode()
    assert head.chain_hash in page


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_two_writers_at_once_still_give_one_valid_chain(require_postgres, coordinator):
    participants = [factories.participant(coordinator, initials=initials) for initials in ("AA", "BB")]
    before = chain.head().position
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(participant: Participant) -> None:
        try:
            barrier.wait()
            for n in range(15):
                fresh = Participant.objects.get(pk=participant.pk)
                fresh.consent_version = f"{n + 2}.0"
                audited_save(fresh, user=coordinator, reason=f"Re-consent {n}")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(p,)) for p in participants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = chain.verify()
    assert result.ok, result.problems
    assert result.rows == before + 30 == chain.head().position


# --- The nightly check -------------------------------------------------------------------------


def test_the_nightly_check_is_in_the_one_beat_schedule():
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "trialsite.tasks.verify_audit_trail"]
    assert len(entries) == 1


def test_the_nightly_check_records_an_intact_trail_quietly(data):
    from trialsite import tasks

    assert tasks.verify_audit_trail() is True
    check = AuditCheck.objects.get()
    assert check.intact and check.head_position == chain.head().position
    assert mail.outbox == []


def test_the_nightly_check_tells_the_data_managers_when_the_trail_was_rewritten(require_postgres, data):
    from trialsite import tasks

    make_user("dora", Role.DATA_MANAGER)
    record = Participant.history.order_by("history_id").first()
    as_superuser_without_triggers(
        f'UPDATE "{record._meta.db_table}" SET initials = %s WHERE history_id = %s', ["ZZ", record.history_id]
    )
    assert tasks.verify_audit_trail() is False
    check = AuditCheck.objects.get()
    assert not check.intact and "changed" in check.problem
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"dana@example.org", "dora@example.org"}
    assert "audit trail" in message.subject.lower() and str(record.history_id) in message.body
    assert check_sent(check)
    tasks.verify_audit_trail()  # a second failing run tells them again (a new check), never twice per check
    assert len(mail.outbox) == 2


def check_sent(check: AuditCheck) -> bool:
    check.refresh_from_db()
    return check.notified_at is not None


# --- Existing rows ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_rows_written_before_the_chain_existed_are_chained_once_by_the_migration(require_postgres, coordinator):
    factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    before = [
        ("trialsite", "0003_dataversion"),
        ("subjects", "0004_screening_failed_index"),
        ("assessments", "0003_pasi_visit_improvement_index"),
        ("dosing", "0002_infusion_participant_cells_index"),
        ("safety", "0002_reminder_sweep_run"),
    ]
    written = {app for app, _ in before}
    try:
        migration_executor(written).migrate(before)
        with connection.cursor() as cursor:
            cursor.execute('SELECT count(*) FROM "subjects_historicalvisit"')
            assert cursor.fetchone()[0] == 7
    finally:
        migrate_to_latest(written)
    result = chain.verify()
    assert result.ok, result.problems
    assert result.rows == chain.head().position >= 9


@pytest.fixture
def redis_worker_broker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        if IN_CI:
            pytest.fail("the Celery worker test needs CELERY_BROKER_URL=redis://...")
        pytest.skip("needs Redis (set CELERY_BROKER_URL=redis://127.0.0.1:6379/<db>)")
    app.control.purge()  # leftovers of earlier runs must not reach this worker


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_a_real_worker_runs_the_nightly_check_and_tells_the_data_managers(
    require_postgres, redis_worker_broker, coordinator
):
    from celery.contrib.testing.worker import start_worker
    from django.db import connections

    from tests.test_reminder_worker import wait_for
    from trialsite import tasks

    make_user("dora", Role.DATA_MANAGER)
    factories.participant(coordinator)
    record = Participant.history.order_by("history_id").first()
    with connection.cursor() as cursor:  # committed: the worker has a connection of its own
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f'DELETE FROM "{record._meta.db_table}" WHERE history_id = %s', [record.history_id])
        cursor.execute("SET session_replication_role = origin")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            tasks.verify_audit_trail.delay()
            assert wait_for(lambda: AuditCheck.objects.filter(notified_at__isnull=False).exists())
    finally:
        connections.close_all()
    check = AuditCheck.objects.get()
    assert not check.intact and check.problem.startswith("deleted")
    assert [message.to for message in mail.outbox] == [["dora@example.org"]]
