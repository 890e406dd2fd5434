"""Django-side measurements for bench/run.py; each call runs in its own process and prints JSON.

    python bench/measure.py users               -> session cookies of the bench users
    python bench/measure.py export <dm|...|odm> -> rows/bytes, seconds and peak RSS of this process
    python bench/measure.py copy                -> PostgreSQL COPY (SELECT ...) TO STDOUT baselines
    python bench/measure.py pages <requests>    -> queries per request and p50/p95 latency per page
    python bench/measure.py sweep               -> reminder sweep seconds, queries, created (twice)
    python bench/measure.py casebook            -> PDF casebook of the fullest participant, seconds (twice)

DATABASE_URL must point at a bench database (run.py sets it); nothing here touches another one.
"""

import io
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from trialsite.roles import Role  # noqa: E402

BENCH_USERS = {"bench_coordinator": Role.COORDINATOR, "bench_dm": Role.DATA_MANAGER, "bench_dmc": Role.DMC_REVIEWER}
SDTM_DOMAINS = ("dm", "ie", "sv", "vs", "lb", "ex", "cm", "rs", "ae")

# Plain SELECTs over the same tables giving the same rows as each export (one row per test for
# VS and RS, one per failed criterion for IE): the database's own speed, without formatting.
_P = "JOIN subjects_participant p ON p.id = {alias}.participant_id"
_VS_TESTS = ", ".join(
    f"('{code}', vs.{field}::text)"
    for code, field in (
        ("WEIGHT", "weight_kg"),
        ("SYSBP", "systolic_bp"),
        ("DIABP", "diastolic_bp"),
        ("PULSE", "heart_rate"),
        ("TEMP", "temperature_c"),
        ("RESP", "respiratory_rate"),
        ("OXYSAT", "spo2_percent"),
    )
)
_RS_TESTS = ", ".join(
    [
        f"('{region}_{item}', r.{region}_{item}::text)"
        for region in ("head", "upper_limbs", "trunk", "lower_limbs")
        for item in ("erythema", "induration", "desquamation", "area_percent", "area_score")
    ]
    + ["('PASITOT', r.pasi_total::text)"]
)
COPY_BASELINES = {
    "dm": "SELECT p.*, s.screening_date, s.weight_kg, s.height_cm FROM subjects_participant p "
    "LEFT JOIN subjects_screening s ON s.participant_id = p.id ORDER BY p.screening_seq",
    "ie": "SELECT p.usubjid, p.screening_number, s.screening_date, c.criterion FROM subjects_screening s "
    + _P.format(alias="s")
    + " CROSS JOIN LATERAL jsonb_array_elements_text(s.failed_criteria) AS c(criterion) ORDER BY p.screening_seq",
    "sv": "SELECT p.usubjid, v.* FROM subjects_visit v "
    + _P.format(alias="v")
    + " WHERE v.actual_date IS NOT NULL ORDER BY p.screening_seq, v.visitnum",
    "vs": "SELECT p.usubjid, v.visit_code, v.visitnum, vs.timepoint, vs.measured_at, t.code, t.value "
    "FROM dosing_vitalsigns vs " + _P.format(alias="vs") + " JOIN subjects_visit v ON v.id = vs.visit_id "
    f"CROSS JOIN LATERAL (VALUES {_VS_TESTS}) AS t(code, value) WHERE t.value IS NOT NULL "
    "ORDER BY p.screening_seq, vs.measured_at",
    "ex": "SELECT p.usubjid, v.visit_code, v.visitnum, i.* FROM dosing_infusion i "
    + _P.format(alias="i")
    + " JOIN subjects_visit v ON v.id = i.visit_id ORDER BY p.screening_seq, i.infusion_number",
    "rs": "SELECT p.usubjid, v.visit_code, v.visitnum, r.assessment_date, t.code, t.value "
    "FROM assessments_pasiassessment r " + _P.format(alias="r") + " JOIN subjects_visit v ON v.id = r.visit_id "
    f"CROSS JOIN LATERAL (VALUES {_RS_TESTS}) AS t(code, value) WHERE t.value IS NOT NULL "
    "ORDER BY p.screening_seq, v.visitnum",
    "lb": "SELECT p.usubjid, l.visit_code, l.collected_at, r.* FROM labs_labresult r "
    + _P.format(alias="r")
    + " JOIN labs_labpanel l ON l.id = r.panel_id ORDER BY p.screening_seq, l.collected_at, r.test_code",
    "cm": "SELECT p.usubjid, m.* FROM medications_concomitantmedication m "
    + _P.format(alias="m")
    + " ORDER BY p.screening_seq, m.id",
    "ae": "SELECT p.usubjid, a.* FROM safety_adverseevent a "
    + _P.format(alias="a")
    + " ORDER BY p.screening_seq, a.ae_number",
}


