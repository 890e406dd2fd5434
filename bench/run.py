"""Benchmark suite (issue 8): synthetic studies of N participants on PostgreSQL, measured against targets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/run.py --sizes 1000,10000

For each N it (re)creates its own database trialsite_bench_<N> on the DATABASE_URL server, migrates
it, generates the synthetic study, then measures exports against COPY, pages (queries, latency,
latency under 8 concurrent clients of gunicorn) and the reminder sweep, and prints one table with
the targets and PASS/FAIL. Loopback only; every loop is bounded. See bench/README.md.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MEASURE = str(ROOT / "bench" / "measure.py")
BENCH_VAR = ROOT / "var" / "bench"
EXPORTS = ("dm", "ie", "sv", "vs", "lb", "ex", "cm", "rs", "ae", "odm")
PAGES = ("participant list", "participant page", "DMC dashboard", "audit-trail page")
PAGE_USERS = {
    "participant list": "bench_coordinator",
    "participant page": "bench_coordinator",
    "DMC dashboard": "bench_dmc",
    "audit-trail page": "bench_dm",
}

EXPORT_MIN_RATIO = 0.5
RSS_FLAT_MB = 50
PAGE_MAX_QUERIES = 15
PAGE_MAX_P95_MS = 150
LOAD_CLIENTS = 8
LOAD_MAX_P95_MS = 300
EXPORT_MAX_MS_AT = (1000, 50)  # at N = 1 000 each SDTM export is served within 50 ms
SWEEP_MAX_SECONDS = 5
CASEBOOK_MAX_SECONDS = 3  # a 12-week participant's PDF casebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated participant counts")
    parser.add_argument("--quick", action="store_true", help="small sizes (100,300), 50 requests, 3 s of load")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--requests", type=int, default=200, help="single-client requests per page")
    parser.add_argument("--load-seconds", type=int, default=10, help="seconds of 8 concurrent clients per URL")
    parser.add_argument("--reuse", action="store_true", help="keep an already generated bench database")
    parser.add_argument("--prepare-only", action="store_true", help="create and fill the databases, measure nothing")
    parser.add_argument(
        "--db-prefix", default="trialsite_bench", help="databases are named <prefix>_<N> (several benches, one server)"
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.requests, args.load_seconds = "100,300", 50, 3

    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        print("bench/run.py runs on PostgreSQL only: set DATABASE_URL=postgres://user@host:port/db", file=sys.stderr)
        return 2
    sizes = [int(size) for size in args.sizes.split(",")]
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in sizes:
        database_url = bench_database_url(server_url, size, args.db_prefix)
        env = bench_env(database_url)
        prepare_database(server_url, database_url, size, args, env)
        if args.prepare_only:
            continue
        results[size] = measure(size, args, env)
    if not args.prepare_only:
        print_report(sizes, results, args)
    return 0


# --- databases ------------------------------------------------------------------------------


def bench_database_url(server_url: str, size: int, prefix: str = "trialsite_bench") -> str:
    label = f"{size // 1000}k" if size % 1000 == 0 else str(size)
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{prefix}_{label}"))


def bench_env(database_url: str) -> dict:
    """Production settings (DEBUG off, manifest static files) on loopback without TLS."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        TRIALSITE_VAR_DIR=str(BENCH_VAR),
        LOG_LEVEL="WARNING",
    )
    # Production keeps the DMC dashboard's figures in Redis; without CACHE_URL they would not be kept.
    env.setdefault("CACHE_URL", "redis://127.0.0.1:6379/2")
    env.pop("PYTEST_VERSION", None)
    return env


def prepare_database(server_url: str, database_url: str, size: int, args, env: dict) -> None:
    import psycopg2

    name = urlsplit(database_url).path.lstrip("/")
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        reuse = exists and args.reuse and synthetic_count(database_url) == size
        if reuse:
            log(f"[{size}] reusing {name}")
        else:
            log(f"[{size}] creating {name}")
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)  # a reused database gets new migrations too
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    if not reuse:
        started = time.perf_counter()
        # The generator is the development-only `bench` app, installed with DEBUG on (settings).
        run(
            [PYTHON, "manage.py", "generate_synthetic_study", "--participants", str(size), "--seed", str(args.seed)],
            {**env, "DJANGO_DEBUG": "1"},
        )
        log(f"[{size}] generated in {time.perf_counter() - started:.1f} s")
    # After a bulk load the planner needs statistics, as after any data import in production; and the
    # load's dirty pages are written out now (CHECKPOINT), not by the checkpointer while we measure.
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        try:
            cursor.execute("CHECKPOINT")
        except psycopg2.Error as error:  # needs a superuser or pg_checkpoint: measure anyway, and say so
            log(f"[{size}] no CHECKPOINT ({str(error).strip()}): the first figures may include its writes")
    conn.close()


