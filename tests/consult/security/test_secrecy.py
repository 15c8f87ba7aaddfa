"""Ballot secrecy after a voting session: no log line pairs a voter with a ballot (nothing logged at any
level names a receipt or ballot id), and no page a voter or anyone else can open later shows a voter's
receipt next to their name."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile

from sqlalchemy import select

from consult.auth import services as auth_services
from consult.consultations.models import Phase
from consult.extensions import db
from consult.voting.models import Ballot, Participation

from ..factories import PASSWORD
from ..voting_helpers import contest, to_phase
from .conftest import create_contests, path_of, rules, send, valid_ballot


def test_no_log_line_or_later_page_pairs_a_voter_with_a_ballot(client, make, login, caplog, ctx):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voters = [make.user(name=f"Voter {i}") for i in range(3)]
    caplog.set_level(logging.DEBUG)
    for i, voter in enumerate(voters):
        login(client, voter)
        form = {"rank-1": f"o{i + 1}", "rank-2": "o3" if i != 2 else "o1"}
        assert send(client, "POST", f"/contests/{c.id}/cast", data=form).status_code == 200
        assert send(client, "POST", f"/contests/{c.id}/cast", data=form).status_code == 422  # error page
    ballots = list(ctx.extensions["sqlalchemy"].session.scalars(select(Ballot)))
    secrets = [b.receipt for b in ballots] + [b.id for b in ballots]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [s for s in secrets if s in logged]
    for voter in voters:
        login(client, voter)
        for path in (f"/contests/{c.id}", f"/consultations/{consultation.id}", "/auth/account"):
            html = send(client, "GET", path).get_data(as_text=True)
            assert not [s for s in secrets if s in html], path


# Words of a field name (snake, kebab or camel case) that would be about a voter. A count is fine (the
# quadratic result's ``participation`` is the number of ballots that spent credits).
VOTER_WORDS = {"voter", "voters", "user", "users", "uid", "email", "identifier", "account", "participation"}


def _voter_fields(value) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", k)}
            if words & VOTER_WORDS and not (isinstance(v, int) and not isinstance(v, bool)):
                found.add(k)
            found |= _voter_fields(v)
    elif isinstance(value, list):
        for v in value:
            found |= _voter_fields(v)
    return found


def test_no_export_pairs_a_voter_with_a_ballot_and_every_list_is_in_id_or_receipt_order(
    client, make, login, world
):
    """A voting session in every ballot type by voters whose emails, names and census identifiers are
    known, then the close and certification. No answer of any GET route (every page, JSON, CSV, bulletin,
    audit package and RCTab export, zip members read one by one), as anonymous or admin, names a voter
    next to a receipt or ballot id; no export has a field about voters; ballot records are exactly
    (id, content) with the stored random ids, in id order, in ballots.jsonl and the CDF CVR alike; every
    list of receipts (receipts.txt, bulletin page, JSON, CSV) is sorted."""
    cid = world.consultation.id
    login(client, world.users["owner"])
    contests = create_contests(client, cid, ["Alpha", "Beta", "Gamma", "Delta"], "A secret question")
    assert send(client, "POST", f"/consultations/{cid}/phase", data={"phase": "voting"}).status_code == 303
    voters = [
        auth_services.register(f"voter-{i}-qz@example.org", f"Voter Qz{i}", PASSWORD, f"census-qz-{i}")
        for i in range(6)
    ]
    sizes = [(k, c, 4) for k, c in contests.items()] + [("ranked", world.contest.id, 3)]
    for i, voter in enumerate(voters):
        login(client, voter)
        for kind, contest_id, n in sizes:
            cast = send(client, "POST", f"/contests/{contest_id}/cast", data=valid_ballot(kind, n, i))
            assert cast.status_code == 200, (kind, cast.status_code)
    login(client, world.users["owner"])
    assert send(client, "POST", f"/consultations/{cid}/phase", data={"phase": "closed"}).status_code == 303
    login(client, world.users["officer"])
    assert send(client, "POST", f"/consultations/{cid}/certify").status_code == 303

    db.session.rollback()
    ballots = list(db.session.scalars(select(Ballot)))
    participations = list(db.session.scalars(select(Participation)))
    assert len(ballots) == len(participations) == 6 * len(sizes)
    secrets = {b.receipt for b in ballots} | {b.id for b in ballots}
    who = {v.email for v in voters} | {v.display_name for v in voters} | {v.identifier for v in voters}
    wrong: list[str] = []
    bodies = naming_pages = 0
    members: set[str] = set()
    for role in ("anonymous", "admin"):
        for rule in rules(client.application):
            if "GET" not in (rule.methods or ()) or rule.endpoint in ("static", "vendor.htmx_js"):
                continue
            for _, contest_id, _ in sizes if "contest_id" in rule.arguments else sizes[:1]:
                if role == "admin":
                    login(client, world.users["admin"])
                else:
                    send(client, "POST", "/auth/logout")
                path = path_of(rule, {**world.values(), "contest_id": contest_id})
                response = send(client, "GET", path)
                parts = {path: response.get_data()}
                if response.mimetype == "application/zip":
                    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
                        parts = {f"{path}!{n}": archive.read(n) for n in archive.namelist()}
                        members |= set(archive.namelist())
                        wrong += _record_problems(path, parts, contest_id)
                for where, raw in parts.items():
                    bodies += 1
                    text = raw.decode("utf-8")
                    named = [w for w in who if w in text]
                    naming_pages += bool(named)
                    if named and any(s in text for s in secrets):
                        wrong.append(f"{role} {where}: names {named[0]!r} beside a receipt or ballot id")
                    if response.mimetype != "text/html" and named:
                        wrong.append(f"{role} {where}: export names a voter ({named[0]!r})")
                    if where.endswith((".json", "jsonl")) or response.mimetype == "application/json":
                        lines = text.splitlines() if where.endswith("jsonl") else [text]
                        fields = set().union(*(_voter_fields(json.loads(line)) for line in lines))
                        wrong += [f"{role} {where}: field {k!r}" for k in sorted(fields)]
                wrong += _receipt_order_problems(path, response)
    assert {"ballots.jsonl", "receipts.txt", "rctab/cvr.json"} <= members
    assert bodies > 150 and naming_pages  # the admin's user list does name them: the search works
    assert _voter_fields({"a": [{"voterId": "x", "overvoteRule": "y", "participation": 3}]}) == {"voterId"}
    assert not wrong, wrong[:20]


def _record_problems(path: str, members: dict[str, bytes], contest_id: int) -> list[str]:
    """Ballot records in an audit package or RCTab export: only (id, content), the stored ids, id order."""
    problems = []
    stored = sorted(b.id for b in db.session.scalars(select(Ballot).where(Ballot.contest_id == contest_id)))
    jsonl = members.get(f"{path}!ballots.jsonl")
    if jsonl is not None:
        records = [json.loads(line) for line in jsonl.decode("utf-8").splitlines()[1:]]
        if any(set(r) != {"ballot", "id"} for r in records):
            problems.append(f"{path}: a ballot record holds more than id and content")
        if [r["id"] for r in records] != stored:
            problems.append(f"{path}: ballots.jsonl is not the stored ballots in id order")
    receipts = members.get(f"{path}!receipts.txt")
    if receipts is not None and receipts.decode().split() != sorted(receipts.decode().split()):
        problems.append(f"{path}: receipts.txt is not sorted")
    cvr = members.get(f"{path}!rctab/cvr.json")
    if cvr is not None:
        ids = [c["BallotPrePrintedId"] for c in json.loads(cvr)["CVR"]]
        if ids != stored:
            problems.append(f"{path}: the CDF CVR is not the stored ballots in id order")
    return problems


def _receipt_order_problems(path: str, response) -> list[str]:
    text = response.get_data(as_text=response.mimetype != "application/zip")
    if "bulletin" not in path or not isinstance(text, str):
        return []
    if response.mimetype == "application/json":
        listed = json.loads(text)["receipts"]
    elif response.mimetype == "text/csv":
        listed = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    else:
        listed = re.findall(r"\b[0-9a-f]{64}\b", text)
    return [] if listed and listed == sorted(listed) else [f"{path}: receipts missing or not sorted"]
