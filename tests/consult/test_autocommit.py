"""``consult.autocommit``: on PostgreSQL the ballot page and the cast run every statement without a
transaction block, every other request in one; the cast's single write statement is all or nothing (a
poll-book row already there means no ballot either), on both databases."""

from __future__ import annotations

import re
from collections import defaultdict
from types import SimpleNamespace

import pytest
from flask import has_request_context, request
from sqlalchemy import event, insert

from consult.autocommit import ENDPOINTS
from consult.consultations.models import Phase
from consult.extensions import db
from consult.voting import services as voting
from consult.voting.models import Contest, Participation

from .factories import Factories
from .voting_helpers import contest, to_phase


def test_on_postgresql_only_the_listed_endpoints_run_without_a_transaction(app, login, database):
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's writes need their transaction")
    with app.app_context():  # set up in a context of its own: each request below gets a new session
        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        voter = make.user()
        contest_id, cid = c.id, consultation.id
        signed_in = SimpleNamespace(id=voter.id, session_version=voter.session_version)
        db.session.remove()
    seen: dict[str, set[bool]] = defaultdict(set)

    def record(conn, _cursor, _statement, *_args):
        if has_request_context():
            seen[request.endpoint].add(conn.connection.driver_connection.autocommit)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    client = app.test_client()
    login(client, signed_in)
    try:
        assert client.get(f"/contests/{contest_id}").status_code == 200
        html = client.post(f"/contests/{contest_id}/cast", data={"rank-1": "o1"}).data.decode()
        shown = {
            k: re.search(rf'<code id="{k}">([^<]*)</code>', html).group(1) for k in ("receipt", "secret")
        }
        assert client.get(f"/consultations/{cid}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert set(ENDPOINTS) <= set(seen)
    assert {endpoint: modes for endpoint, modes in seen.items() if endpoint in ENDPOINTS} == {
        endpoint: {True} for endpoint in ENDPOINTS
    }
    assert all(modes == {False} for endpoint, modes in seen.items() if endpoint not in ENDPOINTS)
    with app.app_context():
        assert voting.sorted_receipts(db.session.get(Contest, contest_id)) == [shown["receipt"]]
        db.session.remove()


def test_a_cast_refused_by_the_poll_book_writes_no_ballot(make, client, login):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    db.session.execute(
        insert(Participation), {"consultation_id": consultation.id, "contest_id": c.id, "voter_id": voter.id}
    )
    db.session.commit()
    login(client, voter)
    refused = client.post(f"/contests/{c.id}/cast", data={"rank-1": "o1"})
    assert refused.status_code == 422 and b"already voted" in refused.data
    assert voting.ballot_count(c) == 0
