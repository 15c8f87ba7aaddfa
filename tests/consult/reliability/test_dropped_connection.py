"""A database connection dropped under a request (PostgreSQL restarted or an administrator terminating the
backend) never becomes a 500: after the answer is made, the session's closing rollback fails on the dead
connection; the app discards it and the next request gets a fresh one. A connection dropped while it sat
in the pool is tested before use once it has been idle ``POOL_PING_IDLE_SECONDS`` (and replaced); one
in steady use is not tested, so its next request is a retryable 503 and the one after that reconnects.
The ballot page and the cast run in autocommit (``consult.autocommit``): they end with no rollback that
could notice the drop, so a drop right after one of them is the steady-use case.

PostgreSQL only: a SQLite connection is a file handle in the process and cannot be dropped from outside.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from consult.consultations.models import Phase
from consult.extensions import db
from consult.voting.models import Contest

from ..factories import Factories
from ..voting_helpers import contest, to_phase


def _voting_contest(app, database):
    """A contest open for voting and a voter (PostgreSQL only); returns (contest id, signed-in voter)."""
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite connection cannot be dropped from outside the process")
    with app.app_context():
        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        voter = make.user()
        contest_id, signed_in = c.id, SimpleNamespace(id=voter.id, session_version=voter.session_version)
        db.session.remove()
    return contest_id, signed_in


def _record_backends(app) -> list[int]:
    """The server process id of each request's connection, in request order."""
    pids: list[int] = []

    @app.after_request
    def record(response):
        pids.append(db.session.execute(text("select pg_backend_pid()")).scalar())
        return response

    return pids


def _terminate(uri: str, pid: int) -> None:
    """Terminate the server process ``pid`` and wait (up to 5 s) until it has exited."""
    admin = create_engine(uri)
    try:
        with admin.begin() as conn:
            conn.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    finally:
        admin.dispose()


def test_a_connection_dropped_after_the_answer_is_still_that_answer(app, login, database):
    contest_id, signed_in = _voting_contest(app, database)
    with app.app_context():
        cid = db.session.get(Contest, contest_id).consultation_id  # its page runs in a transaction
    admin = create_engine(database.uri)
    dropped = []

    @app.after_request
    def drop_my_connection(response):
        pid = db.session.execute(text("select pg_backend_pid()")).scalar()
        with admin.begin() as conn:
            conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        dropped.append(pid)
        return response

    client = app.test_client()
    login(client, signed_in)
    try:
        first = client.get(f"/consultations/{cid}")
        second = client.get(f"/consultations/{cid}")
    finally:
        admin.dispose()
    assert first.status_code == second.status_code == 200
    assert len(dropped) == 2 and dropped[0] != dropped[1]  # the second request had a new connection


def test_an_idle_pooled_connection_dropped_by_the_server_is_replaced_before_use(app, login, database):
    contest_id, signed_in = _voting_contest(app, database)
    app.config["POOL_PING_IDLE_SECONDS"] = 0  # every pooled connection counts as idle: always tested
    pids = _record_backends(app)
    client = app.test_client()
    login(client, signed_in)
    assert client.get(f"/contests/{contest_id}").status_code == 200
    _terminate(database.uri, pids[0])
    assert client.get(f"/contests/{contest_id}").status_code == 200
    assert pids[1] != pids[0]


def test_a_busy_connection_is_not_tested_so_its_drop_is_a_503_then_service_resumes(app, login, database):
    contest_id, signed_in = _voting_contest(app, database)
    app.config["POOL_PING_IDLE_SECONDS"] = 3600  # never idle long enough to be tested
    pids = _record_backends(app)
    client = app.test_client()
    login(client, signed_in)
    assert client.get(f"/contests/{contest_id}").status_code == 200
    _terminate(database.uri, pids[0])
    refused = client.get(f"/contests/{contest_id}")
    assert refused.status_code == 503 and refused.headers["Retry-After"], pids
    assert client.get(f"/contests/{contest_id}").status_code == 200
    assert pids[-1] != pids[0], pids