def synthetic_count(database_url: str) -> int:
    import psycopg2

    try:
        with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM subjects_participant WHERE is_synthetic")
            return cursor.fetchone()[0]
    except psycopg2.Error:
        return -1


# --- measurements ---------------------------------------------------------------------------


def measure(size: int, args, env: dict) -> dict:
    result = {}
    cookies = worker(["users"], env)
    log(f"[{size}] exports")
    result["exports"] = {name: worker(["export", name], env) for name in EXPORTS}
    result["copy"] = worker(["copy"], env)
    log(f"[{size}] pages ({args.requests} requests each)")
    result["pages"] = worker(["pages", str(args.requests)], env)
    log(f"[{size}] load (gunicorn, 2 workers, {LOAD_CLIENTS} concurrent clients)")
    result["load"] = load(result["pages"], cookies, args.load_seconds, env)
    log(f"[{size}] casebook PDF")
    result["casebook"] = worker(["casebook"], env)
    log(f"[{size}] reminder sweep")
    result["sweep"] = worker(["sweep"], env)  # last: it writes reminders and visit states
    return result


def worker(task: list[str], env: dict) -> dict:
    completed = subprocess.run(
        [PYTHON, MEASURE, *task], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    if completed.returncode != 0:
        errors = [line for line in completed.stderr.splitlines() if re.match(r"^\w[\w.]*(Error|Exception)\b", line)]
        return {"error": (errors or ["failed"])[-1][:200]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def load(pages: dict, cookies: dict, seconds: int, env: dict) -> dict:
    """Each page under LOAD_CLIENTS concurrent clients (gunicorn, 2 workers): p50/p95 and req/s."""
    port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "trialsite.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        if not wait_until_up(f"http://127.0.0.1:{port}/healthz", timeout=30):
            return {"error": "gunicorn did not start"}
        result = {"trivial (/healthz/live)": concurrent_clients(port, "/healthz/live", None, seconds)}
        for name in PAGES:
            page = pages.get(name) or {}
            if "url" not in page or "error" in page:
                result[name] = {"error": "page not measured"}
                continue
            result[name] = concurrent_clients(port, page["url"], cookies[PAGE_USERS[name]], seconds)
        return result
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=15)
        except subprocess.TimeoutExpired:
            gunicorn.kill()


def concurrent_clients(port: int, path: str, cookie: str | None, seconds: int) -> dict:
    """LOAD_CLIENTS threads, each a browser-like client on its own kept-alive connection, request
    `path` one after another for `seconds`: every request's latency, the errors, req/s."""
    import http.client
    import statistics
    from concurrent.futures import ThreadPoolExecutor

    headers = {"Cookie": cookie} if cookie else {}
    deadline = time.monotonic() + seconds

    def client() -> tuple[list[float], int]:
        timings, errors = [], 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                timings.append((time.perf_counter() - started) * 1000)
                errors += response.status >= 400
        finally:
            connection.close()
        return timings, errors

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=LOAD_CLIENTS) as pool:
        outcomes = list(pool.map(lambda _: client(), range(LOAD_CLIENTS)))
    elapsed = time.monotonic() - started
    timings = sorted(t for outcome in outcomes for t in outcome[0])
    if len(timings) < 2:
        return {"error": "no requests completed"}
    return {
        "requests": len(timings),
        "rps": len(timings) / elapsed,
        "p50_ms": statistics.median(timings),
        "p95_ms": statistics.quantiles(timings, n=100, method="inclusive")[94],
        "non_2xx": sum(outcome[1] for outcome in outcomes),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def run(command: list[str], env: dict) -> None:
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=3600)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- report ---------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def print_report(sizes: list[int], results: dict, args) -> None:
    largest, smallest = max(sizes), min(sizes)
    lines = [f"Trialsite benchmark — sizes {', '.join(map(str, sizes))}, seed {args.seed}", ""]
    at, max_ms = EXPORT_MAX_MS_AT
    lines.append(
        f"Exports (target: >= {EXPORT_MIN_RATIO}x COPY throughput; peak RSS flat within ±{RSS_FLAT_MB} MB;"
        f" each SDTM dataset <= {max_ms} ms at N = {at}, both requests)"
    )
    lines.append("(ratio: the export requested from the WSGI application with a session cookie against COPY; token:")
    lines.append(" the same with an API token, as REST clients ask; the target applies to both; core: the export's")
    lines.append(" own query and streaming without the request, authentication and export log; the three and COPY")
    lines.append(" run in turns for 3 s (up to 61 turns; 3 when a turn is long): ms and rows/s are medians, the SDTM")
    lines.append(" ratios the median of COPY's time over the export's within each turn; ODM: bytes/s of the medians)")
    lines.append(
        f"{'export':<6} {'N':>6} {'rows':>8} {'COPY rows':>9} {'ms':>8} {'rows/s':>10} {'COPY rows/s':>11}"
        f" {'ratio':>6} {'token':>5} {'core':>5} {'RSS MB':>7}  result"
    )
    for name in EXPORTS:
        for size in sizes:
            lines.append(export_line(name, size, results[size]))
        if len(sizes) > 1:
            rss = [results[s]["exports"][name].get("peak_rss_mb") for s in (smallest, largest)]
            flat = None if None in rss else abs(rss[1] - rss[0]) <= RSS_FLAT_MB
            delta = "" if None in rss else f"{rss[1] - rss[0]:+.1f} MB"
            lines.append(f"{'':<6} peak RSS {smallest} -> {largest}: {delta:<12} {verdict(flat)}")
    lines.append("")
    lines.append(
        f"Pages (target: <= {PAGE_MAX_QUERIES} queries, same for every N; at {largest}: p95 <= {PAGE_MAX_P95_MS} ms"
        f" on one client, cached and rendered cold; p95 <= {LOAD_MAX_P95_MS} ms with {LOAD_CLIENTS} concurrent clients)"
    )
    lines.append("(p50/p95: one client, the cache as it is; cold: the cache emptied before each request, every page")
    lines.append(f" rendered afresh; queries: the larger of the two; {LOAD_CLIENTS} clients: gunicorn with 2 workers,")
    lines.append(f" {LOAD_CLIENTS} threads each requesting one after another for --load-seconds, the cache as it is)")
    lines.append(
        f"{'page':<17} {'N':>6} {'status':>6} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7} {'cold p50/p95':>14}"
        f" {'8 clients p50/p95':>18} {'req/s':>7}  result"
    )
    for name in PAGES:
        counts = {results[s]["pages"].get(name, {}).get("queries") for s in sizes}
        for size in sizes:
            lines.append(page_line(name, size, results[size], size == largest))
        flat = None if None in counts else len(counts) == 1
        lines.append(f"{'':<17} queries independent of N: {sorted(c for c in counts if c is not None)} {verdict(flat)}")
    lines.append("")
    lines.append(f"Reminder sweep over all visits (target: <= {SWEEP_MAX_SECONDS} s at {largest}; then creates 0)")
    lines.append(f"{'N':>6} {'run':>4} {'seconds':>8} {'queries':>8} {'created':>8}  result")
    for size in sizes:
        sweep = results[size]["sweep"]
        if "runs" not in sweep:
            lines.append(f"{size:>6} sweep not measured: {sweep}")
            continue
        for number, run_ in enumerate(sweep["runs"], start=1):
            if number == 1:
                ok = run_["seconds"] <= SWEEP_MAX_SECONDS if size == largest else None
            else:
                ok = run_["created"] == 0
            seconds, queries, created = run_["seconds"], run_["queries"], run_["created"]
            lines.append(f"{size:>6} {number:>4} {seconds:>8.2f} {queries:>8} {created:>8}  {verdict(ok)}")
    lines.append("")
    lines.append(f"PDF casebook of the fullest participant (target: <= {CASEBOOK_MAX_SECONDS} s, warm)")
    for size in sizes:
        book = results[size].get("casebook", {})
        if "runs" not in book:
            lines.append(f"{size:>6} casebook not measured: {book}")
            continue
        warm = book["runs"][-1]["seconds"]
        lines.append(
            f"{size:>6} {book['participant']} ({book['visits_done']} visits done): cold "
            f"{book['runs'][0]['seconds']:.2f} s, warm {warm:.2f} s  {verdict(warm <= CASEBOOK_MAX_SECONDS)}"
        )
    print("\n".join(lines))


