"""No route fails with a server error on empty or junk input, whoever asks (TESTING propagates exceptions)."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

JUNK = [
    {},
    {
        "body": "x" * 6000,
        "title": "",
        "stance": "sideways",
        "phase": "nonsense",
        "count": "-5",
        "role": "king",
        "status": "maybe",
        "action": "explode",
        "reason": "",
        "proposal_id": "abc",
        "support_threshold": "two",
        "voting_starts_at": "tomorrow",
        "eligibility": "secret",
        "supported": "2",
        "endorsed": "2",
        "token": "",
        "email": "not-an-email",
        "password": "",
        "ballot_type": "weird",
        "method": "none",
        "seats": "many",
        "seed": "",
        "choices": "a | b\n\nc",
        "options": "{",
        "budget": "lots",
        "credits": "-1",
        "rank-1": "zzz",
        "choice": "nope",
        "votes-o1": "abc",
        "adjust": "o1:+9",
        "secret": "not hex",
        "content": "[",
        "receipt": "xyz",
    },
]


@pytest.mark.parametrize("data", JUNK, ids=["empty", "junk"])
@pytest.mark.parametrize("who", ["anonymous", "citizen", "admin"])
def test_no_route_fails_with_a_server_error(client, make, login, who, data):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser)
    proposal = make.proposal(consultation)
    comment = make.comment(consultation)
    target = make.user()
    from .voting_helpers import contest, to_phase

    voting_contest, voting_consultation, voting_organiser = contest(make)
    to_phase(voting_consultation, voting_organiser, "voting")
    values = {
        "contest_id": voting_contest.id,
        "cid": consultation.id,
        "pid": proposal.id,
        "comment_id": comment.id,
        "uid": target.id,
        "token": "x",
    }
    actor = None if who == "anonymous" else make.user(who)
    app = client.application
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            for headers in ({}, {"HX-Request": "true"}):
                if actor is not None:  # log in again each time: log-out and blocking are among the routes
                    login(client, actor)
                if method == "GET":
                    response = client.get(path, headers=headers)
                else:
                    response = client.post(path, data=data, headers=headers)
                assert response.status_code < 500, f"{method} {path} {headers}: {response.status_code}"


@pytest.mark.parametrize("ident", [0, 2**31, 2**63 - 1, 2**63, 10**30], ids=str)
def test_ids_past_the_database_integer_range_are_not_found(client, make, login, ident):
    """A URL id that no database integer can hold is a 404, not a driver overflow (PostgreSQL int8)."""
    login(client, make.user("admin"))
    app = client.application
    for rule in app.url_map.iter_rules():
        ints = [a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)]
        if not ints:
            continue
        path = rule.build({a: ident if a in ints else "x" for a in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = client.open(path, method=method, data={"proposal_id": str(ident)})
            assert response.status_code == 404, f"{method} {path}: {response.status_code}"
