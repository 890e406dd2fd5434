"""The OpenAPI schema is served and honest: schemathesis finds no server error and no response that
breaks the schema (status code, content type, body), for data that fits the schema and data that does
not, and in its stateful phase (linked sequences of calls), for a data manager's and a coordinator's
token (bounded examples, derandomized). Changes of saved records are sent with a fresh ETag in
If-Match every other time, so the writes themselves run, not only their 412s and 428s.

Covers every operation in /api/schema/ at run time, including other apps' endpoints.
"""

import itertools

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.export_data import build_study_data
from trialsite.account_views import issue_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12
STATEFUL_SCENARIOS = 25


def test_schema_and_docs_are_served_to_logged_in_users(data_manager):
    client = Client()
    assert client.get("/api/schema/").status_code == 401
    client.force_login(data_manager)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["openapi"].startswith("3.")
    for path in ["/api/v1/exports/sdtm/{domain}.csv", "/api/v1/exports/odm.xml", "/api/v1/data-dictionary/",
                 "/api/v1/audit-trail/", "/api/v1/audit-trail.csv"]:  # fmt: skip
        operation = schema["paths"][path]["get"]
        assert {"200", "401", "403"} <= set(operation["responses"]), path
    sdtm = schema["paths"]["/api/v1/exports/sdtm/{domain}.csv"]["get"]["responses"]
    assert "text/csv" in sdtm["200"]["content"] and "404" in sdtm
    assert "application/xml" in schema["paths"]["/api/v1/exports/odm.xml"]["get"]["responses"]["200"]["content"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn." not in docs.content  # served from the sidecar, offline


@pytest.fixture
def keep_test_connection():
    """Calls through the WSGI app end with request_finished, which closes a connection that is
    inside the test's transaction; Django's own test client suspends that handler too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


_writes = itertools.count()


def _if_match(schema, case, auth: dict) -> dict:
    """Every other change of a saved record is sent with the ETag just read (the rest keep the generated
    If-Match, mostly stale or malformed): so the writes themselves are exercised, not only the 412s."""
    if case.method.upper() not in ("PATCH", "PUT") or next(_writes) % 2:
        return {}
    read = schema[case.path]["GET"].Case(path_parameters=case.path_parameters).call(headers=auth)
    etag = read.headers.get("etag") if read.status_code == 200 else None
    return {"If-Match": etag[0]} if etag else {}


def _schema(personas, persona):
    build_study_data(personas["coordinator"])
    _token, key = issue_token(user=personas[persona], name="schemathesis", expires_in_days=1)
    auth = {"Authorization": f"Token {key}"}
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), headers=auth), auth


@pytest.mark.slow
@pytest.mark.parametrize("persona", ["data_manager", "coordinator"])
def test_schemathesis_finds_no_server_errors_or_schema_violations(personas, persona, keep_test_connection):
    """Data that fits the schema and data that does not (wrong types, unknown choices, out-of-range
    numbers, NUL bytes): every answer is documented, in the documented content type and shape."""
    schema, auth = _schema(personas, persona)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, headers=auth))
            def run(case):
                case.call_and_validate(headers={**auth, **_if_match(schema, case, auth)}, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing in the operation can be made invalid
            except Exception as error:  # collect every failing operation, report them together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {error}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_schemathesis_stateful_sequences_conform(personas, keep_test_connection):
    """Sequences of calls linked by the schema (create, then read, change, act on what was created),
    as a coordinator who may write: every answer conforms."""
    schema, auth = _schema(personas, "coordinator")

    CALLS = []

    class Machine(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            CALLS.append(case.operation.label)
            return {"headers": {**auth, **_if_match(schema, case, auth)}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=auth)

    Machine.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(CALLS) > STATEFUL_SCENARIOS and any(call.startswith("POST") for call in CALLS)  # sequences ran