class CountingSink:
    def __init__(self):
        self.bytes = 0
        self.lines = 0

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.bytes += len(data)
        self.lines += data.count(b"\n")
        return len(data)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def users() -> dict:
    cookies = {}
    for username, role in BENCH_USERS.items():
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@bench.invalid"})
        user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get(name=role.value)])
        client = Client()
        client.force_login(user)
        client.get("/")  # a browser holds the CSRF cookie too, once a page with a form set it
        names = [name for name in ("sessionid", "csrftoken") if name in client.cookies]
        cookies[username] = "; ".join(f"{name}={client.cookies[name].value}" for name in names)
    return cookies


# An export, its core (below) and its COPY baseline run in turns, once each. When a turn took under
# REPEAT_UNDER seconds, up to TURNS more turns run (REPEAT_UNDER seconds in all) and the median of
# those counts for each: a warm, steady figure for the small ones. A longer turn is repeated while
# the turns so far took under LONG_BUDGET seconds, up to LONG_TURNS turns in all, and the median
# counts (a slow spell of this machine during one turn is not the figure). The three are measured
# side by side so that a slow spell falls on all of them alike; their ratios to COPY are the median
# of the ratios within each turn (paired), which a spell that lasts a few turns does not move.
REPEAT_UNDER = 3.0
TURNS = 61
LONG_TURNS = 3
LONG_BUDGET = 30.0


def paired(timings: dict, name: str, against: str = "copy") -> float:
    """The median over the turns of `against`'s time / `name`'s time in the same turn."""
    return statistics.median(base / seconds for base, seconds in zip(timings[against], timings[name], strict=True))


def in_turns(runs: dict) -> tuple[dict, dict, dict]:
    """({name: seconds}, {name: result of its last run}, {name: [seconds of each counted turn]}) of
    each `runs[name]()` per the rule above."""
    timings = {name: [] for name in runs}
    results = {}

    def turn() -> float:
        took = 0.0
        for name, run in runs.items():
            started = time.perf_counter()
            results[name] = run()
            seconds = time.perf_counter() - started
            timings[name].append(seconds)
            took += seconds
        return took

    spent = turn()
    if spent >= REPEAT_UNDER:
        while len(timings[next(iter(runs))]) < LONG_TURNS and spent < LONG_BUDGET:
            spent += turn()
    else:
        for seconds in timings.values():
            seconds.clear()  # the first turn warmed caches: it does not count
        spent = 0.0
        while len(next(iter(timings.values()))) < TURNS and spent < REPEAT_UNDER:
            spent += turn()
    return {name: statistics.median(seconds) for name, seconds in timings.items()}, results, timings


def export(name: str) -> dict:
    """The export requested with the data manager's session cookie (as the browser's export page
    does) and with an API token of theirs (as REST clients do), its core and its COPY, in turns."""
    from trialsite.models import ApiToken

    url = "/api/v1/exports/odm.xml" if name == "odm" else f"/api/v1/exports/sdtm/{name}.csv"
    cookie = f"sessionid={client_for('bench_dm').cookies['sessionid'].value}"
    token, key = ApiToken.objects.create(user=User.objects.get(username="bench_dm"), name="bench")
    authorization = f"Token {key}"
    try:
        for headers in ({"cookie": cookie}, {"authorization": authorization}):  # untimed: the URLconf, the
            wsgi_get(url.replace(f"{name}.", "nonexistent."), **headers)  # API stack, the token's first use

        def request(**headers) -> dict:
            status, body = wsgi_get(url, **headers)
            sink = CountingSink()
            try:
                for chunk in body:
                    sink.write(chunk)
            finally:
                body.close()
            return {"status": status, "lines": sink.lines, "bytes": sink.bytes}

        runs = {
            "http": lambda: request(cookie=cookie),
            "token": lambda: request(authorization=authorization),
            "core": lambda: core_export(name),  # the same export without the request
        }
        if name in COPY_BASELINES:
            runs["copy"] = lambda: copy_sink(COPY_BASELINES[name])
        seconds, results, timings = in_turns(runs)
    finally:
        token.delete()
    result = results["http"]
    if results["token"] != result:
        raise RuntimeError(f"the token download differs: {results['token']} against {result}")
    measured = {
        "status": result["status"],
        "rows": max(0, result["lines"] - 1),  # minus the CSV header
        "bytes": result["bytes"],
        "seconds": seconds["http"],
        "token_seconds": seconds["token"],
        "core_seconds": seconds["core"],
        "peak_rss_mb": peak_rss_mb(),
    }
    if "copy" in runs:
        measured.update(copy_rows=results["copy"].lines - 1, copy_seconds=seconds["copy"])
        measured["paired"] = {name: paired(timings, name) for name in ("http", "token", "core")}
    return measured


