"""Casting under faults: an election with many voters, HTTP clients that cast and resend, and the checks
run on the ballot box afterwards. Shared by the kill -9 and PostgreSQL-restart tests and their long
versions in ``benchmarks/reliability/``.

Clients are plain ``http.client`` connections (one per request, ``Connection: close``), so a killed
server shows up as a connection error on exactly the request it cut. Each voter's client draws one cast
key and resends the same form until it gets a receipt page: after a connection error or a 503 it waits
a moment and sends again. Signing in is a signed session cookie made with the app's secret key (the
password round trip is not what these tests are about).

:func:`check_ballot_box` is the rule the tests assert, after the run:

- every voter got a receipt (casting resumed after every fault), and no answer was other than 200 or 503;
- every receipt a client received is in the ballot table exactly once, with the content its page showed,
  and recomputes from that content and the secret shown (``tally.audit.check_receipt``);
- no other ballot exists: ballot rows = poll-book rows = voters, and the poll book names exactly them;
- the contest is closed and certified through the app, and its signed audit package verifies with
  ``tally.audit.verify_package`` (manifest signature, Merkle roots, counts, recount), its manifest counts
  every ballot, and each client receipt has a Merkle inclusion proof under the manifest's receipt root.
"""

from __future__ import annotations

import html
import http.client
import json
import random
import re
import secrets
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from consult.auth import services as auth_services
from consult.auth.models import Role, User
from consult.consultations import services as consultation_services
from consult.consultations.models import Consultation, Phase
from consult.extensions import db
from consult.results import services as results
from consult.voting import castkeys
from consult.voting import services as voting
from consult.voting.models import Ballot, Contest, Participation
from tally.audit import check_receipt, check_receipt_proof, receipt_proof, verify_package

from .servers import Gunicorn

PASSWORD = "a long test passphrase"
_SHOWN = {name: re.compile(rf'<code id="{name}">([^<]*)</code>') for name in ("receipt", "secret", "content")}


def server_url(uri: str, engine_options: dict[str, Any]) -> str:
    """The database URL a separate server process needs: a PostgreSQL ``search_path`` given to the test
    app as a connect argument goes into the URL's ``options`` instead."""
    options = (engine_options.get("connect_args") or {}).get("options")
    if not options:
        return uri
    return make_url(uri).update_query_dict({"options": options}).render_as_string(hide_password=False)


@dataclass
class Voter:
    id: int
    cookie: str
    csrf: str
    choices: list[str]
    key: str = field(default_factory=castkeys.new_cast_key)
    receipt: str | None = None
    secret: str | None = None
    content: str | None = None
    sends: int = 0
    cut: int = 0  # sends sent and then cut off without an answer (the server was killed under them)
    down: int = 0  # sends refused at connect (the server was down)
    statuses: Counter = field(default_factory=Counter)
    retry_after: set = field(default_factory=set)
    refused: str | None = None  # an answer other than 200/503, with its status and text
    done_at: float | None = None


@dataclass
class Election:
    contest_id: int
    consultation_id: int
    public_id: str
    officer_id: int
    voters: list[Voter]


def prepare(app: Flask, voters: int, seed: int = 0) -> Election:
    """A ranked contest in voting and ``voters`` citizens (bulk-inserted, one password hash) with session
    cookies and CSRF tokens for ``app``'s secret key. Call with the database already migrated."""
    rng = random.Random(seed)
    with app.app_context():
        organiser = auth_services.register(f"org-{secrets.token_hex(4)}@example.org", "Organiser", PASSWORD)
        auth_services.set_role(organiser, Role.ORGANISER.value)
        officer = auth_services.register(f"officer-{secrets.token_hex(4)}@example.org", "Officer", PASSWORD)
        auth_services.set_role(officer, Role.OFFICER.value)
        consultation = consultation_services.create(
            organiser, consultation_services.ConsultationInput(title="Casting under faults")
        )
        consultation_services.transition(consultation, organiser, Phase.DELIBERATION)
        contest = voting.create_contest(
            consultation,
            organiser,
            voting.ContestInput(
                title="Which option first",
                ballot_type="ranked",
                method="irv",
                seed="fault-seed",
                choices=[(name, None, None) for name in ("Alpha", "Beta", "Gamma", "Delta")],
            ),
        )
        consultation_services.transition(consultation, organiser, Phase.VOTING)
        hashed = organiser.password_hash
        tag = secrets.token_hex(4)
        db.session.execute(
            insert(User),
            [
                {"email": f"v{i}-{tag}@example.org", "display_name": f"Voter {i}", "password_hash": hashed}
                for i in range(voters)
            ],
        )
        db.session.commit()
        ids = list(db.session.scalars(select(User.id).where(User.email.like(f"%-{tag}@example.org"))))
        sessions = app.session_interface.get_signing_serializer(app)
        tokens = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        made = []
        for uid in sorted(ids):
            raw = secrets.token_hex(20)
            ranking = rng.sample(["o1", "o2", "o3", "o4"], rng.randint(1, 4))
            made.append(
                Voter(
                    uid,
                    sessions.dumps({"uid": uid, "sv": 1, "csrf_token": raw}),
                    tokens.dumps(raw),
                    ranking,
                )
            )
        election = Election(contest.id, consultation.id, contest.public_id, officer.id, made)
        db.session.remove()
    return election


