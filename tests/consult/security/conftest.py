"""A small world every security test attacks, and the enumeration of the app's routes.

``world`` holds one consultation in deliberation (open to every account) with a proposal and a comment by
``author``, owned by ``owner``; a second consultation by another organiser that is still a draft (so its
objects exist but must stay invisible); and one signed-in-able user per role.  Routes are enumerated from
``app.url_map`` so a route added later is attacked too: a test that meets an endpoint it has no rule for
fails and names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from consult.consultations import services as consultation_services
from consult.extensions import db
from tally.ballot_rules import BALLOT_TYPES

from .. import voting_helpers
from ..conftest import Database, _migrate

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ROLES = ["anonymous", "citizen", "author", "moderator", "organiser", "owner", "officer", "auditor", "admin"]


@dataclass
class World:
    users: dict[str, Any]
    consultation: Any
    proposal: Any
    comment: Any
    draft: Any
    draft_proposal: Any
    draft_comment: Any
    target: Any
    contest: Any = None
    draft_contest: Any = None

    def values(self, draft: bool = False) -> dict[str, Any]:
        """URL values for every route argument: this world's objects (or the draft's, for IDOR checks)."""
        return {
            "cid": (self.draft if draft else self.consultation).id,
            "pid": (self.draft_proposal if draft else self.proposal).id,
            "comment_id": (self.draft_comment if draft else self.comment).id,
            "uid": self.target.id,
            "contest_id": (self.draft_contest if draft else self.contest).id,
            "token": "not-a-token",
            "filename": "consult.css",
        }


def build_world(make) -> World:
    owner = make.user("organiser")
    users: dict[str, Any] = {"anonymous": None, "owner": owner}
    for role in ROLES:
        if role in ("anonymous", "owner"):
            continue
        users[role] = make.user("citizen" if role == "author" else role)
    consultation = make.consultation(owner)
    contest = voting_helpers.contest(make, consultation=consultation, organiser=owner)[0]
    proposal = make.proposal(consultation, users["author"])
    comment = make.comment(consultation, users["author"], body="An author's comment")
    other = make.user("organiser")
    draft = make.consultation(other, phase="draft")
    # A draft takes no posts: its objects are made in deliberation, then it is put back (as a stored row).
    consultation_services.transition(draft, other, "deliberation")
    draft_proposal = make.proposal(draft)
    draft_comment = make.comment(draft)
    draft_contest = voting_helpers.contest(make, consultation=draft, organiser=other)[0]
    draft.phase = "draft"
    db.session.commit()
    return World(
        users,
        consultation,
        proposal,
        comment,
        draft,
        draft_proposal,
        draft_comment,
        make.user(),
        contest,
        draft_contest,
    )


def refresh(world: World, make) -> World:
    """The same users and consultations with a new proposal, comment and target: one change each."""
    proposal = make.proposal(world.consultation, world.users["author"])
    comment = make.comment(world.consultation, world.users["author"], body="Another comment")
    return replace(world, proposal=proposal, comment=comment, target=make.user())


@pytest.fixture
def world(make) -> World:
    return build_world(make)


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """SQLite only here: who may reach what is decided in Python, not by the database, and these tests
    send thousands of requests (the PostgreSQL run of the same views is in tests/consult/)."""
    path = tmp_path_factory.mktemp("security-db") / "consult.sqlite"
    database = Database("sqlite", f"sqlite:///{path}")
    _migrate(database)
    yield database


def rules(app: Flask) -> list[Rule]:
    return list(app.url_map.iter_rules())


def path_of(rule: Rule, values: dict[str, Any]) -> str:
    return rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]


def methods_of(rule: Rule, wanted: set[str]) -> list[str]:
    return sorted((rule.methods or set()) & wanted)


# The contest editor's fields for every ballot type tally offers. A ballot type added to tally makes
# ``contest_form`` fail until it is given its form here, so the election tests cover it too.
CONTEST_FORMS: dict[str, dict[str, str]] = {
    "ranked": {"method": "irv"},
    "approval": {"method": "approval", "min_choices": "1", "max_choices": "2"},
    "budget": {"method": "greedy", "budget": "100"},
    "quadratic": {"method": "quadratic", "credits": "10", "allow_negative": "on"},
}
BUDGET_COSTS = (60, 30, 50, 20)


def contest_form(kind: str, title: str, labels: list[str]) -> dict[str, str]:
    """The editor form for a ``kind`` contest offering ``labels`` (budget projects cost 60, 30, 50, 20...)."""
    if kind not in CONTEST_FORMS:
        raise AssertionError(f"ballot type {kind!r} has no contest form in {__name__}.CONTEST_FORMS")
    lines = [
        f"{label} | {BUDGET_COSTS[i % len(BUDGET_COSTS)]}" if kind == "budget" else label
        for i, label in enumerate(labels)
    ]
    return {
        "title": title,
        "ballot_type": kind,
        "seats": "1",
        "seed": "declared seed",
        "options": "{}",
        "allow_change": "on",
        "choices": "\n".join(lines),
        **CONTEST_FORMS[kind],
    }


def create_contests(client, cid: int, labels: list[str], title: str) -> dict[str, int]:
    """One contest per ballot type of tally, made through the editor (the client is the manager);
    returns ballot type -> contest id."""
    made = {}
    for kind in BALLOT_TYPES:
        response = send(
            client, "POST", f"/consultations/{cid}/contests/new", data=contest_form(kind, title, labels)
        )
        assert response.status_code == 303, (kind, response.status_code, response.get_data(as_text=True))
        made[kind] = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return made


def valid_ballot(kind: str, n_options: int, i: int) -> dict[str, Any]:
    """The ``i``-th of a few valid ballot forms for a contest made by ``create_contests``."""
    keys = [f"o{k}" for k in range(1, n_options + 1)]
    first, second = keys[i % len(keys)], keys[(i + 1) % len(keys)]
    if kind == "ranked":
        return {"rank-1": first, "rank-2": second}
    if kind == "approval":
        return {"choice": [first, second] if i % 2 else [first]}
    if kind == "budget":  # costs 60, 30, 50, 20 ...: any one project, or the 30 and the 20
        return {"choice": ["o2", "o4"] if i % 2 and n_options >= 4 else [first]}
    if kind == "quadratic":  # 2^2 + 1^2 = 5 of 10 credits
        return {f"votes-{first}": "2", f"votes-{second}": "-1" if i % 2 else "1"}
    raise AssertionError(f"ballot type {kind!r} has no valid ballot in {__name__}.valid_ballot")


def send(client, method: str, path: str, **kwargs: Any):
    """``client.open`` whose response body is read and closed (static files hold an open file)."""
    response = client.open(path, method=method, **kwargs)
    response.get_data()
    response.close()
    return response