def export_line(name: str, size: int, result: dict) -> str:
    export = result["exports"][name]
    if "error" in export or export.get("status") != 200:
        return f"{name:<6} {size:>6} export failed: {export.get('error') or export.get('status')}"
    copies = result["copy"]
    if name == "odm":  # bytes/s against COPY of every clinical table
        copy_bytes = sum(c["bytes"] for c in copies.values())
        copy_seconds = sum(c["seconds"] for c in copies.values())
        speed, copy_speed = export["bytes"] / export["seconds"], copy_bytes / copy_seconds
        ratio, core = speed / copy_speed, export["bytes"] / export["core_seconds"] / copy_speed
        token = export["bytes"] / export["token_seconds"] / copy_speed
        return (
            f"{name:<6} {size:>6} {export['bytes']:>8} {copy_bytes:>9} {export['seconds'] * 1000:>8.1f}"
            f" {speed / 1e6:>8.2f}MB {copy_speed / 1e6:>9.2f}MB {ratio:>6.2f} {token:>5.2f} {core:>5.2f}"
            f" {export['peak_rss_mb']:>7.1f}"
            f"  {verdict(min(ratio, token) >= EXPORT_MIN_RATIO)} (bytes)"
        )
    copy = {"rows": export["copy_rows"], "seconds": export["copy_seconds"]} if "copy_seconds" in export else {}
    speed = export["rows"] / export["seconds"]
    copy_speed = copy["rows"] / copy["seconds"] if copy.get("seconds") else 0
    ratio = speed / copy_speed if copy_speed else 0
    token = export["rows"] / export["token_seconds"] / copy_speed if copy_speed else 0
    core = export["rows"] / export["core_seconds"] / copy_speed if copy_speed else 0
    if "paired" in export and copy.get("rows") == export["rows"]:  # the same rows: time ratios, turn by turn
        ratio, token, core = (export["paired"][name] for name in ("http", "token", "core"))
    notes = [] if copy.get("rows") == export["rows"] else ["row counts differ"]
    at, max_ms = EXPORT_MAX_MS_AT
    slowest_ms = max(export["seconds"], export["token_seconds"]) * 1000
    fast_enough = size != at or slowest_ms <= max_ms
    if not fast_enough:
        notes.append(f"{slowest_ms:.1f} ms > {max_ms} ms")
    if min(ratio, token) < EXPORT_MIN_RATIO <= core:
        request_ms = (max(export["seconds"], export["token_seconds"]) - export["core_seconds"]) * 1000
        notes.append(f"request-bound: the request {request_ms:.1f} ms, COPY {copy['seconds'] * 1000:.1f} ms")
    detail = f" ({'; '.join(notes)})" if notes else ""
    return (
        f"{name:<6} {size:>6} {export['rows']:>8} {copy.get('rows', 0):>9} {export['seconds'] * 1000:>8.1f}"
        f" {speed:>10.0f} {copy_speed:>11.0f} {ratio:>6.2f} {token:>5.2f} {core:>5.2f} {export['peak_rss_mb']:>7.1f}"
        f"  {verdict(min(ratio, token) >= EXPORT_MIN_RATIO and fast_enough)}{detail}"
    )


