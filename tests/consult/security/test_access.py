"""Access control: for every route and every role, only the intended roles reach it; ids of objects in a
consultation the user may not see (another organiser's draft) are refused on every route that takes one.

The tables below are the policy. An endpoint missing from them fails the test, so a new route must be
given its policy here before it can land.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from consult.consultations.models import Phase
from consult.deliberation.models import Comment
from consult.extensions import db
from consult.voting.models import Ballot, Choice

from ..voting_helpers import contest, to_phase
from .conftest import ROLES, contest_form, methods_of, path_of, refresh, rules, send

PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {"anonymous"}
ORGANISERS = frozenset({"organiser", "owner", "admin"})
MANAGERS = frozenset({"owner", "admin"})
MODERATORS = frozenset({"moderator", "owner", "admin"})
AUTHOR = frozenset({"author"})
ADMIN = frozenset({"admin"})
OFFICERS = frozenset({"officer", "admin"})
# The world's consultation is in deliberation: results and exports of its contest exist for nobody yet
# (published only once certified; tests/consult/test_results_certify.py covers them after).
NOBODY_YET = frozenset()

GET_POLICY: dict[str, frozenset[str]] = {
    "static": PUBLIC,
    "vendor.htmx_js": PUBLIC,
    "home.index": PUBLIC,
    "auth.login": PUBLIC,
    "auth.register": PUBLIC,
    "auth.reset_request": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.account": SIGNED_IN,
    "consultations.index": PUBLIC,
    "consultations.detail": PUBLIC,
    "consultations.api_index": PUBLIC,
    "consultations.api_detail": PUBLIC,
    "consultations.export_csv": PUBLIC,
    "consultations.new": ORGANISERS,
    "consultations.edit": MANAGERS,
    "consultations.eligibility": MANAGERS,
    "consultations.redeem": SIGNED_IN,
    "deliberation.comment": PUBLIC,
    "deliberation.history": PUBLIC,
    "deliberation.proposal": PUBLIC,
    "deliberation.proposals_json": PUBLIC,
    "deliberation.proposals_csv": PUBLIC,
    "deliberation.reply": SIGNED_IN,
    "deliberation.new_proposal": SIGNED_IN,
    "deliberation.edit_comment": AUTHOR,
    "deliberation.edit_proposal": AUTHOR,
    "deliberation.moderation": MODERATORS,
    "admin.users": ADMIN,
    "voting.new_contest": MANAGERS,
    "voting.edit_contest": MANAGERS,
    "voting.contest": PUBLIC,
    "voting.contests_json": PUBLIC,
    "results.results": NOBODY_YET,
    "results.results_json": NOBODY_YET,
    "results.results_csv": NOBODY_YET,
    "results.audit_package": NOBODY_YET,
    "results.rctab_export": NOBODY_YET,
    "results.bulletin_csv": NOBODY_YET,
    "results.bulletin": PUBLIC,
    "results.bulletin_json": PUBLIC,
    "results.signing_key": PUBLIC,
    "results.receipt_check": PUBLIC,
}

POST_POLICY: dict[str, frozenset[str]] = {
    "auth.login": PUBLIC,
    "auth.register": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.reset_request": PUBLIC,
    "auth.reset_password": PUBLIC,
    "consultations.new": ORGANISERS,
    "consultations.edit": MANAGERS,
    "consultations.transition": MANAGERS,
    "consultations.create_invitations": MANAGERS,
    "consultations.import_census": MANAGERS,
    "consultations.redeem": SIGNED_IN,
    "deliberation.post_comment": SIGNED_IN,
    "deliberation.reply": SIGNED_IN,
    "deliberation.endorse": SIGNED_IN,
    "deliberation.flag_comment": SIGNED_IN,
    "deliberation.new_proposal": SIGNED_IN,
    "deliberation.support": SIGNED_IN,
    "deliberation.flag_proposal": SIGNED_IN,
    "deliberation.edit_comment": AUTHOR,
    "deliberation.edit_proposal": AUTHOR,
    "deliberation.moderate_comment": MODERATORS,
    "deliberation.moderate_proposal": MODERATORS,
    "deliberation.answer": MANAGERS,
    "deliberation.block": frozenset({"moderator", "admin"}),
    "admin.set_role": ADMIN,
    "voting.new_contest": MANAGERS,
    "voting.edit_contest": MANAGERS,
    "voting.preview": PUBLIC,
    "voting.cast": SIGNED_IN,
    "voting.change": SIGNED_IN,
    "results.certify": OFFICERS,
    "results.receipt_check": PUBLIC,
}


def valid_form(endpoint: str, world) -> dict:
    """A form the intended role would send, so a refusal can only come from the access check."""
    forms = {
        "auth.login": {"email": world.target.email, "password": "a long test passphrase"},
        "auth.register": {
            "email": f"new{world.target.id}@example.org",
            "display_name": "New",
            "password": "a long new passphrase",
            "password2": "a long new passphrase",
        },
        "auth.reset_request": {"email": world.target.email},
        "auth.reset_password": {"password": "another passphrase!", "password2": "another passphrase!"},
        "consultations.new": {"title": "A new consultation"},
        "consultations.edit": {"title": "An edited consultation"},
        "consultations.transition": {"phase": "voting"},
        "consultations.create_invitations": {"count": "1"},
        "consultations.import_census": {"census": (io.BytesIO(b"email\na@example.org\n"), "census.csv")},
        "consultations.redeem": {"token": "not-a-token"},
        "deliberation.post_comment": {"body": "Hello", "stance": "for"},
        "deliberation.reply": {"body": "A reply", "stance": "against"},
        "deliberation.endorse": {"endorsed": "1"},
        "deliberation.flag_comment": {"reason": "spam"},
        "deliberation.new_proposal": {"title": "A proposal title", "body": "Some body"},
        "deliberation.support": {"supported": "1"},
        "deliberation.flag_proposal": {"reason": "spam"},
        "deliberation.edit_comment": {"body": "Edited", "stance": "for"},
        "deliberation.edit_proposal": {"title": "An edited proposal", "body": "Edited"},
        "deliberation.moderate_comment": {"action": "hide", "reason": "off topic"},
        "deliberation.moderate_proposal": {"action": "hide", "reason": "off topic"},
        "deliberation.answer": {"status": "accepted", "answer": "Yes"},
        "deliberation.block": {"blocked": "1", "reason": "abuse"},
        "admin.set_role": {"role": "moderator"},
    }
    return forms.get(endpoint, {})


def refused(response) -> bool:
    """403/404, 401 from a log-in form only where asked, or a redirect to the log-in page."""
    if response.status_code in (403, 404):
        return True
    return response.status_code in (302, 303) and "/auth/login" in response.headers.get("Location", "")


# URL arguments naming an object inside a consultation: every route taking one is tried with the object
# of another organiser's draft. Arguments naming nothing scoped to a consultation are listed apart (a user
# is reached only through the role policy). An argument in neither set fails
# ``test_every_url_argument_has_an_idor_rule``, so a new kind of id cannot skip the IDOR check.
SCOPED_ARGS = frozenset({"cid", "pid", "comment_id", "contest_id"})
UNSCOPED_ARGS = frozenset({"uid", "token", "filename"})


def test_every_route_has_a_policy(app):
    missing = []
    seen = {"GET": set(), "POST": set()}
    for rule in rules(app):
        for method in methods_of(rule, {"GET", "POST", "PUT", "PATCH", "DELETE"}):
            policy = GET_POLICY if method == "GET" else POST_POLICY
            if method not in ("GET", "POST") or rule.endpoint not in policy:
                missing.append(f"{method} {rule.endpoint}")
            else:
                seen[method].add(rule.endpoint)
    assert not missing, f"routes without an access policy in {__name__}: {missing}"
    stale = sorted((set(GET_POLICY) - seen["GET"]) | (set(POST_POLICY) - seen["POST"]))
    assert not stale, f"policies for routes that no longer exist: {stale}"


def test_every_url_argument_has_an_idor_rule(app):
    unknown = {f"{r.endpoint}: {a}" for r in rules(app) for a in r.arguments} - {
        f"{r.endpoint}: {a}" for r in rules(app) for a in r.arguments if a in SCOPED_ARGS | UNSCOPED_ARGS
    }
    assert not unknown, f"URL arguments with no IDOR rule in {__name__}: {sorted(unknown)}"


@pytest.mark.parametrize("role", ROLES)
def test_only_the_intended_roles_reach_each_page(client, login, world, role):
    user = world.users[role]
    wrong = []
    for rule in rules(client.application):
        if "GET" not in (rule.methods or ()) or rule.endpoint not in GET_POLICY:
            continue
        if user is not None:  # again each time: nothing here logs out, but be independent of order
            login(client, user)
        response = send(client, "GET", path_of(rule, world.values()))
        allowed = role in GET_POLICY[rule.endpoint]
        if refused(response) == allowed or response.status_code >= 500:
            wrong.append(f"GET {rule.endpoint}: {response.status_code} (allowed={allowed})")
    assert not wrong, f"{role}: {wrong}"


@pytest.mark.parametrize("role", ROLES)
def test_only_the_intended_roles_change_state(app, make, login, world, role):
    wrong = []
    # Each change on a fresh proposal, comment and target; the phase change (which ends proposals) last.
    for rule in sorted(rules(app), key=lambda r: (r.endpoint == "consultations.transition", r.rule)):
        if "POST" not in (rule.methods or ()) or rule.endpoint not in POST_POLICY:
            continue
        world = refresh(world, make)
        client = app.test_client()
        if world.users[role] is not None:
            login(client, world.users[role])
        response = send(client, "POST", path_of(rule, world.values()), data=valid_form(rule.endpoint, world))
        allowed = role in POST_POLICY[rule.endpoint]
        if refused(response) == allowed or response.status_code >= 500 or b"CSRF" in response.data:
            wrong.append(f"POST {rule.endpoint}: {response.status_code} (allowed={allowed})")
    assert not wrong, f"{role}: {wrong}"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_objects_of_an_invisible_consultation_cannot_be_reached_by_id(app, login, world, role):
    """Every route taking a consultation, proposal, comment or contest id refuses the ids of another
    organiser's draft, for reading and for changing; only its organiser and admins may see a draft."""
    wrong = []
    checked = set()
    for rule in rules(app):
        if not SCOPED_ARGS & set(rule.arguments):
            continue
        checked |= SCOPED_ARGS & set(rule.arguments)
        for method in methods_of(rule, {"GET", "POST"}):
            client = app.test_client()
            if world.users[role] is not None:
                login(client, world.users[role])
            path = path_of(rule, world.values(draft=True))
            if method == "GET":
                response = send(client, "GET", path)
            else:
                response = send(client, "POST", path, data=valid_form(rule.endpoint, world))
            if not refused(response):
                wrong.append(f"{method} {rule.endpoint}: {response.status_code}")
    assert checked == SCOPED_ARGS
    assert not wrong, f"{role}: {wrong}"


