"""Streaming a SQL query as CSV with constant memory, and logging every export.

PostgreSQL: `COPY (query) TO STDOUT WITH CSV HEADER` runs in a worker thread on the request's
connection and hands ~64 KB chunks through a small bounded queue, so memory stays flat however
many rows there are and the database does all formatting. Other databases (SQLite in
development): the same query through a cursor read in chunks and written with the csv module.
A query never selects '' (blank text is selected as NULLIF(col, '')), so a missing value is an
empty field on both paths: COPY writes NULL as an empty field and '' as a quoted "".
"""

import csv
import io
import queue
import threading
from collections.abc import Iterable, Iterator

from django.db import connection

from trialsite.models import ExportLog

CHUNK_BYTES = 64 * 1024
FETCH_ROWS = 250
_DONE = object()


def log_export(*, user, export: str, query: str = "") -> ExportLog:
    return ExportLog.objects.create(user=user, export=export[:60], query=query[:500])


# For the export statement only (SET LOCAL, undone afterwards): one long read-only query, so no JIT compilation
# (it costs more than small exports take, and the planner's estimates trigger it on unanalysed tables),
# room to sort in memory, and ISO dates (`date::text` is YYYY-MM-DD under DateStyle ISO).
EXPORT_SETTINGS = {"jit": "off", "work_mem": "64MB", "DateStyle": "ISO, YMD"}


def stream_query_csv(sql: str, params: dict, columns: list[str]) -> Iterator[bytes]:
    """CSV bytes (header `columns`, then one line per row) of `sql`, whose columns are `columns`
    and never '' (see above)."""
    if connection.vendor == "postgresql":
        return _copy_stream(sql, params, columns)
    return _cursor_stream(sql, params, columns)


def _copy_stream(sql: str, params: dict, columns: list[str]) -> Iterator[bytes]:
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        selected = ", ".join(f'q.c{i} AS "{name}"' for i, name in enumerate(columns))
        inner = cur.mogrify(sql, params).decode()
        copy_sql = f"COPY (SELECT {selected} FROM ({inner}) AS q) TO STDOUT WITH (FORMAT csv, HEADER true)"
    chunks: queue.Queue = queue.Queue(maxsize=4)
    cancelled = threading.Event()
    sink = _QueueWriter(chunks, cancelled)

    def produce():
        try:
            with raw.cursor() as cur:
                begin, end = _scope(raw)
                try:  # one round trip for the settings and COPY, one to end their scope
                    cur.copy_expert(f"{begin}; {_set_local(cur)}; {copy_sql}", sink)
                finally:
                    cur.execute(end)
            sink.flush()
            chunks.put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            chunks.put(error)

    worker = threading.Thread(target=produce, name="export-copy", daemon=True)

    def consume() -> Iterator[bytes]:
        worker.start()
        try:
            while (item := chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancelled.set()  # a client that went away: the worker drains COPY without queueing
            while worker.is_alive():
                try:
                    chunks.get(timeout=0.1)
                except queue.Empty:
                    pass
            worker.join()

    return consume()


def _scope(raw) -> tuple[str, str]:
    """Statements around the export's SET LOCALs and COPY: a read-only transaction of its own when
    the connection is idle (the response streams after the request's transaction ended), else a
    savepoint, rolled back to undo the settings and nothing else (COPY TO writes nothing)."""
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    if raw.get_transaction_status() == TRANSACTION_STATUS_IDLE:
        return "BEGIN READ ONLY", "ROLLBACK"
    return "SAVEPOINT trialsite_export", "ROLLBACK TO SAVEPOINT trialsite_export; RELEASE SAVEPOINT trialsite_export"


def _set_local(cur, settings: dict[str, str] = EXPORT_SETTINGS) -> str:
    return "; ".join(cur.mogrify(f"SET LOCAL {name} TO %s", [value]).decode() for name, value in settings.items())


class _QueueWriter:
    """File-like sink for copy_expert: psycopg2 writes one row at a time; we hand on 64 KB chunks."""

    def __init__(self, chunks: queue.Queue, cancelled: threading.Event):
        self.chunks, self.cancelled = chunks, cancelled
        self.parts: list = []
        self.size = 0

    def write(self, data) -> None:
        if self.cancelled.is_set():
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.parts and not self.cancelled.is_set():
            chunk = b"".join(p if isinstance(p, bytes) else p.encode() for p in self.parts)
            self.chunks.put(chunk)
        self.parts, self.size = [], 0


def _cursor_stream(sql: str, params: dict, columns: list[str]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(FETCH_ROWS):
            writer.writerows(_as_text(row) for row in rows)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _as_text(row: Iterable) -> list[str]:
    return ["" if value is None else str(value) for value in row]


def header_then(header: bytes, body: Iterator[bytes]) -> Iterator[bytes]:
    yield header
    yield from body
