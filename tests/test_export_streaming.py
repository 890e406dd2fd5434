"""How a dataset streams (PostgreSQL COPY through one worker thread; the csv module elsewhere): the log
row committed before the first byte, failures, a client that goes away, bounded memory, and output that
does not depend on the session's time zone."""

import csv
import io
import tracemalloc
from datetime import UTC, datetime

import psycopg2
import pytest
import time_machine
from django.db import connection

from exports import sdtm
from exports.streaming import CHUNK_BYTES, copy_csv, rows_csv
from tests.conftest import logged_in
from tests.export_data import add_participants, build_study_data
from trialsite.models import ExportLog

FAILING = "SELECT 1 / (COUNT(*) - COUNT(*)) AS value"  # division by zero while COPY runs
MANY_ROWS = "SELECT repeat('x', 100) || n AS value FROM generate_series(1, 5000) AS n"  # ~8 chunks


def _idle() -> bool:
    return connection.connection.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def _logs() -> list[tuple]:
    return list(ExportLog.objects.order_by("id").values_list("user__username", "export", "query", "created_at"))


@pytest.mark.django_db(transaction=True)
@time_machine.travel(datetime(2024, 3, 1, 8, 30, tzinfo=UTC), tick=False)
def test_a_download_is_logged_before_its_first_byte(coordinator, dmc_reviewer):
    add_participants(coordinator, 2)
    response = logged_in(dmc_reviewer).get("/api/v1/exports/sdtm/dm.csv")
    # the view has returned and nothing is read yet: the log row is committed
    assert _logs() == [("dmitri", "sdtm/dm.csv", "safety", datetime(2024, 3, 1, 8, 30, tzinfo=UTC))]
    if connection.vendor == "postgresql":  # and another connection sees it
        with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
            cursor.execute(f"SELECT export, query FROM {ExportLog._meta.db_table}")
            assert cursor.fetchall() == [("sdtm/dm.csv", "safety")]
        other.close()
    body = b"".join(response.streaming_content)
    assert body.count(b"\n") == 3  # header and two participants
    assert len(_logs()) == 1


@pytest.mark.django_db(transaction=True)
def test_copy_streams_in_chunks_and_leaves_the_connection_idle(require_postgres):
    chunks = list(copy_csv(MANY_ROWS, {}))
    assert chunks[0].startswith(b"value\nxxx")
    assert len(chunks) == 8 and all(CHUNK_BYTES <= len(chunk) < CHUNK_BYTES + 200 for chunk in chunks[:-1])
    assert b"".join(chunks).count(b"\n") == 5001
    assert _idle()


@pytest.mark.django_db(transaction=True)
def test_a_failing_export_raises_and_leaves_the_connection_usable(require_postgres):
    with pytest.raises(psycopg2.errors.DivisionByZero):
        b"".join(copy_csv(FAILING, {}))
    assert _idle()
    assert b"".join(copy_csv("SELECT 1 AS one", {})) == b"one\n1\n"


@pytest.mark.django_db(transaction=True)
def test_a_client_that_goes_away_ends_the_export(require_postgres):
    chunks = copy_csv(MANY_ROWS, {})
    next(chunks)
    chunks.close()  # what the WSGI server does when the client disconnects
    assert _idle()
    assert b"".join(copy_csv("SELECT 2 AS two", {})) == b"two\n2\n"


def test_a_stream_that_is_never_read_runs_nothing(require_postgres):
    copy_csv(FAILING, {})  # the response was never iterated (e.g. the client left at once): no error


def test_copy_inside_a_transaction_reads_its_snapshot(require_postgres, data_manager):
    """Inside a transaction (a test's, or a caller's) COPY runs in it, so it sees its uncommitted rows."""
    ExportLog.objects.create(user=data_manager, export="in the transaction")
    sql = f"SELECT export FROM {ExportLog._meta.db_table} ORDER BY id"
    assert b"".join(copy_csv(sql, {})) == b"export\nin the transaction\n"


ODD_VALUES = [(None, 1, 'say "hi", then\nleave'), ("x", None, ""), ("lone\rreturn", "\\.", " spaced ")]


def test_rows_csv_writes_what_copy_writes():
    expected = b'A,B,C\n,1,"say ""hi"", then\nleave"\nx,,""\n"lone\rreturn",\\., spaced \n'
    assert b"".join(rows_csv(["A", "B", "C"], ODD_VALUES)) == expected


def test_rows_csv_and_copy_agree_on_odd_values(require_postgres):
    values = " UNION ALL ".join(
        "SELECT %s::text AS a, %s::text AS b, %s::text AS c, " + str(n) + " AS n" for n in range(len(ODD_VALUES))
    )
    params = [str(v) if v is not None else None for row in ODD_VALUES for v in row]
    with connection.cursor() as cursor:
        statement = cursor.mogrify(f"SELECT a, b, c FROM ({values}) AS v ORDER BY n", params).decode()
    copied = b"".join(copy_csv(statement.replace("%", "%%"), {}))
    assert copied == b"".join(rows_csv(["a", "b", "c"], ODD_VALUES)).replace(b"A,B,C", b"a,b,c")


@pytest.mark.django_db(transaction=True)
def test_output_does_not_depend_on_the_session_time_zone(require_postgres, coordinator, data_manager):
    build_study_data(coordinator)
    client = logged_in(data_manager)
    expected = {domain: b"".join(client.get(f"/api/v1/exports/sdtm/{domain}.csv").streaming_content)
                for domain in sdtm.DATASETS}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SET TimeZone TO 'America/New_York'")
    try:
        for domain, body in expected.items():
            assert b"".join(sdtm.DATASETS[domain].csv()) == body, domain
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET TimeZone")
    assert b"2024-01-10T09:00" in expected["vs"]  # site time, ISO dates


def _measure(chunks) -> tuple[int, int]:
    tracemalloc.start()
    total = sum(len(chunk) for chunk in chunks)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return total, peak


@pytest.mark.django_db(transaction=True)
def test_memory_stays_flat_however_many_rows(require_postgres):
    copy_csv("SELECT 1 AS one", {})  # warm-up: first-use caches are not the export's memory
    small_total, small_peak = _measure(copy_csv(MANY_ROWS, {}))
    total, peak = _measure(copy_csv(MANY_ROWS.replace("5000", "50000"), {}))
    assert total > 9 * small_total
    # at most 4 chunks queued, 1 held by the worker blocked on the full queue, the parts being gathered
    # and their join (2), 1 being handed on: bounded by the design, not by the rows
    assert small_peak < 10 * CHUNK_BYTES and peak < 10 * CHUNK_BYTES, (small_peak, peak)


def test_the_csv_path_has_flat_memory_too():
    def rows(count: int):
        return (("x" * 100, n) for n in range(count))

    small_total, small_peak = _measure(rows_csv(["text", "n"], rows(5_000)))
    total, peak = _measure(rows_csv(["text", "n"], rows(50_000)))
    assert total > 9 * small_total
    assert peak < small_peak + CHUNK_BYTES and peak < 12 * CHUNK_BYTES, (small_peak, peak)


def test_every_dataset_header_is_its_columns(db):
    for domain, dataset in sdtm.DATASETS.items():
        header = next(csv.reader(io.StringIO(b"".join(dataset.csv()).decode())))
        assert tuple(header) == dataset.columns(), domain
