"""How a dataset streams: its log row committed before the first byte (on a kept connection of its own
while COPY runs, or first in COPY's round trip), its own transaction, failures, a client that goes
away, and the kept COPY threads (PostgreSQL; the SQLite path saves the log row the same way). Each
holds for both ways of sending it: streamed as COPY gives it, and whole (a small dataset, spooled)."""

import threading
from datetime import UTC, datetime

import psycopg2
import pytest
import time_machine
from django.db import connection, transaction

from exports.streaming import (
    CHUNK_BYTES,
    _cursor_stream,
    close_log_connections,
    export_log,
    stream_query_csv,
)
from tests.conftest import logged_in
from tests.export_data import add_participants
from trialsite.models import ExportLog

FAILING = "SELECT 1 / (COUNT(*) - COUNT(*)) AS c0"  # division by zero while COPY runs
MANY_ROWS = "SELECT repeat('x', 100) || n AS c0 FROM generate_series(1, 5000) AS n"  # ~8 chunks


def _idle() -> bool:
    return connection.connection.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def _log_writers() -> list[int]:
    """Backends of this database, other than the request's, whose last statement wrote an export log row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state = 'idle' AND query LIKE %s",
            [f'INSERT INTO "{ExportLog._meta.db_table}"%'],
        )
        return [pid for (pid,) in cursor.fetchall()]


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


@pytest.mark.parametrize("whole", [False, True], ids=["streamed", "whole"])
@pytest.mark.django_db(transaction=True)
def test_the_log_row_is_committed_before_the_first_byte(require_postgres, data_manager, whole):
    chunks = stream_query_csv(MANY_ROWS, {}, ["value"], log=export_log(user=data_manager, export="probe"), whole=whole)
    assert len(next(chunks)) > CHUNK_BYTES // 2  # the first chunk: the log row is already committed
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
        cursor.execute(f"SELECT export FROM {ExportLog._meta.db_table}")
        seen_elsewhere = cursor.fetchall()
    other.close()
    assert sum(len(chunk) for chunk in chunks) > 0
    assert seen_elsewhere == [("probe",)]


@pytest.mark.parametrize("whole", [False, True], ids=["streamed", "whole"])
@pytest.mark.django_db(transaction=True)
def test_a_failing_export_raises_is_logged_and_leaves_the_connection_idle(require_postgres, data_manager, whole):
    chunks = stream_query_csv(FAILING, {}, ["value"], log=export_log(user=data_manager, export="failing"), whole=whole)
    with pytest.raises(psycopg2.errors.DivisionByZero):
        b"".join(chunks)
    assert _idle()
    assert [row[1] for row in _logs()] == ["failing"]  # the attempt was logged before COPY started
    assert b"".join(stream_query_csv("SELECT 1 AS c0", {}, ["one"])) == b"one\n1\n"  # the connection works


@pytest.mark.parametrize("whole", [False, True], ids=["streamed", "whole"])
def test_a_failing_export_inside_a_transaction_leaves_it_usable(require_postgres, data_manager, whole):
    with transaction.atomic():
        chunks = stream_query_csv(
            FAILING, {}, ["value"], log=export_log(user=data_manager, export="failing"), whole=whole
        )
        with pytest.raises(psycopg2.errors.DivisionByZero):
            b"".join(chunks)
        assert [row[1] for row in _logs()] == ["failing"]  # rolled back to the savepoint after the log row


@pytest.mark.parametrize("whole", [False, True], ids=["streamed", "whole"])
@pytest.mark.django_db(transaction=True)
def test_a_client_that_goes_away_ends_the_export(require_postgres, data_manager, whole):
    chunks = stream_query_csv(MANY_ROWS, {}, ["value"], log=export_log(user=data_manager, export="left"), whole=whole)
    next(chunks)
    chunks.close()  # what the WSGI server does when the client disconnects
    assert _idle()
    assert b"".join(stream_query_csv("SELECT 2 AS c0", {}, ["two"])) == b"two\n2\n"


def test_copy_threads_are_kept_between_exports(require_postgres, data_manager):
    client = logged_in(data_manager)

    def copy_threads() -> set[int]:
        return {thread.ident for thread in threading.enumerate() if thread.name.startswith("export")}

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


@pytest.mark.django_db(transaction=True)
def test_the_log_row_is_written_on_a_kept_connection_while_copy_runs(require_postgres, data_manager):
    close_log_connections()
    client = logged_in(data_manager)
    for _ in range(3):
        body = b"".join(client.get("/api/v1/exports/sdtm/ae.csv").streaming_content)
        assert body.startswith(b"STUDYID,DOMAIN,USUBJID,AESEQ")
    writers = _log_writers()
    assert len(writers) == 1  # one connection, kept between the three exports, idle between them
    assert [row[:2] for row in _logs()] == [("dana", "sdtm/ae.csv")] * 3
    assert _idle()


@pytest.mark.parametrize("whole", [False, True], ids=["streamed", "whole"])
@pytest.mark.django_db(transaction=True)
def test_a_log_row_that_cannot_be_written_stops_the_export_before_its_first_byte(require_postgres, data_manager, whole):
    gone = export_log(user=data_manager, export="orphan")
    gone.user_id = data_manager.pk + 1000  # no such user: the INSERT fails on its foreign key
    chunks = stream_query_csv(MANY_ROWS, {}, ["value"], log=gone, whole=whole)
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        next(chunks)
    assert not ExportLog.objects.exists()
    assert _idle()  # COPY, which had started, ended with its read-only transaction
    assert b"".join(stream_query_csv("SELECT 3 AS c0", {}, ["three"])) == b"three\n3\n"


@pytest.mark.django_db(transaction=True)
def test_a_kept_log_connection_that_the_server_ended_is_replaced(require_postgres, data_manager):
    close_log_connections()
    b"".join(stream_query_csv("SELECT 1 AS c0", {}, ["one"], log=export_log(user=data_manager, export="first")))
    (writer,) = _log_writers()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [writer])  # e.g. a server restart
    second = stream_query_csv("SELECT 2 AS c0", {}, ["two"], log=export_log(user=data_manager, export="second"))
    assert b"".join(second) == b"two\n2\n"
    assert [row[1] for row in _logs()] == ["first", "second"]
    assert writer not in _log_writers()


@pytest.mark.parametrize("whole", [False, True], ids=["streamed", "whole"])
@pytest.mark.django_db(transaction=True)
def test_without_kept_connections_the_log_row_goes_first_in_the_copy_round_trip(
    require_postgres, data_manager, monkeypatch, whole
):
    close_log_connections()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    chunks = stream_query_csv(MANY_ROWS, {}, ["value"], log=export_log(user=data_manager, export="inline"), whole=whole)
    assert sum(len(chunk) for chunk in chunks) > 5000 * 100
    assert [row[1] for row in _logs()] == ["inline"]
    assert _log_writers() == []  # no connection of its own: the COPY's round trip wrote it
    assert _idle()


@pytest.mark.django_db(transaction=True)
def test_a_whole_dataset_beyond_the_spool_goes_to_a_file_with_bounded_memory(
    require_postgres, data_manager, monkeypatch
):
    import tracemalloc

    from exports import streaming

    monkeypatch.setattr(streaming, "SPOOL_BYTES", 2 * CHUNK_BYTES)
    spilled = []
    opened = streaming.tempfile.TemporaryFile
    monkeypatch.setattr(streaming.tempfile, "TemporaryFile", lambda: spilled.append(1) or opened())
    streamed = b"".join(stream_query_csv(MANY_ROWS, {}, ["value"]))
    tracemalloc.start()
    chunks = stream_query_csv(MANY_ROWS, {}, ["value"], log=export_log(user=data_manager, export="big"), whole=True)
    sizes = [len(chunk) for chunk in chunks]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert spilled == [1] and sum(sizes) == len(streamed) > 7 * CHUNK_BYTES
    assert max(sizes) == CHUNK_BYTES and len(sizes) == 8
    assert peak < 5 * CHUNK_BYTES, peak  # the spool's 2 chunks in memory, one read back, one held: not the rows
    assert b"".join(stream_query_csv(MANY_ROWS, {}, ["value"], whole=True)) == streamed
    assert [row[1] for row in _logs()] == ["big"]


def test_small_datasets_are_sent_whole_and_the_others_stream():
    from exports import sdtm

    whole = {domain for domain in sdtm.DOMAINS if sdtm._built(domain, "postgresql", False).whole}
    assert whole == {"dm", "ie", "ae"}
