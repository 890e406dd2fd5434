"""The few SQL fragments that differ between PostgreSQL and SQLite, so each dataset is one query.

Rules re-expressed in SQL (study day, age in completed years) are the SAME rules as
`subjects.schedule.study_day` and `subjects.eligibility.age_in_completed_years`; tests run
both over the boundary dates and require identical answers.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.db import connection

from subjects.models import Study


def study_value(expression: str) -> str:
    """A value of the study configuration (its one row; `expression` over its columns) as a scalar
    subquery: read by the export's own statement, in its snapshot, once (an InitPlan on PostgreSQL)."""
    return f"(SELECT {expression} FROM {Study._meta.db_table} ORDER BY id LIMIT 1)"


SITE_ZONE = study_value("time_zone")  # local dates and times of the exports are the site's


class Dialect:
    """SQL snippets for the current database."""

    def __init__(self, vendor: str):
        self.vendor = vendor
        self.postgres = vendor == "postgresql"

    # -- dates and times --------------------------------------------------------------------
    def iso_date(self, col: str) -> str:
        """YYYY-MM-DD: PostgreSQL's date output under DateStyle ISO (the export session sets it)."""
        return f"CAST({col} AS text)" if self.postgres else f"{col}"

    def local_dtc(self, col: str) -> str:
        """ISO 8601 local date-time to the minute (SDTM --DTC), in the site time zone."""
        if self.postgres:
            return f"""to_char({col} AT TIME ZONE {SITE_ZONE}, 'YYYY-MM-DD"T"HH24:MI')"""
        return f"trialsite_local_dtc({col}, {SITE_ZONE})"

    def local_date(self, col: str) -> str:
        if self.postgres:
            return f"(({col}) AT TIME ZONE {SITE_ZONE})::date"
        return f"trialsite_local_date({col}, {SITE_ZONE})"

    def days_between(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"(({later}) - ({earlier}))"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def study_day(self, on: str, day1: str) -> str:
        """SDTM study day, no day 0 — the rule of subjects.schedule.study_day."""
        # integer arithmetic; NULL when either date is NULL (the difference is then NULL)
        return f"({self.days_between(on, day1)} + (CASE WHEN ({on}) >= ({day1}) THEN 1 ELSE 0 END))"

    def age_years(self, born: str, on: str) -> str:
        """Completed years on `on` — the rule of subjects.eligibility.age_in_completed_years."""
        if self.postgres:  # age() counts whole years the same way, at a third of to_char's cost
            return f"CAST(date_part('year', age({on}, {born})) AS integer)"
        year, mmdd = "CAST(strftime('%%Y', {}) AS INTEGER)", "strftime('%%m%%d', {})"
        return (
            f"(CASE WHEN ({on}) IS NULL THEN NULL ELSE {year.format(on)} - {year.format(born)}"
            f" - (CASE WHEN {mmdd.format(on)} < {mmdd.format(born)} THEN 1 ELSE 0 END) END)"
        )

    # -- values -----------------------------------------------------------------------------
    def text(self, col: str) -> str:
        return f"CAST({col} AS TEXT)"

    def dec1(self, col: str) -> str:
        """A one-decimal value as entered (63.0 stays '63.0')."""
        if self.postgres:
            return f"CAST({col} AS TEXT)"
        return f"(CASE WHEN {col} IS NULL THEN NULL ELSE printf('%%.1f', {col}) END)"

    def yn(self, col: str) -> str:
        return f"(CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN 'Y' ELSE 'N' END)"

    def millions(self, col: str) -> str:
        """An integer count of cells in units of 10^6, exactly (126500000 -> '126.5')."""
        whole = f"CAST(({col}) / 1000000 AS TEXT)"
        frac = f"rtrim(substr(CAST(1000000 + ({col}) %% 1000000 AS TEXT), 2), '0')"
        return f"(CASE WHEN ({col}) %% 1000000 = 0 THEN {whole} ELSE {whole} || '.' || {frac} END)"

    def json_array_join(self, col: str, alias: str) -> tuple[str, str]:
        """(FROM-clause fragment, ordinal expression) unnesting a JSON array column; value is alias.value."""
        if self.postgres:
            return (
                f"CROSS JOIN LATERAL jsonb_array_elements_text(CAST({col} AS jsonb))"
                f" WITH ORDINALITY AS {alias}(value, ord)",
                f"{alias}.ord",
            )
        return f"CROSS JOIN json_each({col}) AS {alias}", f"({alias}.key + 1)"

    def json_array_nonempty(self, col: str) -> str:
        """The JSON array column has elements (lets the planner skip rows before unnesting). On
        PostgreSQL a comparison with the empty array, which the column statistics can estimate (most
        screenings fail nothing), so the few rows left are joined through indexes."""
        if self.postgres:
            return f"CAST({col} AS jsonb) <> '[]'::jsonb"
        return f"json_array_length({col}) > 0"

    def count_nonnull(self, cols: list[str]) -> str:
        """How many of `cols` are not NULL."""
        if self.postgres:
            return f"num_nonnulls({', '.join(cols)})"
        return "(" + " + ".join(f"({col} IS NOT NULL)" for col in cols) + ")"

    def unpivot(
        self, source: str, items: list[tuple[str, ...]], names: tuple[str, ...], values: list[str], positions: list[str]
    ) -> tuple[list[tuple[str, str]], str, dict[str, str]]:
        """Turn each row of the subquery `source` into one row per item whose value is not NULL, in item order.

        `items`: one tuple of SQL constants per item (named `names`); `values[i]`, `positions[i]`: the
        item's value and its 1-based position among the row's non-NULL values, as expressions over the
        subquery's own FROM items. Returns (columns to add to the subquery's SELECT, the FROM fragment
        to put after it, {name: expression} for ord, the `names`, val and pos).

        PostgreSQL: the subquery builds two arrays per row once; a LATERAL subquery over the constant
        VALUES list picks from them (a nested loop emits the items of each source row in order).
        SQLite (no LATERAL): a cross join with the constant items and a CASE on the ordinal.
        """
        cols = ("ord", *names)
        rows = [(str(n), *row) for n, row in enumerate(items, start=1)]
        exprs = {name: f"t.{name}" for name in cols}
        if self.postgres:
            values_list = ", ".join("(" + ", ".join(row) + ")" for row in rows)
            added = [("vals", f"ARRAY[{', '.join(values)}]"), ("poss", f"ARRAY[{', '.join(positions)}]")]
            fragment = (
                f"CROSS JOIN LATERAL (SELECT c.*, {source}.vals[c.ord] AS val, {source}.poss[c.ord] AS pos"
                f" FROM (VALUES {values_list}) AS c({', '.join(cols)})"
                f" WHERE {source}.vals[c.ord] IS NOT NULL OFFSET 0) AS t"
            )
            return added, fragment, {**exprs, "val": "t.val", "pos": "t.pos"}
        added = [(f"v{n}", value) for n, value in enumerate(values, start=1)]
        added += [(f"p{n}", position) for n, position in enumerate(positions, start=1)]
        selects = " UNION ALL ".join(
            "SELECT " + ", ".join(f"{value} AS {name}" for value, name in zip(row, cols, strict=True)) for row in rows
        )
        pick = lambda prefix: (  # noqa: E731
            "(CASE t.ord " + " ".join(f"WHEN {n} THEN {source}.{prefix}{n}" for n in range(1, len(rows) + 1)) + " END)"
        )
        return added, f"CROSS JOIN ({selects}) AS t", {**exprs, "val": pick("v"), "pos": pick("p")}

    @staticmethod
    def case_map(col: str, mapping: dict[str, str]) -> str:
        """CASE col WHEN 'k' THEN 'v' ... END from a mapping of our own constants."""
        whens = " ".join(f"WHEN {_quote(k)} THEN {_quote(v)}" for k, v in mapping.items())
        return f"(CASE {col} {whens} END)"


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''").replace("%", "%%") + "'"


def current() -> Dialect:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        _register_sqlite_functions(connection.connection)
    return Dialect(connection.vendor)


def _parse_utc(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local_dtc(value, tz):
    moment = _parse_utc(value)
    return None if moment is None else moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def _local_date(value, tz):
    moment = _parse_utc(value)
    return None if moment is None else moment.astimezone(ZoneInfo(tz)).date().isoformat()


def _register_sqlite_functions(raw) -> None:
    if getattr(raw, "_trialsite_functions", False):
        return
    raw.create_function("trialsite_local_dtc", 2, _local_dtc, deterministic=True)
    raw.create_function("trialsite_local_date", 2, _local_date, deterministic=True)
    try:
        raw._trialsite_functions = True
    except AttributeError:  # sqlite3.Connection may refuse attributes; re-registering is harmless
        pass
