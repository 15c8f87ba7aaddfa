"""Helpers for the voting and results tests: contests in a consultation, moved to a phase."""

from __future__ import annotations

import secrets

from consult.auth.models import Role
from consult.consultations import services as consultation_services
from consult.consultations.models import Phase
from consult.extensions import db
from consult.voting import services as voting
from consult.voting.models import Contest

RULES = {
    "ranked": ({}, "irv"),
    "approval": ({"min": 1, "max": 2}, "approval"),
    "budget": ({"budget": 100}, "greedy"),
    "quadratic": ({"credits": 10, "allow_negative": True}, "quadratic"),
}


def contest(make, kind: str = "ranked", organiser=None, consultation=None, method=None, seats=1, **extra):
    """A contest of ``kind`` with three options in a consultation in deliberation."""
    organiser = organiser or make.user(Role.ORGANISER)
    consultation = consultation or make.consultation(organiser=organiser, phase=Phase.DELIBERATION)
    rules, default_method = RULES[kind]
    offered = voting.methods_for(kind)
    method = method or (
        default_method if default_method in offered else (offered[0] if offered else default_method)
    )
    costs = [60, 30, 50] if kind == "budget" else [None, None, None]
    data = voting.ContestInput(
        title=f"A {kind} question",
        ballot_type=kind,
        method=method,
        seats=seats,
        seed="declared-seed",
        rules=dict(rules),
        choices=[(name, cost, None) for name, cost in zip(("Alpha", "Beta", "Gamma"), costs, strict=True)],
        **extra,
    )
    if method in offered:
        return voting.create_contest(consultation, organiser, data), consultation, organiser
    # No method of this tally version counts this ballot type yet (e.g. quadratic): the ballot forms and
    # their validation do not depend on the method, so build the contest without the method check.
    row = Contest(consultation_id=consultation.id, public_id=f"contest-{secrets.token_hex(8)}")
    db.session.add(row)
    voting._apply(row, data)
    db.session.commit()
    return row, consultation, organiser


def to_phase(consultation, organiser, target: Phase | str, officer=None):
    target = Phase(target)
    while consultation.current_phase().rank < target.rank:
        step = consultation_services.next_phase(consultation)
        actor = officer if step is Phase.CERTIFIED else organiser
        consultation_services.transition(consultation, actor, step)
