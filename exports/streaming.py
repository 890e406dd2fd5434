"""Streaming a SQL query as CSV with constant memory, and logging every export.

PostgreSQL: `COPY (query) TO STDOUT WITH CSV HEADER` runs in a worker thread on the request's
connection and hands ~64 KB chunks through a small bounded queue, so memory stays flat however
many rows there are and the database does all formatting (a small dataset, `whole`, is copied on
the request's thread into a bounded spool instead, see _whole). The read-only transaction, its settings,
COPY and the end of that transaction are one round trip. The export's log row is written on a
connection kept for log rows while COPY runs, so its durable commit (a WAL flush) overlaps the query
instead of preceding it; no byte is handed on before it has committed. (Inside a transaction, or
with CONN_MAX_AGE 0, the log row goes first in the COPY's own round trip instead.) The worker
threads are kept between exports (starting a thread costs more than a small dataset takes to COPY).
Other databases (SQLite in development): the log row is saved, then the same query is read through
a cursor in chunks and written with the csv module.
A query never selects '' (blank text is selected as NULLIF(col, '')), so a missing value is an
empty field on both paths: COPY writes NULL as an empty field and '' as a quoted "".
"""

import csv
import io
import queue
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg2
from django.db import connection
from psycopg2 import Error as DatabaseError
from psycopg2 import InterfaceError, OperationalError
from psycopg2.errors import UndefinedFunction
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from exports import functions
from trialsite.models import ExportLog

CHUNK_BYTES = 64 * 1024
FETCH_ROWS = 250
_DONE = object()


def export_log(*, user, export: str, query: str = "") -> ExportLog:
    """The log row of an export, not yet saved: a dataset stream saves it before its first byte."""
    return ExportLog(user=user, export=export[:60], query=query[:500])


def log_export(*, user, export: str, query: str = "") -> ExportLog:
    log = export_log(user=user, export=export, query=query)
    log.save()
    return log


# For the export statement only (SET LOCAL, undone afterwards): one long read-only query, so no JIT compilation
# (it costs more than small exports take, and the planner's estimates trigger it on unanalysed tables),
# room to sort in memory, ISO dates (`date::text` is YYYY-MM-DD under DateStyle ISO), and no merge joins:
# the planner picks hash joins and nested loops for every dataset at 1 000 and 10 000 participants, and
# building the merge-join paths it then discards was the largest part of planning the small ones
# (IE: 0.17 of 0.85 ms). Hash joins fit in that work_mem at any size this study reaches.
EXPORT_SETTINGS = {"jit": "off", "work_mem": "64MB", "DateStyle": "ISO, YMD", "enable_mergejoin": "off"}


def stream_query_csv(
    sql: str,
    params: dict,
    columns: list[str],
    *,
    log: ExportLog | None = None,
    function: str = "",
    whole: bool = False,
) -> Iterator[bytes]:
    """CSV bytes (header `columns`, then one line per row) of `sql`, whose columns are `columns`
    and never '' (see above). `log` (unsaved, see export_log) is saved before the first byte.
    `function`: a database function holding `sql` (PostgreSQL, exports.functions), used
    instead of it while it exists. `whole`: a dataset of a few rows per participant, which COPY
    gives whole before the first byte (PostgreSQL, see _whole) instead of streaming it."""
    if connection.vendor == "postgresql":
        return _copy_stream(sql, params, columns, log, function, whole)
    return _cursor_stream(sql, params, columns, log)


# Threads that run COPY, or an export's log row, for the request threads; kept between exports and
# created as needed (one per export at the same moment), so a slow client blocks no other export.
_export_threads = ThreadPoolExecutor(max_workers=32, thread_name_prefix="export")


def _copy_stream(
    sql: str, params: dict, columns: list[str], log: ExportLog | None, function: str, whole: bool
) -> Iterator[bytes]:
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        inner = cur.mogrify(sql, params).decode()
        settings = _set_local(cur)
    copy_sql = _copy_sql(inner, columns)
    kept_sql = _copy_sql(functions.call_sql(function), columns) if functions.usable(function) else ""

    def copy(cur, begin: str, end: str, statement: str, sink) -> None:
        try:  # one round trip: the scope, its settings, COPY and its end (the log row first unless apart)
            cur.copy_expert(f"{begin}; {settings}; {statement}; {end}", sink)
        except BaseException:
            _end_after_failure(raw, cur, end)
            raise

    def run(begin: str, end: str, sink) -> None:
        """COPY into `sink`: from the dataset's function while it exists, else its statement."""
        with raw.cursor() as cur:
            if not kept_sql:
                copy(cur, begin, end, copy_sql, sink)
                return
            try:
                copy(cur, begin, end, kept_sql, sink)
            except UndefinedFunction:  # before any row; a log row that went first is written
                functions.missing(function)
                copy(cur, *_scope(raw, None), copy_sql, sink)

    return (_whole if whole else _streamed)(raw, run, log)


