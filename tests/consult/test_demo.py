"""``flask demo``: migrations applied, content created once, logins printed with fresh passwords; one
contest of each ballot type with ballots, and one certified result whose audit package verifies."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from consult.auth import services as auth_services
from consult.auth.models import Role, User
from consult.consultations.models import Phase
from consult.deliberation.models import Comment, Proposal
from consult.extensions import db
from consult.results import services as results
from consult.voting import services as voting
from consult.voting.models import Ballot, Contest
from tally.audit import verify_package


def test_demo_prepares_a_lively_consultation_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    logins = dict(re.findall(r"(\S+@demo\.consult\.example)\s+(\S+)", first.output))
    assert {email.split("@")[0] for email in logins} >= {
        "admin",
        "organiser",
        "moderator",
        "officer",
        "auditor",
    }
    with app.app_context():
        for email, password in logins.items():
            assert auth_services.authenticate(email, password) is not None, email
        roles = {u.split("@")[0]: auth_services.authenticate(u, p).role for u, p in logins.items()}
        assert roles["officer"] == Role.OFFICER and roles["admin"] == Role.ADMIN
        comments = db.session.scalar(select(func.count()).select_from(Comment))
        assert comments >= 10
        assert db.session.scalar(select(func.max(Comment.depth))) >= 2
        assert db.session.scalar(select(func.count()).select_from(Proposal)) >= 3
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    again = dict(re.findall(r"(\S+@demo\.consult\.example)\s+(\S+)", second.output))
    assert again["admin@demo.consult.example"] != logins["admin@demo.consult.example"], (
        "new passwords each run"
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == comments, (
            "content is made once"
        )
    path = re.search(r"Demo consultation: (/consultations/\d+)", second.output).group(1)
    page = app.test_client().get(path).get_data(as_text=True)
    assert "old docks" in page and "Hidden by a moderator." in page and "most endorsed" in page


def test_the_demo_has_one_contest_of_each_ballot_type_with_ballots_and_a_certified_result(
    app_factory, tmp_path
):
    app = app_factory(SIGNING_KEY=str(tmp_path / "demo-key.pem"))
    output = app.test_cli_runner().invoke(args=["demo"]).output
    assert "Certified result: /consultations/" in output
    with app.app_context():
        contests = list(db.session.scalars(select(Contest)))
        open_ones = [c for c in contests if voting.consultation_of(c).current_phase() is Phase.VOTING]
        assert sorted(c.ballot_type for c in open_ones) == ["approval", "budget", "quadratic", "ranked"]
        assert all(voting.ballot_count(c) >= 5 for c in contests)
        by_type = {c.ballot_type: c for c in open_ones}
        assert by_type["ranked"].method in ("irv", "stv")
        ranked_options = by_type["ranked"].choices
        assert all(ch.proposal_id for ch in ranked_options), "the ranked ballot is the supported proposals"
        assert "Car park" not in [ch.label for ch in ranked_options], "an unsupported proposal stays off"
        assert all(choice.cost for choice in by_type["budget"].choices), "every project has a cost"
        assert by_type["budget"].rules["budget"] > 0
        assert by_type["quadratic"].rules["credits"] > 0
        assert by_type["approval"].rules["max"] >= by_type["approval"].rules["min"] >= 1
        quadratic_votes = [voting.content_of(b) for b in voting.ballots_by_id(by_type["quadratic"])]
        assert any(v < 0 for ballot in quadratic_votes for v in ballot.values()), "a vote against"
        certified = [c for c in contests if voting.consultation_of(c).current_phase() is Phase.CERTIFIED]
        assert len(certified) == 1
        cert = results.certification_of(certified[0])
        report = verify_package(cert.package, public_key=results.public_key())
        assert report.ok and report.manifest["ballots"]["count"] == voting.ballot_count(certified[0])
        ids = {c.ballot_type: c.id for c in open_ones}
        citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.consult.example"))
        assert not any(voting.has_voted(c, citizen) for c in open_ones), "the demo citizen can still vote"
    logins = dict(re.findall(r"(\S+@demo\.consult\.example)\s+(\S+)", output))
    client = app.test_client()
    client.post(
        "/auth/login",
        data={"email": "citizen@demo.consult.example", "password": logins["citizen@demo.consult.example"]},
    )
    for kind, contest_id in ids.items():
        page = client.get(f"/contests/{contest_id}").get_data(as_text=True)
        assert "Cast my ballot" in page, kind
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contest)) == len(contests)
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == sum(
            voting.ballot_count(c) for c in contests
        )
    path = re.search(r"Certified result: (/consultations/\d+)", output).group(1)
    assert b"results" in client.get(path).data