def test_a_proposal_id_of_another_consultation_in_a_form_is_refused(client, make, login, world):
    """Ids in forms are checked like ids in URLs: commenting "on" a proposal of another (public)
    consultation is refused and stores nothing."""
    foreign = make.proposal(make.consultation(), title="A proposal from elsewhere")
    login(client, world.users["author"])
    before = db.session.scalar(select(func.count()).select_from(Comment))
    response = send(
        client,
        "POST",
        f"/consultations/{world.consultation.id}/comments",
        data={"body": "On the other proposal", "proposal_id": str(foreign.id)},
    )
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == before


def test_a_contest_option_never_links_a_proposal_of_another_consultation(client, make, login, world):
    foreign = make.proposal(make.consultation(), title="A proposal from elsewhere")
    login(client, world.users["owner"])
    form = contest_form("ranked", "Linked options", [foreign.title, "Another option"])
    response = send(client, "POST", f"/consultations/{world.consultation.id}/contests/new", data=form)
    assert response.status_code == 303
    db.session.rollback()
    made = db.session.scalars(select(Choice).where(Choice.label == foreign.title)).one()
    assert made.proposal_id is None


def test_a_ballot_secret_changes_nothing_outside_its_own_contest(client, make, login):
    """A voter's secret from contest A presented to contest B of the same consultation, or to a contest
    of another consultation, replaces nothing; every ballot keeps its content and receipt."""
    first, consultation, organiser = contest(make)
    second = contest(make, consultation=consultation, organiser=organiser)[0]
    elsewhere, other, other_organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    to_phase(other, other_organiser, Phase.VOTING)
    login(client, make.user())
    secrets = {}
    for c in (first, second, elsewhere):
        cast = send(client, "POST", f"/contests/{c.id}/cast", data={"rank-1": "o1"})
        assert cast.status_code == 200
        secrets[c.id] = cast.get_data(as_text=True).split('id="secret">', 1)[1].split("<", 1)[0]
    stored = {(b.id, b.content, b.receipt) for b in db.session.scalars(select(Ballot))}
    for target in (second, elsewhere):
        response = send(
            client,
            "POST",
            f"/contests/{target.id}/change",
            data={"secret": secrets[first.id], "rank-1": "o2", "rank-2": "o3"},
        )
        assert response.status_code == 422
        assert "No ballot in this contest matches that secret" in response.get_data(as_text=True)
    db.session.rollback()
    assert {(b.id, b.content, b.receipt) for b in db.session.scalars(select(Ballot))} == stored
