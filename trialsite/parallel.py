"""Independent read-only queries of one request run side by side, each on a connection of its own.

A page whose figures come from several independent aggregates (the DMC dashboard) spends most of its
time waiting for PostgreSQL, one statement after another; on kept threads with their own connections
the statements run at the same time (on two cores, the dashboard rendered afresh at 10 000
participants: p50 113 -> 80 ms, p95 156 -> 115 ms, measured in turns in one process). Each task sees
committed data, as every statement of a request outside a transaction does; so the tasks run side by
side only when the caller's connection is not in a transaction (where its own, uncommitted writes
would be visible to it and to no other connection, e.g. in a test), the database is PostgreSQL and
connections are kept (CONN_MAX_AGE not 0: a new connection per task costs more than the overlap
saves). Otherwise, and with a single task, they run one after another on the caller's connection,
with the same results.

A worker thread's connection is checked as Django checks a request's (closed when older than
CONN_MAX_AGE or unusable) before each task and holds no transaction between tasks. Tasks run in the
caller's current time zone. While the caller's queries are being logged (DEBUG, or
CaptureQueriesContext and django_assert_num_queries in tests), the tasks' queries are added to the
caller's log in task order, so a query count is the same either way.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.utils import timezone

WORKERS = 3
_workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="side-by-side")
_worker = threading.local()  # busy: this thread is running a task


def side_by_side(*tasks: Callable[[], Any], using: str = DEFAULT_DB_ALIAS) -> list:
    """The results of `tasks` (callables that only read), in order; the first runs on the caller's
    thread. The first exception raised by a task is raised once every task has finished."""
    caller = connections[using]
    if len(tasks) < 2 or not _usable(caller):
        return [task() for task in tasks]
    zone, logged = timezone.get_current_timezone(), caller.queries_logged
    futures = [_workers.submit(_run, task, using, zone, logged) for task in tasks[1:]]
    try:
        first = tasks[0]()
    finally:
        failures = [future.exception() for future in futures]  # waits for every task
    results = [first]
    for future, failure in zip(futures, failures, strict=True):
        if failure is not None:
            raise failure
        result, queries = future.result()
        caller.queries_log.extend(queries)
        results.append(result)
    return results


def _usable(caller) -> bool:
    return (
        caller.vendor == "postgresql"
        and not caller.in_atomic_block
        and caller.settings_dict["CONN_MAX_AGE"] != 0
        and not getattr(_worker, "busy", False)  # a task's own tasks run in it: no worker waits for another
    )


def _run(task: Callable[[], Any], using: str, zone, logged: bool) -> tuple[Any, list[dict]]:
    _worker.busy = True
    try:
        close_old_connections()
        connection = connections[using]
        previous = connection.force_debug_cursor
        connection.force_debug_cursor = logged
        connection.queries_log.clear()
        try:
            with timezone.override(zone):
                result = task()
            return result, list(connection.queries_log) if logged else []
        finally:
            connection.force_debug_cursor = previous
            connection.queries_log.clear()
    finally:
        _worker.busy = False


def close_connections() -> None:
    """Close the worker threads' connections (before a test database is dropped): one task per
    worker, held at a barrier until every worker has one, so each thread closes its own."""
    barrier = threading.Barrier(WORKERS)

    def close() -> None:
        barrier.wait(timeout=60)
        connections.close_all()

    for future in [_workers.submit(close) for _ in range(WORKERS)]:
        future.result()
