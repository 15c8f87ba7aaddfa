"""``python -m benchmarks.load``: one load run per database, end to end (see ``benchmarks/README.md``).

For each database named: a fresh database (``prepare``), gunicorn on a free loopback port (the launcher
of the fault tests, ``tests/consult/reliability/servers.py``), locust headless with the voters and
posters of ``locustfile`` for ``--duration`` seconds after every client has logged in, gunicorn stopped,
then the consistency check (``check``) and the figures. Exits 1 when a check fails or a client met an
error other than a rate-limit refusal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.consult.reliability.servers import ROOT, Gunicorn

from .check import check
from .prepare import create_database, drop_database, populate, sqlite_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_LIMITS = "redis://127.0.0.1:6379"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by ``pids`` (from /proc; 0 for a pid that is gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def database_backends(url: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL server process serving the database of ``url`` (the
    server runs on this machine); empty for SQLite, whose work is done inside the gunicorn workers."""
    if not url.startswith("postgresql"):
        return {}
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            pids = conn.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()
    return {pid: cpu_seconds([pid]) for pid in pids}


def watch_window(locust: subprocess.Popen, server: Gunicorn, out: Path, url: str) -> dict:
    """Wait for locust to finish; sample CPU times and load average when the window opens and closes.

    The server's processes are listed when the window opens: gunicorn answers as soon as one worker is
    up, so a list taken at start may miss workers forked after it. PostgreSQL's server processes for the
    run's database are listed at both marks; one that connected inside the window counts in full."""
    pids: list[int] = []
    marks: dict[str, tuple] = {}
    while locust.poll() is None:
        for mark in ("open", "closed"):
            if mark not in marks and out.with_suffix(f".{mark}").exists():
                pids = pids or server.pids()
                marks[mark] = (
                    cpu_seconds(pids),
                    cpu_seconds([locust.pid]),
                    os.getloadavg(),
                    database_backends(url),
                )
        time.sleep(0.2)
    if "open" not in marks:
        return {}
    closed = marks.get("closed", marks["open"])
    opened = marks["open"][3]
    return {
        "cpu_s_gunicorn": closed[0] - marks["open"][0],
        "cpu_s_locust": closed[1] - marks["open"][1],
        "cpu_s_database": sum(cpu - opened.get(pid, 0.0) for pid, cpu in closed[3].items()),
        "loadavg_open": marks["open"][2],
        "loadavg_closed": closed[2],
    }


def check_limit_storage(uri: str) -> None:
    """A Redis storage must answer before the run starts (else every request would fail)."""
    if not uri.startswith(("redis://", "rediss://")):
        return
    import redis

    try:
        redis.Redis.from_url(uri, socket_timeout=5).ping()
    except redis.RedisError as exc:
        raise SystemExit(
            f"rate-limit storage {uri} does not answer ({exc}); start Redis or pass "
            "--ratelimit-storage memory:// (limits then count per worker)"
        ) from None


