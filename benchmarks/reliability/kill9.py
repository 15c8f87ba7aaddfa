"""Long fault runs (not collected by pytest): kill -9 of gunicorn during casting many times, and many
restarts of a throwaway PostgreSQL cluster. Same rules and checks as the short versions in
``tests/consult/reliability/`` (see ``casting.py`` there).

    .venv/bin/python -m benchmarks.reliability.kill9 --kills 20 --voters 1000                 # SQLite
    .venv/bin/python -m benchmarks.reliability.kill9 --kills 20 --voters 1000 --postgres URL  # PostgreSQL
    .venv/bin/python -m benchmarks.reliability.kill9 --pg-restarts 5 --voters 600  # own throwaway cluster

SQLite runs on a new file in a temporary folder; PostgreSQL on a new database ``consult_faults_<hex>``
created on the server of URL (an admin URL such as postgresql+psycopg://postgres@127.0.0.1:5432/test)
and dropped at the end. Prints the figures as JSON; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from consult import create_app
from consult.extensions import db
from tests.consult.conftest import BASE_CONFIG
from tests.consult.reliability.casting import prepare, run_database_restarts, run_kills
from tests.consult.reliability.servers import PostgresCluster


def _database(folder: Path, postgres: str | None) -> tuple[str, str | None]:
    if not postgres:
        return f"sqlite:///{folder / 'faults.sqlite'}", None
    name = f"consult_faults_{secrets.token_hex(4)}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(postgres).set(database=name).render_as_string(hide_password=False), name


def _drop(postgres: str, name: str) -> None:
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a database on")
    parser.add_argument(
        "--pg-restarts", type=int, default=0, help="restart a throwaway PostgreSQL cluster N times instead"
    )
    args = parser.parse_args(argv)
    if args.pg_restarts:
        return _print(database_restarts(args))
    with tempfile.TemporaryDirectory(prefix="consult-faults-") as tmp:
        folder = Path(tmp)
        url, created = _database(folder, args.postgres)
        try:
            app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
            with app.app_context():
                upgrade()
                db.engine.dispose()
            began = time.monotonic()
            election = prepare(app, args.voters, seed=args.seed)
            try:
                figures = run_kills(app, election, url, folder, args.kills, seed=args.seed)
                figures["ok"] = True
            except AssertionError as err:
                figures = {"ok": False, "failed": str(err)[:2000]}
            figures["backend"] = "postgresql" if created else "sqlite"
            figures["wall_seconds"] = round(time.monotonic() - began, 1)
            with app.app_context():
                db.engine.dispose()
        finally:
            if created:
                _drop(args.postgres, created)
    return _print(figures)


def database_restarts(args: argparse.Namespace) -> dict:
    reason = PostgresCluster.missing()
    if reason:
        return {"ok": False, "failed": reason}
    cluster = PostgresCluster()
    began = time.monotonic()
    try:
        cluster.create()
        with tempfile.TemporaryDirectory(prefix="consult-faults-") as tmp:
            app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": cluster.url})
            with app.app_context():
                upgrade()
                db.engine.dispose()
            election = prepare(app, args.voters, seed=args.seed)
            try:
                figures = run_database_restarts(app, election, cluster, Path(tmp), args.pg_restarts, 2.0)
                figures["ok"] = True
            except AssertionError as err:
                figures = {"ok": False, "failed": str(err)[:2000]}
            with app.app_context():
                db.engine.dispose()
    finally:
        cluster.destroy()
    figures["wall_seconds"] = round(time.monotonic() - began, 1)
    return figures


def _print(figures: dict) -> int:
    print(json.dumps(figures, indent=1, sort_keys=True))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
