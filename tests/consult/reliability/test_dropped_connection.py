"""A database connection dropped under a request (PostgreSQL restarted or an administrator terminating the
backend) never becomes a 500: after the answer is made, the session's closing rollback fails on the dead
connection; the app discards it and the next request gets a fresh one (``pool_pre_ping``).

PostgreSQL only: a SQLite connection is a file handle in the process and cannot be dropped from outside.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from consult.consultations.models import Phase
from consult.extensions import db

from ..factories import Factories
from ..voting_helpers import contest, to_phase


def test_a_connection_dropped_after_the_answer_is_still_that_answer(app, login, database):
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite connection cannot be dropped from outside the process")
    with app.app_context():
        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        voter = make.user()
        contest_id, signed_in = c.id, SimpleNamespace(id=voter.id, session_version=voter.session_version)
        db.session.remove()
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
        first = client.get(f"/contests/{contest_id}")
        second = client.get(f"/contests/{contest_id}")
    finally:
        admin.dispose()
    assert first.status_code == second.status_code == 200
    assert len(dropped) == 2 and dropped[0] != dropped[1]  # the second request had a new connection