def _streamed(raw, run, log: ExportLog | None) -> Iterator[bytes]:
    """COPY in a kept thread on the request's connection, handing on 64 KB chunks through a queue of
    four as they come, so memory stays flat for any number of rows."""
    chunks: queue.Queue = queue.Queue(maxsize=4)
    cancelled = threading.Event()
    sink = _QueueWriter(chunks, cancelled)

    def produce(begin: str, end: str) -> None:
        try:
            run(begin, end, sink)
            sink.flush()
            chunks.put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            chunks.put(error)

    insert = _insert_apart(raw, log)  # needs the request's connection, so before COPY holds it
    worker = _export_threads.submit(produce, *_scope(raw, None if insert else log))
    try:
        if insert:
            _log_connections.execute(connection, insert)  # committed before the first chunk is handed on
        while (item := chunks.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancelled.set()  # a client that went away: the worker drains COPY without queueing
        _drain(chunks)  # a chunk it is blocked handing on; after it, at most one more and the end
        worker.result()


def _whole(raw, run, log: ExportLog | None) -> Iterator[bytes]:
    """COPY on the request's thread into a spool (memory up to SPOOL_BYTES, then a temporary file),
    while a kept thread commits the log row on its own connection; the chunks follow once both are
    done. For a small dataset this saves the hand-overs to and from a COPY thread (0.1-0.5 ms of a
    3-7 ms download at 1 000 participants); its first byte waits for its last row, which for DM, IE
    and AE at 10 000 participants is 10-40 ms."""
    insert = _insert_apart(raw, log)
    begin, end = _scope(raw, None if insert else log)
    logged = _export_threads.submit(_log_connections.execute, connection, insert) if insert else None
    spool = _Spool()
    try:
        try:
            run(begin, end, spool)
        finally:
            if logged is not None:
                logged.result()  # committed before the first byte; its failure is the one reported
        yield from spool.chunks()
    finally:
        spool.close()


SPOOL_BYTES = 4 * 1024 * 1024


class _Spool:
    """File-like sink for copy_expert, which writes one row at a time: a buffered writer (C) gathers
    the rows into 64 KB chunks, kept in memory up to SPOOL_BYTES and all in a temporary file beyond
    that, so memory stays bounded for any number of rows."""

    def __init__(self):
        self.raw = _SpoolChunks()
        self.writer = io.BufferedWriter(self.raw, buffer_size=CHUNK_BYTES)
        self.write = self.writer.write  # called per row: no Python frame

    def chunks(self) -> Iterator[bytes]:
        self.writer.flush()
        if self.raw.file is None:
            yield from self.raw.parts
            return
        self.raw.file.seek(0)
        while chunk := self.raw.file.read(CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self.raw.parts = []
        if self.raw.file is not None:
            self.raw.file.close()


class _SpoolChunks(io.RawIOBase):
    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0
        self.file = None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.file is None and self.size + len(data) > SPOOL_BYTES:
            self.file = tempfile.TemporaryFile()
            self.file.writelines(self.parts)
            self.parts = []
        if self.file is not None:
            self.file.write(data)
        else:
            self.parts.append(bytes(data))  # the writer reuses its buffer
            self.size += len(data)
        return len(data)


def _insert_apart(raw, log: ExportLog | None) -> str:
    """The log row's INSERT when it is written on a kept connection of its own (else '': no row, or
    it goes first in COPY's round trip)."""
    return _insert_sql(raw, log) if log is not None and _log_connections.usable(connection, raw) else ""


def _drain(chunks: queue.Queue) -> None:
    """Empty the queue without waiting. Once `cancelled` is set the worker queues no more than the
    chunk it may be blocked on and its end (or error), which a queue of four always has room for,
    so the consumer then waits for the worker itself rather than polling the queue with a timeout."""
    while True:
        try:
            chunks.get_nowait()
        except queue.Empty:
            return


def _end_after_failure(raw, cur, end: str) -> None:
    """A statement failed, so those after it did not run: end the scope; the first error is the one
    to report (a savepoint the failure came before cannot be rolled back to)."""
    if raw.get_transaction_status() != TRANSACTION_STATUS_IDLE:
        try:
            cur.execute(end)
        except DatabaseError:
            pass


def _scope(raw, log: ExportLog | None) -> tuple[str, str]:
    """Statements around the export's SET LOCALs and COPY: a read-only transaction of its own when
    the connection is idle (the response streams after the request's transaction ended), after the
    log row's own committed transaction; else (inside a transaction, e.g. a test's) the log row in
    that transaction and a savepoint. Either is rolled back to undo the settings and nothing else
    (COPY TO writes nothing)."""
    insert = _insert_sql(raw, log) if log is not None else ""
    if raw.get_transaction_status() == TRANSACTION_STATUS_IDLE:
        logged = f"BEGIN; {insert}; COMMIT; " if insert else ""
        return f"{logged}BEGIN READ ONLY", "ROLLBACK"
    logged = f"{insert}; " if insert else ""
    return (
        f"{logged}SAVEPOINT trialsite_export",
        "ROLLBACK TO SAVEPOINT trialsite_export; RELEASE SAVEPOINT trialsite_export",
    )


class _LogConnections:
    """Autocommit connections that write export log rows while COPY runs on the request's connection,
    kept between exports as Django keeps its own (closed when older than CONN_MAX_AGE; none with
    CONN_MAX_AGE 0: a new connection costs more than the commit it would overlap). Each holds no
    transaction and no lock between exports. One exporting request thread uses one at a time."""

    KEEP = 8

    def __init__(self):
        self._lock = threading.Lock()
        self._kept: dict[tuple, list[tuple]] = {}

    @staticmethod
    def usable(conn, raw) -> bool:
        """The request's connection is idle (outside one, the log row belongs to its transaction)."""
        return conn.settings_dict["CONN_MAX_AGE"] != 0 and raw.get_transaction_status() == TRANSACTION_STATUS_IDLE

    def execute(self, conn, sql: str) -> None:
        """Run `sql` on a kept connection to conn's database (a new one if none is, or if the kept one
        turns out to be gone, e.g. after a server restart), committing it. A connection lost between
        the commit and its answer means the row is written twice: a log row too many, never one less."""
        params = conn.get_connection_params()
        key = tuple(sorted((name, repr(value)) for name, value in params.items()))
        max_age = conn.settings_dict["CONN_MAX_AGE"]
        kept = self._take(key, max_age)
        if kept is not None:
            try:
                self._run(kept[0], sql)
                self._give(key, kept)
                return
            except (OperationalError, InterfaceError):
                pass  # closed by _run: once more on a new connection
        fresh = psycopg2.connect(**params)
        fresh.autocommit = True
        self._run(fresh, sql)
        self._give(key, (fresh, time.monotonic()))

    @staticmethod
    def _run(raw, sql: str) -> None:
        try:
            with raw.cursor() as cur:
                cur.execute(sql)
        except BaseException:
            raw.close()
            raise

    def _take(self, key: tuple, max_age: int | None):
        with self._lock:
            kept = self._kept.get(key, [])
            while kept:
                raw, opened = kept.pop()
                if not raw.closed and (max_age is None or time.monotonic() - opened < max_age):
                    return raw, opened
                raw.close()
        return None

    def _give(self, key: tuple, kept: tuple) -> None:
        with self._lock:
            spare = self._kept.setdefault(key, [])
            if len(spare) < self.KEEP:
                spare.append(kept)
                return
        kept[0].close()

    def close_all(self) -> None:
        with self._lock:
            kept, self._kept = self._kept, {}
        for connections in kept.values():
            for raw, _ in connections:
                raw.close()


_log_connections = _LogConnections()
close_log_connections = _log_connections.close_all


def _insert_sql(raw, log: ExportLog) -> str:
    """The INSERT that log.save() would run: the same columns, and the values as each field prepares
    them for an insert (pre_save: created_at is stamped now)."""
    fields = [field for field in ExportLog._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = [field.get_db_prep_save(field.pre_save(log, True), connection) for field in fields]
    table = connection.ops.quote_name(ExportLog._meta.db_table)
    placeholders = ", ".join(["%s"] * len(fields))
    with raw.cursor() as cur:
        return cur.mogrify(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values).decode()


def _copy_sql(select: str, columns: list[str]) -> str:
    named = ", ".join(f'q.c{i} AS "{name}"' for i, name in enumerate(columns))
    return f"COPY (SELECT {named} FROM ({select}) AS q) TO STDOUT WITH (FORMAT csv, HEADER true)"


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


def _cursor_stream(sql: str, params: dict, columns: list[str], log: ExportLog | None) -> Iterator[bytes]:
    if log is not None:
        log.save()
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
