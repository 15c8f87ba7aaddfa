"""Helpers for the voting and results tests: contests in a consultation, moved to a phase; the receipt
file read from the receipt page's download link."""

from __future__ import annotations

import html as html_module
import re
from urllib.parse import unquote

from consult.auth.models import Role
from consult.consultations import services as consultation_services
from consult.consultations.models import Phase
from consult.voting import services as voting

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
    method = method or default_method
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
    return voting.create_contest(consultation, organiser, data), consultation, organiser


def to_phase(consultation, organiser, target: Phase | str, officer=None):
    target = Phase(target)
    while consultation.current_phase().rank < target.rank:
        step = consultation_services.next_phase(consultation)
        actor = officer if step is Phase.CERTIFIED else organiser
        consultation_services.transition(consultation, actor, step)


RECEIPT_LINK = re.compile(r'<a class="button" download="([^"]*)" href="([^"]*)">')
DATA_TEXT = "data:text/plain;charset=utf-8,"


def receipt_file(page: str) -> tuple[str, str]:
    """(download name, text) of the receipt page's download link, decoded as a browser does: the
    attribute's HTML escapes first, then the URL's percent-escapes as UTF-8."""
    found = RECEIPT_LINK.findall(page)
    assert len(found) == 1, f"{len(found)} receipt download links"
    name, href = (html_module.unescape(v) for v in found[0])
    assert href.startswith(DATA_TEXT), href[:60]
    return name, unquote(href.removeprefix(DATA_TEXT), errors="strict")