def page_line(name: str, size: int, result: dict, is_largest: bool) -> str:
    page = result["pages"].get(name)
    if not page or "error" in page:
        error = (page or {}).get("error") or result["pages"].get("error")
        return f"{name:<17} {size:>6} not measured: {error}  FAIL"
    load = result["load"].get(name, {})
    worst_p95 = max(page["p95_ms"], page.get("uncached_p95_ms", 0))
    failures = []
    if page["queries"] > PAGE_MAX_QUERIES:
        failures.append("queries")
    if is_largest and worst_p95 > PAGE_MAX_P95_MS:
        failures.append("p95")
    if "error" in load:
        failures.append(f"load: {load['error']}")
    elif is_largest and load["p95_ms"] > LOAD_MAX_P95_MS:
        failures.append(f"p95 with {LOAD_CLIENTS} clients")
    if load.get("non_2xx"):
        failures.append(f"{load['non_2xx']} errors under load")
    if page["status"] != 200:
        failures.append(f"HTTP {page['status']}")
    detail = f" ({', '.join(failures)})" if failures else ""
    return (
        f"{name:<17} {size:>6} {page['status']:>6} {page['queries']:>7} {page['p50_ms']:>7.1f} {page['p95_ms']:>7.1f}"
        f" {page.get('uncached_p50_ms', 0):>6.1f}/{page.get('uncached_p95_ms', 0):<7.1f}"
        f" {load.get('p50_ms', 0):>8.1f}/{load.get('p95_ms', 0):<9.1f} {load.get('rps', 0):>7.1f}"
        f"  {verdict(not failures)}{detail}"
    )


if __name__ == "__main__":
    sys.exit(main())