def _send(port: int, path: str, voter: Voter, timeout: float) -> tuple[int, str | None, str]:
    form = {f"rank-{i}": key for i, key in enumerate(voter.choices, start=1)}
    body = urllib.parse.urlencode({**form, "cast_key": voter.key})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"session={voter.cookie}",
                "X-CSRFToken": voter.csrf,
                "Connection": "close",
            },
        )
        response = conn.getresponse()
        return response.status, response.getheader("Retry-After"), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


class Clients:
    """``threads`` client threads casting every voter's ballot, resending until each has a receipt."""

    def __init__(self, port: int, election: Election, threads: int = 8, deadline: float = 120) -> None:
        self.port = port
        self.election = election
        self.path = f"/contests/{election.contest_id}/cast"
        self.pending = list(reversed(election.voters))
        self.lock = threading.Lock()
        self.stop_at = time.monotonic() + deadline
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        self.done = 0

    def start(self) -> Clients:
        for t in self.threads:
            t.start()
        return self

    def join(self) -> None:
        for t in self.threads:
            t.join(max(0.0, self.stop_at - time.monotonic()) + 15)

    def _next(self) -> Voter | None:
        with self.lock:
            return self.pending.pop() if self.pending else None

    def _run(self) -> None:
        while (voter := self._next()) is not None:
            self._cast(voter)
            with self.lock:
                self.done += 1

    def _cast(self, voter: Voter) -> None:
        while time.monotonic() < self.stop_at:
            voter.sends += 1
            try:
                status, retry_after, text = _send(self.port, self.path, voter, timeout=15)
            except ConnectionRefusedError:
                voter.down += 1
                time.sleep(random.uniform(0.02, 0.1))
                continue
            except (OSError, http.client.HTTPException):
                voter.cut += 1
                time.sleep(random.uniform(0.02, 0.1))
                continue
            voter.statuses[status] += 1
            if status == 200:
                found = {name: rx.search(text) for name, rx in _SHOWN.items()}
                if not all(found.values()):
                    voter.refused = f"200 without a receipt: {text[:300]}"
                    return
                voter.receipt, voter.secret = found["receipt"].group(1), found["secret"].group(1)
                voter.content = html.unescape(found["content"].group(1))
                voter.done_at = time.monotonic()
                return
            if status == 503 and retry_after and "briefly unavailable" in text:
                voter.retry_after.add(retry_after)
                time.sleep(random.uniform(0.1, 0.3))  # well under Retry-After, to see many 503s
                continue
            voter.refused = f"{status}: {text[:300]}"
            return


def check_ballot_box(app: Flask, election: Election) -> dict[str, Any]:
    """Assert the rules of the module docstring; returns figures for the report."""
    voters = election.voters
    refused = [(v.id, v.refused) for v in voters if v.refused]
    assert not refused, refused[:5]
    missing = [v.id for v in voters if v.receipt is None]
    assert not missing, f"{len(missing)} voters never got a receipt, e.g. {missing[:5]}"
    with app.app_context():
        contest = db.session.get(Contest, election.contest_id)
        rows = {
            b.receipt: b for b in db.session.scalars(select(Ballot).where(Ballot.contest_id == contest.id))
        }
        polled = Counter(
            db.session.scalars(select(Participation.voter_id).where(Participation.contest_id == contest.id))
        )
        ballots = db.session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.contest_id == contest.id)
        )
        assert ballots == len(rows) == len(voters), (ballots, len(rows), len(voters))
        assert polled == Counter(v.id for v in voters), "poll book differs from the voters who cast"
        for v in voters:
            row = rows.get(v.receipt)
            assert row is not None, f"voter {v.id}'s receipt {v.receipt[:12]}... is not in the ballot box"
            assert row.content == v.content, (row.content, v.content)
            assert check_receipt(v.receipt, election.public_id, json.loads(v.content), v.secret)
        consultation = db.session.get(Consultation, election.consultation_id)
        officer = db.session.get(User, election.officer_id)
        consultation_services.transition(consultation, officer, Phase.CLOSED)
        (certification,) = results.certify_consultation(consultation, officer)
        report = verify_package(certification.package, public_key=results.public_key())
        assert report.ok, report.lines()
        manifest = results.manifest_of(certification)
        assert manifest["ballots"]["count"] == manifest["receipts"]["count"] == len(voters)
        receipts = sorted(rows)
        root = manifest["receipts"]["merkle_root"]
        for v in voters:
            proof = receipt_proof(receipts, v.receipt)
            assert proof is not None and check_receipt_proof(proof, root)
        db.session.remove()
    statuses = Counter()
    for v in voters:
        statuses.update(v.statuses)
    return {
        "voters": len(voters),
        "ballots": ballots,
        "sends": sum(v.sends for v in voters),
        "cut_sends": sum(v.cut for v in voters),
        "refused_connects": sum(v.down for v in voters),
        "voters_resent_after_cut": sum(1 for v in voters if v.cut),
        "statuses": dict(statuses),
        "retry_after": sorted(set().union(*(v.retry_after for v in voters))),
        "manifest_ballots": manifest["ballots"]["count"],
    }


