"""SQLite writers' lock (``consult.sqlite_writers``): held from a write transaction's first statement to its
commit or rollback and never by reads, exclusive between processes (a forked child included), dropped by a
killed process, bounded by the busy timeout; casts from several processes at once each count exactly once.

Whether the lock is held is probed from outside with ``flock(LOCK_NB)`` on a file description of the test's
own: ``flock`` locks belong to an open file, so the probe conflicts with a holder in this process too."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from consult import create_app, sqlite_writers
from consult.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def held(database: Path) -> bool:
    """Whether anyone holds the writers' lock of ``database``."""
    fd = os.open(f"{database}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own lock
    return False


@pytest.fixture
def sqlite_app(tmp_path):
    path = tmp_path / "writers.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        yield path
        db.session.remove()
        db.engine.dispose()


def test_a_write_transaction_holds_the_lock_until_commit_and_reads_never_take_it(sqlite_app):
    connection = db.session.connection().connection.dbapi_connection
    assert isinstance(connection, sqlite_writers.Connection) and connection.isolation_level == "IMMEDIATE"
    db.session.execute(text("SELECT count(*) FROM t")).scalar()
    assert not held(sqlite_app)
    db.session.execute(text("INSERT INTO t VALUES (1)"))
    assert held(sqlite_app) and connection.in_transaction
    db.session.execute(text("SELECT count(*) FROM t")).scalar()
    assert held(sqlite_app)
    db.session.commit()
    assert not held(sqlite_app)
    assert db.session.execute(text("SELECT count(*) FROM t")).scalar() == 1
    assert not held(sqlite_app)


def test_rollback_and_failed_writes_let_the_lock_go(sqlite_app):
    db.session.execute(text("UPDATE t SET x = 2"))
    assert held(sqlite_app)
    db.session.rollback()
    assert not held(sqlite_app)
    db.session.execute(text("INSERT INTO t VALUES (1)"))
    db.session.commit()
    with pytest.raises(Exception, match="UNIQUE"):
        db.session.execute(text("INSERT INTO t VALUES (1)"))
    db.session.rollback()
    assert not held(sqlite_app)
    with pytest.raises(Exception, match="no such table"):
        db.session.execute(text("INSERT INTO missing VALUES (1)"))  # fails before any transaction opens
    assert not held(sqlite_app)
    db.session.rollback()
    assert db.session.execute(text("SELECT x FROM t")).scalars().all() == [1]


HOLDER = """
import sys, time
from consult.sqlite_writers import Connection
conn = Connection(sys.argv[1], timeout=5)
for statement in sys.argv[2:]:
    conn.execute(statement).fetchall()
print("ready", flush=True)
time.sleep(60)
"""


def _holder(database: Path, *statements: str) -> subprocess.Popen:
    command = [sys.executable, "-c", HOLDER, str(database), *statements]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    return child


def _kill9(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    child.stdout.close()


def test_the_lock_is_exclusive_between_processes_waits_are_bounded_and_kill9_drops_it(sqlite_app):
    child = _holder(sqlite_app, "INSERT INTO t VALUES (7)")  # a write transaction left open
    try:
        assert held(sqlite_app)
        mine = sqlite_writers.Connection(str(sqlite_app), timeout=0.3)
        began = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            mine.execute("INSERT INTO t VALUES (8)")
        assert 0.25 < time.monotonic() - began < 3
        assert not mine.in_transaction and mine.execute("SELECT count(*) FROM t").fetchone() == (0,)
    finally:
        _kill9(child)
    assert not held(sqlite_app)
    mine.execute("INSERT INTO t VALUES (8)")
    mine.commit()
    assert mine.execute("SELECT x FROM t").fetchall() == [(8,)]  # the killed writer's row never landed
    mine.close()


def test_an_open_read_transaction_elsewhere_takes_no_lock(sqlite_app):
    child = _holder(sqlite_app, "BEGIN", "SELECT count(*) FROM t")  # a reader's snapshot stays open
    try:
        assert not held(sqlite_app)
        db.session.execute(text("INSERT INTO t VALUES (1)"))  # and does not block the writer (WAL)
        assert held(sqlite_app)
        db.session.commit()
        assert not held(sqlite_app)
    finally:
        _kill9(child)


def test_a_forked_child_has_a_lock_of_its_own(tmp_path):
    """gunicorn forks its workers from a master that may have opened the lock file: a child that kept the
    parent's open file would share its lock instead of excluding it."""
    lock = sqlite_writers.writer_lock(str(tmp_path / "db.sqlite"))
    assert lock.acquire(1)  # opens this process's lock file
    lock.release()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(ready_w, b"1" if lock.acquire(1) else b"0")
        time.sleep(30)
        os._exit(0)
    try:
        assert os.read(ready_r, 1) == b"1"
        assert not lock.acquire(0.2)  # the child holds it
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready_r)
        os.close(ready_w)
    assert lock.acquire(0.2)
    lock.release()


CASTER = """
import json, sys, threading
from consult import create_app
from consult.auth.models import User
from consult.extensions import db
from consult.voting import services as voting
from consult.voting.models import Contest
from sqlalchemy import select

url, secret, shares = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "RATELIMIT_ENABLED": False})
out, errors = [], []

def run(share):
    for email, contest_id, choices in share:
        with app.app_context():
            try:
                voter = db.session.scalar(select(User).where(User.email == email))
                cast = voting.cast(db.session.get(Contest, contest_id), voter, choices)
                out.append([email, contest_id, cast.receipt])
            except Exception as exc:
                errors.append(repr(exc))

threads = [threading.Thread(target=run, args=(s,)) for s in shares]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"receipts": out, "errors": errors}))
"""


def test_casts_from_several_processes_at_once_each_count_exactly_once(tmp_path, monkeypatch):
    from benchmarks.load.check import check
    from benchmarks.load.prepare import populate, sqlite_url

    monkeypatch.setenv("CONSULT_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONSULT_ARGON2_MEMORY_COST", "8")
    monkeypatch.setenv("CONSULT_ARGON2_PARALLELISM", "1")
    url, secret = sqlite_url(tmp_path), "several-processes"
    plan = populate(url, voters=24, posters=0, contests=6, secret_key=secret)
    casts = [
        [email, c.id, c.keys[:2] if c.ballot_type == "ranked" else c.keys[1:2]]
        for email in plan.voters
        for c in plan.contests
    ]
    processes, threads = 3, 4
    shares = [casts[i :: processes * threads] for i in range(processes * threads)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CASTER, url, secret, json.dumps(shares[p * threads : (p + 1) * threads])],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    results = [json.loads(child.communicate(timeout=300)[0]) for child in children]
    assert [r["errors"] for r in results] == [[]] * processes
    receipts = [row for r in results for row in r["receipts"]]
    assert len(receipts) == len(casts) == 24 * 6
    accepted = [[*row, 0.0, 0.0] for row in receipts]  # (voter, contest, receipt, latency, finish)
    clients = {"accepted": accepted, "comments": [], "unknown": [], "unknown_comments": 0}
    consistency = check(url, clients)
    assert consistency.ok, consistency.problems
    assert consistency.ballots == consistency.participations == len(casts)
    assert not held(Path(url.removeprefix("sqlite:///")))