def wsgi_get(path: str, *, cookie: str = "", authorization: str = "") -> tuple[int, Iterable[bytes]]:
    """GET `path` from the WSGI application as the server (gunicorn) calls it, with the session cookie
    a browser sends or the Authorization header of a REST client: the whole Django stack, without the
    test client's instrumentation."""
    from trialsite.wsgi import application

    started = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    body = application(environ, lambda status, headers, exc_info=None: started.append(status))
    return int(started[0].split()[0]), body


def core_export(name: str) -> int:
    """The export's own query and streaming (what the view returns), consumed without HTTP,
    authentication or the export log: how much of a small export's time is the request's."""
    from exports import odm, sdtm

    chunks = odm.stream_odm() if name == "odm" else sdtm.DATASETS[name].csv()
    sink = CountingSink()
    for chunk in chunks:
        sink.write(chunk)
    return sink.lines


class _CountingRaw(io.RawIOBase):
    def __init__(self, sink: CountingSink):
        self.sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.sink.write(bytes(data))


def copy_sink(sql: str) -> CountingSink:
    """COPY consumed as cheaply as psycopg2 allows: it calls write() once per row, here a buffered
    writer's (C) that hands the counting sink 64 KB at a time, so the yardstick is the database's
    speed rather than a Python call per row."""
    sink = CountingSink()
    buffered = io.BufferedWriter(_CountingRaw(sink), buffer_size=64 * 1024)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", buffered)
    buffered.flush()
    return sink


def copy() -> dict:
    """Every baseline's COPY (the ODM export's yardstick: all clinical tables)."""
    results = {}
    for name, sql in COPY_BASELINES.items():
        seconds, sinks, _ = in_turns({"copy": lambda sql=sql: copy_sink(sql)})
        sink = sinks["copy"]
        results[name] = {"rows": sink.lines - 1, "bytes": sink.bytes, "seconds": seconds["copy"]}
    return results


def pages(requests: int) -> dict:
    from subjects.models import Participant, ParticipantStatus

    busiest = (
        Participant.objects.filter(status=ParticipantStatus.COMPLETED)
        .order_by("-baseline_pasi", "screening_seq")
        .values_list("screening_number", flat=True)
        .first()
    )
    targets = {
        "participant list": ("bench_coordinator", "/participants/"),
        "participant page": ("bench_coordinator", f"/participants/{busiest}/"),
        "DMC dashboard": ("bench_dmc", "/safety/dashboard/"),
        "audit-trail page": ("bench_dm", "/audit-trail/"),
    }
    results = {}
    for name, (username, url) in targets.items():
        client = client_for(username)
        try:
            client.get(url)  # warm caches and the connection
        except Exception as exc:  # another part's bug must not hide the other pages' figures
            results[name] = {"url": url, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
            continue
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        query_count = len(queries)  # read now: the next request clears the connection's query log
        with CaptureQueriesContext(connection) as queries:
            cache.clear()
            client.get(url)
        uncached_queries = len(queries)
        cached = timed(client, url, requests)  # served from the page cache after the first
        uncached = timed(client, url, requests, before=cache.clear)  # rendered every time
        results[name] = {
            "url": url,
            "status": status,
            "queries": max(query_count, uncached_queries),
            "p50_ms": statistics.median(cached),
            "p95_ms": p95(cached),
            "uncached_p50_ms": statistics.median(uncached),
            "uncached_p95_ms": p95(uncached),
        }
    return results


def timed(client: Client, url: str, requests: int, before=lambda: None) -> list[float]:
    timings = []
    for _ in range(requests):
        before()
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[94]


def sweep() -> dict:
    try:
        from safety.reminders import reminder_sweep
    except ImportError:
        return {"missing": True}
    runs = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = reminder_sweep(timezone.localdate())
            seconds = time.perf_counter() - started
        runs.append({"seconds": seconds, "queries": len(queries), "created": created})
    return {"runs": runs}


def casebook() -> dict:
    """Seconds to render the PDF casebook of the participant with the most visits done (twice: the first
    loads fonts and templates, as a running server has)."""
    from django.db.models import Count, Q

    from exports.casebook import casebook_pdf
    from subjects.models import Participant

    participant = (
        Participant.objects.annotate(done=Count("visits", filter=Q(visits__actual_date__isnull=False)))
        .order_by("-done", "pk")
        .first()
    )
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        pdf = casebook_pdf(participant)
        runs.append({"seconds": time.perf_counter() - started, "bytes": len(pdf)})
    return {"participant": participant.screening_number, "visits_done": participant.done, "runs": runs}


def main(argv: list[str]) -> None:
    task = argv[1]
    if task == "users":
        result = users()
    elif task == "export":
        result = export(argv[2])
    elif task == "copy":
        result = copy()
    elif task == "pages":
        result = pages(int(argv[2]))
    elif task == "sweep":
        result = sweep()
    elif task == "casebook":
        result = casebook()
    else:
        raise SystemExit(f"unknown task {task}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