def run_kills(
    app, election: Election, url: str, folder: Path, kills: int, seed: int, pause=(0.3, 0.9)
) -> dict:
    """Cast with ``election``'s voters through gunicorn, SIGKILL every server process ``kills`` times at
    random moments (each while casts are in flight), restart each time; returns the figures."""
    rng = random.Random(seed)
    server = Gunicorn(url, folder, app.secret_key, workers=3)
    starts = [server.start()]
    began = time.monotonic()
    clients = Clients(server.port, election, threads=8, deadline=60 + 10 * kills).start()
    killed, in_flight = [], []
    try:
        for i in range(kills):
            # a random moment, but never later than the point where casting could have ended
            wait_until = time.monotonic() + rng.uniform(*pause)
            quota = len(election.voters) * (i + 1) // (kills + 1)
            while time.monotonic() < wait_until and clients.done < quota:
                time.sleep(0.01)
            in_flight.append(len(election.voters) - clients.done)
            killed.append(server.kill9())
            starts.append(server.start())
        clients.join()
    finally:
        server.stop()
    assert all(n > 0 for n in in_flight), f"a kill came after casting had ended: {in_flight}"
    assert all(n >= 2 for n in killed), f"master and workers were not all found: {killed}"
    cast_seconds = time.monotonic() - began
    figures = check_ballot_box(app, election)
    assert "Traceback" not in (folder / "gunicorn.log").read_text()
    figures.update(
        cast_seconds=round(cast_seconds, 1),
        kills=kills,
        processes_killed=sum(killed),
        restart_seconds_max=round(max(starts[1:]), 2),
        restart_seconds_median=round(statistics.median(starts[1:]), 2),
    )
    return figures


def run_database_restarts(
    app, election: Election, cluster, folder: Path, restarts: int, down_seconds: float
) -> dict:
    """Cast through gunicorn while the PostgreSQL ``cluster`` is stopped for ``down_seconds`` and started
    again ``restarts`` times (each once a further share of the voters is done). Asserts that clients saw
    503s with ``Retry-After`` and nothing else but 200, that casting resumed after every restart without
    restarting the app, and the ballot-box rules; returns the figures."""
    server = Gunicorn(cluster.url, folder, app.secret_key, workers=3)
    server.start()
    began = time.monotonic()
    ups = []
    try:
        clients = Clients(server.port, election, threads=8, deadline=60 + 10 * restarts).start()
        for i in range(restarts):
            quota = len(election.voters) * (i + 1) // (restarts + 1)
            while clients.done < quota and time.monotonic() < clients.stop_at:
                time.sleep(0.01)
            cluster.stop("fast")
            time.sleep(down_seconds)
            cluster.start()
            ups.append(time.monotonic())
        clients.join()
    finally:
        server.stop()
    cast_seconds = time.monotonic() - began
    figures = check_ballot_box(app, election)
    assert figures["statuses"].get(503, 0) > 0, "no client saw an outage: the run proved nothing"
    assert set(figures["statuses"]) == {200, 503}, figures["statuses"]
    assert figures["retry_after"] == [str(app.config["RETRY_AFTER_SECONDS"])]
    assert server.starts == 1, "the app was restarted: casting did not resume by itself"
    assert any(v.done_at and v.done_at > ups[-1] for v in election.voters), "nothing cast after the restart"
    assert "Traceback" not in (folder / "gunicorn.log").read_text()
    figures.update(restarts=restarts, down_seconds=down_seconds, cast_seconds=round(cast_seconds, 1))
    return figures
