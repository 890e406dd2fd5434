"""Streaming a dataset as CSV in bounded memory, and logging every export.

PostgreSQL: `COPY (statement) TO STDOUT WITH (FORMAT csv, HEADER)` runs on the request's connection
in one worker thread, which hands ~64 KB chunks to the response through a queue of four, so memory
stays flat however many rows there are and the database does the formatting. COPY is one statement:
one snapshot of the data, committed by nobody (it writes nothing). Other databases (SQLite in
development): the rows come from Python and are written as COPY writes CSV, in chunks of the same
size. A missing value is an empty field on both paths; no dataset selects an empty string, which COPY
would quote.

The view logs the export (log_export: a row saved and committed) before it returns the stream, so the
log row is in the database before the first byte leaves.
"""

import queue
import threading
from collections.abc import Iterable, Iterator

from django.db import connection

from trialsite.models import ExportLog

CHUNK_BYTES = 64 * 1024
_DONE = object()


def log_export(*, user, export: str, query: str = "") -> ExportLog:
    return ExportLog.objects.create(user=user, export=export[:60], query=query[:500])


def copy_csv(statement: str, params: dict) -> Iterator[bytes]:
    """CSV of `statement` (header from its column names) by COPY, in chunks of about CHUNK_BYTES."""
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        copy = cursor.mogrify(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER)", params).decode()
    return _streamed(raw, copy)


def _streamed(raw, copy: str) -> Iterator[bytes]:
    chunks: queue.Queue = queue.Queue(maxsize=4)
    cancelled = threading.Event()
    sink = _QueueWriter(chunks, cancelled)

    def produce() -> None:
        try:
            with raw.cursor() as cursor:
                cursor.copy_expert(copy, sink)
            sink.flush()
            chunks.put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            chunks.put(error)

    worker = threading.Thread(target=produce, name="export-copy", daemon=True)
    worker.start()
    try:
        while (item := chunks.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # A client that went away closes the stream: the worker reads COPY to its end without queueing
        # (the connection must be free again before the request ends), after the chunk it may be
        # blocked on, which draining the queue lets it put.
        cancelled.set()
        _drain(chunks)
        worker.join()


def _drain(chunks: queue.Queue) -> None:
    """Empty the queue without waiting: once cancelled, the worker queues at most the chunk it is
    blocked on and its end, for which a queue of four has room."""
    while True:
        try:
            chunks.get_nowait()
        except queue.Empty:
            return


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
            self.chunks.put(b"".join(p if isinstance(p, bytes) else p.encode() for p in self.parts))
        self.parts, self.size = [], 0


def rows_csv(columns: Iterable[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """CSV of `rows` under a header of `columns`, as COPY writes it, in chunks of about CHUNK_BYTES."""
    lines, size = [_csv_line(columns)], 0
    for row in rows:
        line = _csv_line(row)
        lines.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(lines).encode()
            lines, size = [], 0
    yield "".join(lines).encode()


def _csv_line(values: Iterable) -> str:
    """COPY's CSV: None is an empty field; an empty string, or a value with a comma, a quote, CR or LF,
    is quoted (Python's csv module does not quote a lone CR when lines end in LF)."""
    return ",".join("" if value is None else _csv_field(str(value)) for value in values) + "\n"


def _csv_field(text: str) -> str:
    if not text or any(special in text for special in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
