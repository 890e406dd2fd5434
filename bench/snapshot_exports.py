"""Write every export of the synthetic study (seed 2018) to a folder, to compare two versions of the code.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/snapshot_exports.py OUT [--participants N]
        [--database NAME]

Creates (and drops afterwards) the database NAME (default `trialsite_snapshot`) on that server, migrates it,
generates the study with the clock pinned, and saves each download as a data manager sees it.
`--sqlite` does the same on a new SQLite database. Two folders written by two versions of the
code compare with `diff -r`.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-20 10:00:00+08:00"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true", help="on a new SQLite database instead")
    parser.add_argument("--database", default="trialsite_snapshot", help="the PostgreSQL database to create and drop")
    args = parser.parse_args()
    if os.environ.get("_SNAPSHOT_CHILD"):
        _write(Path(args.out), args.participants)
        return
    if args.sqlite:
        with tempfile.TemporaryDirectory() as var:
            env = {**os.environ, "TRIALSITE_VAR_DIR": var, "_SNAPSHOT_CHILD": "1", "DJANGO_DEBUG": "1"}
            env.pop("DATABASE_URL", None)
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], check=True, env=env, cwd=ROOT)
            subprocess.run([sys.executable, *sys.argv], check=True, env=env, cwd=ROOT)
        return
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    base = server.rsplit("/", 1)[0]
    psql = ["psql", f"{base}/postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {args.database}"], check=True)
    env = {**os.environ, "DATABASE_URL": f"{base}/{args.database}", "_SNAPSHOT_CHILD": "1", "DJANGO_DEBUG": "1"}
    try:
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], check=True, env=env, cwd=ROOT)
        subprocess.run([sys.executable, *sys.argv], check=True, env=env, cwd=ROOT)
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"], check=True)


def _write(out: Path, participants: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings")
    import django
    import time_machine

    with time_machine.travel(NOW, tick=False):
        django.setup()
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.test import Client

        from trialsite.roles import Role

        call_command("generate_synthetic_study", participants=participants, seed=2018)
        user = User.objects.create_user("snapshot_dm")
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=Role.DATA_MANAGER))
        client = Client()
        client.force_login(user)
        out.mkdir(parents=True, exist_ok=True)
        from exports import sdtm

        urls = [f"/api/v1/exports/sdtm/{d}.csv" for d in sdtm.DATASETS]
        urls += ["/api/v1/exports/define.xml", "/api/v1/exports/sdtm.zip"]
        urls += ["/api/v1/exports/odm.xml", "/api/v1/audit-trail.csv", "/api/v1/data-dictionary/"]
        for url in urls:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            name = url.rstrip("/").rsplit("/", 1)[-1]
            (out / name).write_bytes(body)
            print(f"{url}: {response.status_code}, {len(body)} bytes")


if __name__ == "__main__":
    main()
