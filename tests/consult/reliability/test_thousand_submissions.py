"""Double submission at scale: 1,000 concurrent casts by one voter to one contest, sent over HTTP to
gunicorn with several workers, accept exactly one ballot. Each submission is a different form (its own
cast key, choices varying), as from many tabs or a script; the rest get the plain "already voted"
refusal (422), never a 500, a second ballot or a second poll-book row. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

from sqlalchemy import func, select

from consult.extensions import db
from consult.voting import castkeys
from consult.voting.models import Ballot, Participation

from .casting import _send, prepare, server_url
from .servers import Gunicorn

SUBMISSIONS = 1000
RANKINGS = (["o1", "o2"], ["o3"], ["o4", "o1", "o2"], ["o2", "o3", "o4", "o1"])


def test_thousand_concurrent_submissions_by_one_voter_accept_exactly_one(app, tmp_path):
    election = prepare(app, 1, seed=3)
    (voter,) = election.voters
    forms = [
        replace(voter, key=castkeys.new_cast_key(), choices=RANKINGS[i % len(RANKINGS)])
        for i in range(SUBMISSIONS)
    ]
    url = server_url(app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    with app.app_context():
        db.engine.dispose()
    server = Gunicorn(url, tmp_path, app.secret_key, workers=4)
    server.start()
    path = f"/contests/{election.contest_id}/cast"
    barrier = threading.Barrier(SUBMISSIONS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def submit(form) -> None:
        barrier.wait()
        try:
            status, _, text = _send(server.port, path, form, timeout=120)
        except OSError as exc:  # recorded and judged below: a dropped connection is a failure too
            status, text = -1, repr(exc)
        with lock:
            answers.append((status, text))

    threads = [threading.Thread(target=submit, args=(form,), daemon=True) for form in forms]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
    finally:
        server.stop()
    statuses = Counter(status for status, _ in answers)
    assert len(answers) == SUBMISSIONS, f"only {len(answers)} of {SUBMISSIONS} submissions were answered"
    assert statuses[200] == 1, statuses
    assert statuses[422] == SUBMISSIONS - 1, statuses
    assert all("already voted" in text for status, text in answers if status == 422)
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
    with app.app_context():
        ballots = db.session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.contest_id == election.contest_id)
        )
        polled = db.session.scalar(
            select(func.count())
            .select_from(Participation)
            .where(Participation.contest_id == election.contest_id)
        )
        db.session.remove()
    assert (ballots, polled) == (1, 1)
