"""Ballot secrecy after a voting session: no log line pairs a voter with a ballot (nothing logged at any
level names a receipt or ballot id), and no page a voter or anyone else can open later shows a voter's
receipt next to their name."""

from __future__ import annotations

import logging

from sqlalchemy import select

from consult.consultations.models import Phase
from consult.voting.models import Ballot

from ..voting_helpers import contest, to_phase
from .conftest import send


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
