"""Dataset statements kept in the database as functions, so that a connection plans them once.

COPY runs a statement, never a prepared one, so every download parses and plans its dataset's
statement. For IE that is most of the work: at 1 000 participants planning took 0.6 ms and running
0.6 ms (96 records). A PL/pgSQL function's query is planned at its first call in a connection and
the plan is kept (PostgreSQL plans it again when a table it reads changes or is analysed); COPY then
plans only `SELECT … FROM function()`. Measured with COPY alone: IE 1.8 -> 1.1 ms at 1 000
participants, 7.6 -> 7.0 ms at 10 000.

RETURN QUERY gathers the rows (in work_mem, then a temporary file) before COPY reads the first, so
only a dataset that stays small is kept as a function: IE, one record per failed criterion. DM and AE
gained 0.2-0.4 ms at 1 000 participants and lost 3-7 ms at 10 000; the others lost at both sizes.

`migrate` (post_migrate) creates each function under a name that carries a hash of its statement and
drops those of earlier statements, so a function never holds a statement other than the code's. An
export whose function is missing (code deployed without `migrate`, or a process older than the last
`migrate`) runs the statement itself, and that process stops looking for the function.
"""

import hashlib
import logging
import threading

from django.db import connections

logger = logging.getLogger(__name__)

PREFIX = "trialsite_sdtm_"
KEPT = ("ie",)  # the datasets kept as functions (see above)

_missing: set[str] = set()
_missing_lock = threading.Lock()


def name(domain: str, safety: bool, sql: str) -> str:
    """The function holding this statement of the dataset (a new name whenever the statement changes)."""
    digest = hashlib.sha256(sql.encode()).hexdigest()[:16]
    return f"{PREFIX}{domain}{'_safety' if safety else ''}_{digest}"


def call_sql(function: str) -> str:
    """The function's rows in the order its statement gives them (ORDINALITY orders a function scan
    without a sort)."""
    return f"SELECT f.* FROM {function}() WITH ORDINALITY AS f ORDER BY f.ordinality"


def usable(function: str) -> bool:
    return bool(function) and function not in _missing


def missing(function: str) -> None:
    """The function does not exist in this database: this process exports without it from now on."""
    with _missing_lock:
        _missing.add(function)
    logger.warning("Export function %s is missing (run `manage.py migrate`); exporting without it.", function)


def install(using: str = "default", **kwargs) -> None:
    """post_migrate: create the functions of the current statements and drop any other of ours."""
    from exports import dialect, sdtm

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    d = dialect.Dialect(connection.vendor)
    with connection.cursor() as cursor:
        wanted = []
        for domain in KEPT:
            for safety in (False, True) if domain in sdtm.SAFETY_DOMAINS else (False,):
                query = sdtm.query(domain, d, safety=safety)
                wanted.append(query.function)
                statement = cursor.mogrify(query.sql, query.params).decode()
                outputs = ", ".join(f"c{i} text" for i in range(len(query.columns)))
                selected = ", ".join(f"q.c{i}::text" for i in range(len(query.columns)))
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {query.function}() RETURNS TABLE ({outputs})"
                    " LANGUAGE plpgsql STABLE AS $trialsite$\n#variable_conflict use_column\nBEGIN\n"
                    f"RETURN QUERY SELECT {selected} FROM (\n{statement}\n) AS q;\nEND\n$trialsite$"
                )
                cursor.execute(
                    f"COMMENT ON FUNCTION {query.function}() IS %s",
                    [f"SDTM {domain.upper()} dataset statement, planned once per connection; created by migrate "
                     "(exports.functions)"],
                )  # fmt: skip
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.proname LIKE %s AND NOT p.proname = ANY(%s)",
            [PREFIX.replace("_", "\\_") + "%", wanted],
        )
        for (stale,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION {stale}")
