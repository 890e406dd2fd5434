"""Dataset statements kept as database functions (PostgreSQL): installed by migrate under the hash of
the statement, the same bytes as the statement itself, and an export that still works without them."""

import pytest
from django.db import connection

from exports import dialect, functions, sdtm
from exports.streaming import export_log, stream_query_csv
from tests.conftest import logged_in
from tests.export_data import build_study_data
from trialsite.models import ExportLog


def _ours() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'trialsite\\_sdtm\\_%' ORDER BY proname")
        return [name for (name,) in cursor.fetchall()]


def _ie():
    return sdtm.query("ie", dialect.current())


@pytest.fixture
def forget_missing(monkeypatch):
    monkeypatch.setattr(functions, "_missing", set())


def test_migrate_installs_the_kept_statement_under_its_hash(require_postgres):
    ie = _ie()
    assert ie.function == functions.name("ie", False, ie.sql)
    assert ie.function.startswith("trialsite_sdtm_ie_")
    assert _ours() == [ie.function]  # IE only: the others gather too many rows to gain (see the module)
    assert sdtm.query("ae", dialect.current()).function == ""
    assert functions.name("ie", False, ie.sql + " ") != ie.function  # another statement, another function


def test_the_function_gives_the_bytes_of_the_statement_itself(require_postgres, coordinator, data_manager):
    build_study_data(coordinator)  # a screen failure with two criteria, labels with commas (quoted)
    ie = _ie()
    kept = b"".join(stream_query_csv(ie.sql, ie.params, ie.columns, function=ie.function))
    inline = b"".join(stream_query_csv(ie.sql, ie.params, ie.columns))
    assert kept == inline
    assert kept.count(b"\n") == 3 and b'"Exclusion criterion met: Active infection (including HBV, HCV' in kept


def test_without_its_function_an_export_runs_the_statement_and_stops_looking(
    require_postgres, coordinator, data_manager, forget_missing
):
    build_study_data(coordinator)
    expected = b"".join(_ie().csv())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP FUNCTION {_ie().function}()")  # undone with the test's transaction
    client = logged_in(data_manager)
    for _ in range(2):
        assert b"".join(client.get("/api/v1/exports/sdtm/ie.csv").streaming_content) == expected
    assert functions._missing == {_ie().function}  # the second export did not try it
    assert ExportLog.objects.filter(export="sdtm/ie.csv").count() == 2  # one log row each, none twice


@pytest.mark.django_db(transaction=True)
def test_without_its_function_the_logged_export_on_an_idle_connection_logs_once(
    require_postgres, data_manager, forget_missing
):
    ie = _ie()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION {ie.function}()")
        log = export_log(user=data_manager, export="sdtm/ie.csv")
        body = b"".join(stream_query_csv(ie.sql, ie.params, ie.columns, log=log, function=ie.function))
        assert body.startswith(b"STUDYID,DOMAIN,USUBJID,IESEQ") and body.count(b"\n") == 1  # no screen failures
        assert ExportLog.objects.count() == 1
        assert connection.connection.get_transaction_status() == 0  # idle: COPY's transaction ended
    finally:
        functions.install()
    assert _ours() == [ie.function]


def test_migrate_drops_the_functions_of_earlier_statements(require_postgres):
    stale = "trialsite_sdtm_ie_0123456789abcdef"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE FUNCTION {stale}() RETURNS TABLE (c0 text) LANGUAGE sql AS $$ SELECT 'old' $$")
        cursor.execute("CREATE FUNCTION trialsite_other() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$")
    functions.install()
    assert _ours() == [_ie().function]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('trialsite_other()') IS NOT NULL")
        assert cursor.fetchone() == (True,)  # not one of ours: left alone


def test_other_databases_keep_no_functions():
    assert sdtm._built("ie", "sqlite", False).function == ""
