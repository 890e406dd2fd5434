"""How a dataset streams: its log row before the first byte, its own transaction, failures, a client
that goes away, and the kept COPY threads (PostgreSQL; the SQLite path saves the log row the same way)."""

import threading
from datetime import UTC, datetime

import psycopg2
import pytest
import time_machine
from django.db import connection, transaction

from tests.conftest import logged_in
from tests.export_data import add_participants
from trialsite.exports.streaming import CHUNK_BYTES, _cursor_stream, export_log, stream_query_csv
from trialsite.models import ExportLog

FAILING = "SELECT 1 / (COUNT(*) - COUNT(*)) AS c0"  # division by zero while COPY runs
MANY_ROWS = "SELECT repeat('x', 100) || n AS c0 FROM generate_series(1, 5000) AS n"  # ~8 chunks


def _idle() -> bool:
    return connection.connection.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def _logs() -> list[tuple]:
    return list(ExportLog.objects.order_by("id").values_list("user__username", "export", "query", "created_at"))


@pytest.mark.django_db(transaction=True)
@time_machine.travel(datetime(2024, 3, 1, 8, 30, tzinfo=UTC), tick=False)
def test_a_download_is_logged_and_ends_its_own_transaction(require_postgres, coordinator, dmc_reviewer):
    add_participants(coordinator, 2)
    client = logged_in(dmc_reviewer)
    response = client.get("/api/v1/exports/sdtm/dm.csv")
    body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 3  # header and two participants
    assert _logs() == [("dmitri", "sdtm/dm.csv", "safety", datetime(2024, 3, 1, 8, 30, tzinfo=UTC))]
    assert _idle()  # the log row's transaction committed, the export's read-only one rolled back


@pytest.mark.django_db(transaction=True)
def test_the_log_row_is_committed_before_the_first_byte(require_postgres, data_manager):
    chunks = stream_query_csv(MANY_ROWS, {}, ["value"], log=export_log(user=data_manager, export="probe"))
    assert len(next(chunks)) >= CHUNK_BYTES  # COPY is running: the log row is already committed
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
        cursor.execute(f"SELECT export FROM {ExportLog._meta.db_table}")
        seen_elsewhere = cursor.fetchall()
    other.close()
    assert sum(len(chunk) for chunk in chunks) > 0
    assert seen_elsewhere == [("probe",)]


@pytest.mark.django_db(transaction=True)
def test_a_failing_export_raises_is_logged_and_leaves_the_connection_idle(require_postgres, data_manager):
    chunks = stream_query_csv(FAILING, {}, ["value"], log=export_log(user=data_manager, export="failing"))
    with pytest.raises(psycopg2.errors.DivisionByZero):
        b"".join(chunks)
    assert _idle()
    assert [row[1] for row in _logs()] == ["failing"]  # the attempt was logged before COPY started
    assert b"".join(stream_query_csv("SELECT 1 AS c0", {}, ["one"])) == b"one\n1\n"  # the connection works


def test_a_failing_export_inside_a_transaction_leaves_it_usable(require_postgres, data_manager):
    with transaction.atomic():
        chunks = stream_query_csv(FAILING, {}, ["value"], log=export_log(user=data_manager, export="failing"))
        with pytest.raises(psycopg2.errors.DivisionByZero):
            b"".join(chunks)
        assert [row[1] for row in _logs()] == ["failing"]  # rolled back to the savepoint after the log row


@pytest.mark.django_db(transaction=True)
def test_a_client_that_goes_away_ends_the_export(require_postgres, data_manager):
    chunks = stream_query_csv(MANY_ROWS, {}, ["value"], log=export_log(user=data_manager, export="left"))
    next(chunks)
    chunks.close()  # what the WSGI server does when the client disconnects
    assert _idle()
    assert b"".join(stream_query_csv("SELECT 2 AS c0", {}, ["two"])) == b"two\n2\n"


def test_copy_threads_are_kept_between_exports(require_postgres, data_manager):
    client = logged_in(data_manager)

    def copy_threads() -> set[int]:
        return {thread.ident for thread in threading.enumerate() if thread.name.startswith("export-copy")}

    b"".join(client.get("/api/v1/exports/sdtm/ae.csv").streaming_content)
    kept = copy_threads()
    for _ in range(5):
        b"".join(client.get("/api/v1/exports/sdtm/ae.csv").streaming_content)
    assert len(kept) >= 1 and copy_threads() == kept
    assert ExportLog.objects.count() == 6


def test_the_cursor_path_saves_the_log_row_before_the_rows(data_manager):
    """SQLite's path (it runs on either database)."""
    chunks = _cursor_stream("SELECT 1 AS c0", {}, ["one"], export_log(user=data_manager, export="cursor"))
    assert not ExportLog.objects.exists()  # nothing before the first byte is asked for
    assert next(chunks) == b"one\n1\n"
    assert [row[1] for row in _logs()] == ["cursor"]