def run_one(backend: str, args: argparse.Namespace) -> dict:
    check_limit_storage(args.ratelimit_storage)
    folder = Path(tempfile.mkdtemp(prefix=f"consult-load-{backend}-"))
    url = sqlite_url(folder) if backend == "sqlite" else create_database(args.pg_url)
    server = None
    try:
        secret_key = secrets.token_hex(32)
        began = time.perf_counter()
        plan = populate(url, args.voters, args.posters, args.contests, secret_key)
        prepared = time.perf_counter() - began
        server = Gunicorn(
            url,
            folder,
            secret_key,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            # Log-ins queue behind each other's argon2 before the window: a slow answer is not a hung worker.
            timeout=180,
            rate_limits=True,
            env={
                "CONSULT_PROXY_FIX_X_FOR": "1",
                # One ballot per contest: a voter who casts everywhere within the window is never refused.
                "CONSULT_RATELIMIT_CAST": f"{args.contests}/minute;{args.contests}/hour",
                "CONSULT_RATELIMIT_STORAGE_URI": args.ratelimit_storage,
                # The run's own counters: clients reuse their addresses from run to run.
                "CONSULT_RATELIMIT_KEY_PREFIX": f"consult-load-{secrets.token_hex(6)}",
                **dict(e.split("=", 1) for e in args.env),
            },
        )
        server.start()
        plan.base_url = server.base_url
        (folder / "plan.json").write_text(json.dumps(plan.to_json()))
        out = folder / "clients.json"
        users = args.voters + args.posters
        env = {
            **os.environ,
            "CONSULT_LOAD_PLAN": str(folder / "plan.json"),
            "CONSULT_LOAD_OUT": str(out),
            "CONSULT_LOAD_DURATION": str(args.duration),
            "CONSULT_LOAD_VOTERS": str(args.voters),
            "CONSULT_LOAD_POSTERS": str(args.posters),
            "CONSULT_LOAD_POST_INTERVAL": str(args.post_interval),
            "CONSULT_LOAD_THINK": str(args.think),
        }
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{int(args.duration + args.login_allowance)}s",
            "--stop-timeout",
            "30",
            "--host",
            server.base_url,
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--csv",
            str(folder / "locust"),
        ]
        locust = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL if args.quiet else None
        )
        window = watch_window(locust, server, out, url)
        server.stop()
        server = None
        clients = json.loads(out.read_text())
        consistency = check(url, clients)
        return report(backend, args, clients, consistency, prepared, window)
    finally:
        if server is not None:
            server.stop()
        if backend == "postgresql":
            drop_database(url)
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def report(backend, args, clients, consistency, prepared, cpu):
    """The figures of one run. CPU seconds are those used between window open and close."""
    accepted = clients["accepted"]
    latencies = [row[3] for row in accepted]
    window = max([row[4] for row in accepted], default=0.0)
    return {
        "database": backend,
        "voters": args.voters,
        "posters": args.posters,
        "contests": args.contests,
        "duration_s": args.duration,
        "think_s": args.think,
        "gunicorn": f"{args.workers} x {args.worker_class} ({args.threads} threads)",
        "ratelimit_storage": args.ratelimit_storage,
        "prepare_s": round(prepared, 1),
        "window_opened": clients["window_opened"],
        "accepted_ballots": len(accepted),
        "window_s": round(window, 2),
        "ballots_per_s": round(len(accepted) / window, 1) if window else 0.0,
        "cast_p50_ms": round(1000 * percentile(latencies, 50), 1),
        "cast_p95_ms": round(1000 * percentile(latencies, 95), 1),
        "cast_p99_ms": round(1000 * percentile(latencies, 99), 1),
        "cast_max_ms": round(1000 * max(latencies, default=0.0), 1),
        "requests": clients["requests"],
        "errors": clients["errors"],
        "rate_limit_refusals": clients["refusals"],
        "unknown_outcomes": len(clients["unknown"]) + clients["unknown_comments"],
        "comments_accepted": consistency.comments_accepted,
        "comments_in_db": consistency.comments_in_db,
        "logins": len(clients["logins"]),
        "login_p50_ms": round(1000 * percentile(clients["logins"], 50), 1),
        "login_p99_ms": round(1000 * percentile(clients["logins"], 99), 1),
        "ballots_in_db": consistency.ballots,
        "poll_book_rows": consistency.participations,
        "receipts_received": consistency.receipts_received,
        "consistent": consistency.ok,
        "problems": consistency.problems[:20],
        "cpu_s_gunicorn": round(cpu.get("cpu_s_gunicorn", 0.0), 1),
        "cpu_s_locust": round(cpu.get("cpu_s_locust", 0.0), 1),
        "gunicorn_cpu_ms_per_ballot": round(1000 * cpu.get("cpu_s_gunicorn", 0.0) / len(accepted), 1)
        if accepted
        else None,
        "locust_cpu_ms_per_ballot": round(1000 * cpu.get("cpu_s_locust", 0.0) / len(accepted), 1)
        if accepted
        else None,
        "cpu_s_database": round(cpu.get("cpu_s_database", 0.0), 1),
        "database_cpu_ms_per_ballot": round(1000 * cpu.get("cpu_s_database", 0.0) / len(accepted), 1)
        if accepted
        else None,
        "loadavg_open": [round(x, 2) for x in cpu.get("loadavg_open", ())],
        "loadavg_closed": [round(x, 2) for x in cpu.get("loadavg_closed", ())],
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument(
        "databases", nargs="*", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CONSULT_LOAD_PG_URL", DEFAULT_PG),
        help="a PostgreSQL server URL; a database of our own is created there and dropped",
    )
    parser.add_argument("--voters", type=int, default=200, help="concurrent voters (one account each)")
    parser.add_argument("--posters", type=int, default=50, help="concurrent commenters")
    parser.add_argument("--contests", type=int, default=120, help="contests, each voter casts in each once")
    parser.add_argument(
        "--post-interval",
        type=float,
        default=3.5,
        help="mean seconds between two posts of one poster (20/minute is the limit)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a voter pauses before opening a ballot and before casting (0: closed loop)",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load after all log-ins")
    parser.add_argument(
        "--login-allowance",
        type=float,
        default=240.0,
        help="seconds allowed for the log-ins before the window (locust's run-time cap)",
    )
    parser.add_argument(
        "--ratelimit-storage",
        default=os.environ.get("CONSULT_LOAD_RATELIMIT_STORAGE", DEFAULT_LIMITS),
        help="where the workers count rate limits: a shared Redis, as in production (memory:// counts "
        "per worker)",
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="CONSULT_KEY=VALUE",
        help="extra app setting for the server (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, client records)")
    parser.add_argument("--quiet", action="store_true", help="hide locust's summary table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    reports = [run_one(backend, args) for backend in args.databases]
    for rep in reports:
        print(json.dumps(rep, indent=1))
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1) + "\n")
    failed = [r for r in reports if not r["consistent"] or r["errors"] or not r["window_opened"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
