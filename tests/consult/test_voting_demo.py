"""The demo prepares one contest of each ballot type this tally version counts, with ballots, and one
certified result whose audit package verifies."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from consult.consultations.models import Phase
from consult.extensions import db
from consult.results import services as results
from consult.voting import services as voting
from consult.voting.models import Ballot, Contest
from tally.audit import verify_package


def test_the_demo_has_contests_with_ballots_and_a_certified_result(app_factory, tmp_path):
    app = app_factory(SIGNING_KEY=str(tmp_path / "demo-key.pem"))
    output = app.test_cli_runner().invoke(args=["demo"]).output
    assert "Certified result: /consultations/" in output
    with app.app_context():
        contests = list(db.session.scalars(select(Contest)))
        kinds = {c.ballot_type for c in contests}
        expected = {k for k in ("ranked", "approval", "budget", "quadratic") if voting.methods_for(k)}
        assert kinds == expected
        for k in ("budget", "quadratic"):
            if k not in kinds:
                assert f"no {k} contest" in output
        assert all(voting.ballot_count(c) >= 5 for c in contests)
        certified = [c for c in contests if voting.consultation_of(c).current_phase() is Phase.CERTIFIED]
        assert len(certified) == 1
        cert = results.certification_of(certified[0])
        assert verify_package(cert.package, public_key=results.public_key()).ok
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contest)) == len(contests)
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == sum(
            voting.ballot_count(c) for c in contests
        )
    path = re.search(r"Certified result: (/consultations/\d+)", output).group(1)
    assert b"results" in app.test_client().get(path).data
