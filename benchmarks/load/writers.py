"""``python -m benchmarks.load.writers``: SQLite's single writer alone, with and without the writers' lock.

Casts go through the service layer (``consult.voting.services.cast``: eligibility, validation, receipt,
poll book + ballot in one transaction) from ``--processes`` processes x ``--threads`` threads at once, each
thread casting for its own (voter, contest) pairs without pause for ``--duration`` seconds, on a fresh
database made by ``prepare.populate``. No HTTP, no templates: almost every cast is a write transaction
waiting for the one before, so the figures show how well the writers take turns. ``--no-lock`` gives the
app plain ``sqlite3`` connections (SQLite's busy handler alone, the code before
``consult.sqlite_writers``). Prints casts per second, cast latency percentiles and CPU per cast (the
casting processes' CPU while they cast), then checks the ballot box (``check``: every returned receipt
stored once, ballots = poll-book rows).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .__main__ import percentile
from .check import check
from .prepare import populate, sqlite_url

ROOT = Path(__file__).resolve().parents[2]


def child(url: str, secret: str, shares_file: str, duration: float, lock: bool) -> None:
    """One process: its threads cast their shares until the window ends; prints what happened as JSON."""
    from sqlalchemy import select

    from consult import create_app
    from consult.auth.models import User
    from consult.extensions import db
    from consult.voting import services as voting
    from consult.voting.models import Contest

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "RATELIMIT_ENABLED": False}
    if not lock:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"factory": sqlite3.Connection}}
    app = create_app(config)
    shares = json.loads(Path(shares_file).read_text())
    accepted, errors = [], []
    start = time.perf_counter() + 0.5  # every thread starts together

    def run(share: list) -> None:
        time.sleep(max(0.0, start - time.perf_counter()))
        for email, contest_id, choices in share:
            if time.perf_counter() - start > duration:
                return
            began = time.perf_counter()
            with app.app_context():
                try:
                    voter = db.session.scalar(select(User).where(User.email == email))
                    cast = voting.cast(db.session.get(Contest, contest_id), voter, choices)
                    accepted.append([email, contest_id, cast.receipt, time.perf_counter() - began, 0.0])
                except Exception as exc:  # noqa: BLE001 - counted and reported, the run then fails
                    errors.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    cpu = time.process_time()
    for t in threads:
        t.join()
    cpu = time.process_time() - cpu
    elapsed = time.perf_counter() - start
    print(json.dumps({"accepted": accepted, "errors": errors, "elapsed": elapsed, "cpu": cpu}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.writers", description=__doc__)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--voters", type=int, default=400)
    parser.add_argument("--contests", type=int, default=40)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--no-lock", dest="lock", action="store_false", help="plain sqlite3 connections")
    parser.add_argument("--child", nargs=4, metavar=("URL", "SECRET", "SHARES", "DURATION"), help="internal")
    args = parser.parse_args(argv)
    if args.child:
        url, secret, shares, duration = args.child
        child(url, secret, shares, float(duration), args.lock)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="consult-writers-"))
    try:
        url, secret = sqlite_url(folder), secrets.token_hex(16)
        plan = populate(url, args.voters, 0, args.contests, secret)
        casts = [
            [email, c.id, c.keys[:2] if c.ballot_type == "ranked" else c.keys[1:2]]
            for c in plan.contests
            for email in plan.voters
        ]
        n = args.processes * args.threads
        command = [sys.executable, "-m", "benchmarks.load.writers", *([] if args.lock else ["--no-lock"])]
        children = []
        for p in range(args.processes):
            shares = folder / f"shares-{p}.json"
            shares.write_text(
                json.dumps([casts[i::n] for i in range(p * args.threads, (p + 1) * args.threads)])
            )
            child_args = ["--child", url, secret, str(shares), str(args.duration)]
            children.append(
                subprocess.Popen([*command, *child_args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
            )
        runs = [json.loads(c.communicate()[0]) for c in children]
        accepted = [row for r in runs for row in r["accepted"]]
        errors = [e for r in runs for e in r["errors"]]
        elapsed = max(r["elapsed"] for r in runs)
        latencies = [row[3] for row in accepted]
        clients = {"accepted": accepted, "comments": [], "unknown": [], "unknown_comments": 0}
        consistency = check(url, clients)
        report = {
            "writers_lock": args.lock,
            "processes_x_threads": f"{args.processes} x {args.threads}",
            "casts": len(accepted),
            "casts_per_s": round(len(accepted) / elapsed, 1),
            "cast_p50_ms": round(1000 * percentile(latencies, 50), 1),
            "cast_p99_ms": round(1000 * percentile(latencies, 99), 1),
            "cpu_ms_per_cast": round(1000 * sum(r["cpu"] for r in runs) / max(len(accepted), 1), 2),
            "errors": len(errors),
            "consistent": consistency.ok,
            "problems": consistency.problems[:5],
        }
        print(json.dumps(report))
        return 0 if consistency.ok and not errors else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
