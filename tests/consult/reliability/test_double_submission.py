"""Double submission: many concurrent casts by one voter in one contest accept exactly one ballot, on
SQLite and on PostgreSQL; the rest get the clear "already voted" refusal, never a 500 or a second row.
Also through HTTP: the same form posted concurrently by threads sharing one session."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from consult.consultations.models import Phase
from consult.errors import ServiceError
from consult.extensions import db
from consult.voting import services as voting
from consult.voting.models import Ballot, Contest, Participation

from ..voting_helpers import contest, to_phase

THREADS = 12


def _race(target, n: int = THREADS) -> list:
    barrier = threading.Barrier(n)
    outcomes: list = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            result = target()
        except Exception as exc:  # noqa: BLE001 - every outcome is recorded and judged below
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _counts(contest_id: int) -> tuple[int, int]:
    ballots = db.session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.contest_id == contest_id)
    )
    parts = db.session.scalar(
        select(func.count()).select_from(Participation).where(Participation.contest_id == contest_id)
    )
    return ballots, parts


def test_concurrent_casts_by_one_voter_accept_exactly_one(app, make):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    contest_id, voter_id = c.id, voter.id
    db.session.remove()

    def cast():
        with app.app_context():
            from consult.auth.models import User

            return voting.cast(
                db.session.get(Contest, contest_id), db.session.get(User, voter_id), ["o1", "o2"]
            )

    outcomes = _race(cast)
    accepted = [o for o in outcomes if isinstance(o, voting.CastReceipt)]
    refused = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(accepted) == 1, outcomes
    assert len(refused) == THREADS - 1, [
        o for o in outcomes if not isinstance(o, voting.CastReceipt | ServiceError)
    ]
    assert all("already voted" in str(o) for o in refused)
    assert _counts(contest_id) == (1, 1)
    assert db.session.scalar(select(Ballot.receipt)) == accepted[0].receipt


def test_concurrent_cast_requests_from_one_session_accept_exactly_one(app, make, login):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    contest_id = c.id
    clients = [app.test_client() for _ in range(THREADS)]
    for client in clients:
        login(client, voter)
    db.session.remove()
    pending = iter(clients)
    lock = threading.Lock()

    def post():
        with lock:
            client = next(pending)
        response = client.post(f"/contests/{contest_id}/cast", data={"rank-1": "o1", "rank-2": "o2"})
        return response.status_code

    codes = _race(post)
    assert sorted(codes).count(200) == 1, codes
    assert all(code == 422 for code in codes if code != 200), codes
    assert _counts(contest_id) == (1, 1)
