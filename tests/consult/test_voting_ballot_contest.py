"""The contest as the voter's pages and the cast read it (``voting.ballot_reads.ballot_contest``): the same
values, pages and answers as the ORM contest with its own eligibility and poll-book queries, read fresh on
every request, in one statement."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from flask import g, has_request_context, render_template, request
from sqlalchemy import event

from consult.auth import services as auth_services
from consult.auth.models import Role, utcnow
from consult.consultations.models import Phase
from consult.errors import PermissionDenied, ServiceError
from consult.extensions import db
from consult.voting import ballot_reads, views
from consult.voting import services as voting
from consult.voting.models import Contest

from .voting_helpers import contest, to_phase

KINDS = ["ranked", "approval", "budget", "quadratic"]
CAST_KEY = re.compile(r'<input type="hidden" name="cast_key" value="[^"]*">')


@pytest.mark.parametrize("kind", KINDS)
def test_the_ballot_contest_holds_what_the_orm_contest_holds(make, kind):
    c, consultation, _ = contest(make, kind, allow_change=kind != "approval")
    read, facts = ballot_reads.ballot_contest(c.id, None)
    assert facts is None
    fields = ("id", "consultation_id", "public_id", "title", "ballot_type", "method", "seats", "seed")
    assert [getattr(read, f) for f in fields] == [getattr(c, f) for f in fields]
    assert read.allow_change is c.allow_change and read.rules == c.rules and read.keys == c.keys
    assert [(x.key, x.label, x.cost) for x in read.choices] == [(x.key, x.label, x.cost) for x in c.choices]
    assert [read.label_of(k) for k in ("o2", "o9")] == [c.label_of(k) for k in ("o2", "o9")]
    shown = ("id", "title", "organiser_id", "phase", "eligibility", "voting_starts_at", "voting_ends_at")
    assert [getattr(read.consultation, f) for f in shown] == [getattr(consultation, f) for f in shown]
    assert read.consultation.current_phase() is consultation.current_phase()
    assert voting.consultation_of(read) is read.consultation


def test_options_come_in_ballot_order_and_a_contest_without_options_has_none(make):
    c, consultation, organiser = contest(make)
    data = voting.contest_input(c)
    data.choices = list(reversed(data.choices))
    voting.update_contest(c, organiser, data)
    assert [x.label for x in ballot_reads.ballot_contest(c.id, None)[0].choices] == ["Gamma", "Beta", "Alpha"]
    data.choices = []
    voting.update_contest(c, organiser, data)
    read, _ = ballot_reads.ballot_contest(c.id, organiser)
    assert read.choices == () and read.keys == [] and read.title == c.title
    assert ballot_reads.ballot_contest(c.id + 1000, organiser) is None


@pytest.mark.parametrize("eligibility", ["open", "invitation", "census"])
def test_the_facts_read_with_the_contest_give_the_answers_of_the_separate_queries(make, eligibility):
    organiser = make.user(Role.ORGANISER)
    consultation = make.consultation(organiser=organiser, phase=Phase.DELIBERATION, eligibility=eligibility)
    c, _, _ = contest(make, organiser=organiser, consultation=consultation)
    admitted = make.user(email="admitted@example.org")
    by_identifier, outsider, admin, blocked = make.user(), make.user(), make.user(Role.ADMIN), make.user()
    by_identifier.identifier = "m-0042"
    db.session.commit()
    if eligibility == "invitation":
        for person in (admitted, by_identifier):
            (token,) = auth_services.create_invitations(consultation, organiser, 1)
            auth_services.redeem_invitation(consultation, person, token)
    elif eligibility == "census":
        auth_services.import_census(consultation, organiser, "identifier\nadmitted@example.org\nM-0042\n")
    people = [organiser, admitted, by_identifier, outsider, admin, blocked]

    def standings() -> list[tuple[bool, bool]]:
        answers = []
        for person in people:
            read, facts = ballot_reads.ballot_contest(c.id, person, voted=True)
            assert facts.user_id == person.id
            assert voting.standing(read, person, facts) == voting.standing(c, person)
            assert auth_services.is_eligible_by(person, consultation, facts.eligibility) == (
                auth_services.is_eligible(person, consultation)
            )
            assert ballot_reads.ballot_contest(c.id, person)[1].voted is None, "not asked"
            answers.append(voting.standing(read, person, facts))
        return answers

    assert standings() == [(False, False)] * len(people), "voting is not open yet"
    to_phase(consultation, organiser, Phase.VOTING)
    blocked.blocked_at = utcnow()
    db.session.commit()
    may_vote = [True, True, True, eligibility == "open", True, False]
    assert standings() == [(may, False) for may in may_vote]
    read, facts = ballot_reads.ballot_contest(c.id, outsider)
    if eligibility == "open":
        voting.cast(read, outsider, ["o1"], facts=facts)
    else:
        with pytest.raises(PermissionDenied):
            voting.cast(read, outsider, ["o1"], facts=facts)
    read, facts = ballot_reads.ballot_contest(c.id, admitted)
    receipt = voting.cast(read, admitted, ["o2", "o1"], facts=facts)
    assert receipt.receipt in voting.sorted_receipts(c)
    assert voting.ballot_count(c) == (2 if eligibility == "open" else 1)
    with pytest.raises(ServiceError, match="already voted"):
        voting.cast(read, admitted, ["o1"], facts=facts)
    assert standings()[1] == (True, True)
    changed = voting.change(read, admitted, receipt.secret, ["o3"], facts=facts)
    assert voting.sorted_receipts(c).count(changed.receipt) == 1
    to_phase(consultation, organiser, Phase.CLOSED)
    assert standings()[1] == (False, True)
    read, facts = ballot_reads.ballot_contest(c.id, admitted)
    with pytest.raises(ServiceError, match="Voting is not open"):
        voting.change(read, admitted, receipt.secret, ["o1"], facts=facts)


def _pages(app, contest_id: int, user) -> list[str]:
    """The ballot page rendered from the ORM contest (its standing asked apart) and from the ballot
    contest, in one request (one CSRF token); the random cast key left out."""
    with app.test_request_context(f"/contests/{contest_id}"):
        g.user = user
        orm = views.contest_or_404(contest_id)
        old = render_template("voting/contest.html", **views._ballot_context(orm))
        read, facts = views.ballot_contest_or_404(contest_id, voted=True)
        new = render_template("voting/contest.html", **views._ballot_context(read, facts=facts))
    return [CAST_KEY.sub("", page) for page in (old, new)]


@pytest.mark.parametrize("kind", KINDS)
def test_the_ballot_page_is_the_same_page_in_every_phase_for_everyone(app, make, kind):
    c, consultation, organiser = contest(make, kind)
    voter, voted, outsider = make.user(), make.user(), make.user()
    people = [None, organiser, voter, voted, outsider]
    choice = {"ranked": ["o1"], "quadratic": {"o1": 1}}.get(kind, ["o2"])
    for phase in (Phase.DELIBERATION, Phase.VOTING, Phase.CLOSED):
        to_phase(consultation, organiser, phase)
        if phase is Phase.VOTING:
            voting.cast(c, voted, choice)
        for person in people:
            old, new = _pages(app, c.id, person)
            assert old == new, (phase, person and person.email)
            assert c.title in new


def test_a_hidden_or_unknown_contest_is_not_found_as_before(app, make):
    organiser = make.user(Role.ORGANISER)
    draft = make.consultation(organiser=organiser, phase=Phase.DRAFT)
    c, _, _ = contest(make, organiser=organiser, consultation=draft)
    for person, found in (
        (None, False),
        (make.user(), False),
        (organiser, True),
        (make.user(Role.ADMIN), True),
    ):
        for contest_id in (c.id, c.id + 1000, 2**31):
            with app.test_request_context(f"/contests/{contest_id}"):
                g.user = person
                try:
                    views.ballot_contest_or_404(contest_id, voted=True)
                    shown = True
                except Exception as err:  # noqa: BLE001 - werkzeug's NotFound
                    assert getattr(err, "code", None) == 404
                    shown = False
            assert shown == (found and contest_id == c.id)


def test_edits_and_phase_changes_show_on_the_next_request(make, client, login):
    c, consultation, organiser = contest(make)
    voter = make.user()
    login(client, voter)
    assert "Alpha" in client.get(f"/contests/{c.id}").data.decode()
    data = voting.contest_input(c)
    data.title, data.choices = "Renamed question", [("Delta", None, None), ("Alpha", None, None)]
    voting.update_contest(c, organiser, data)
    page = client.get(f"/contests/{c.id}").data.decode()
    assert "Renamed question" in page and "Delta" in page and "Beta" not in page
    to_phase(consultation, organiser, Phase.VOTING)
    page = client.get(f"/contests/{c.id}").data.decode()
    assert 'name="rank-1"' in page and page.count('<option value="o') == 2 * 2
    to_phase(consultation, organiser, Phase.CLOSED)
    page = client.get(f"/contests/{c.id}").data.decode()
    assert "Voting is closed" in page and 'name="rank-1"' not in page
    assert client.post(f"/contests/{c.id}/cast", data={"rank-1": "o1"}).status_code == 422
    assert voting.ballot_count(c) == 0


def test_the_ballot_page_and_the_cast_read_the_contest_and_the_voter_in_one_statement(app, make, login):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    contest_id = c.id
    db.session.remove()
    seen: dict[str, list[str]] = defaultdict(list)

    def record(_conn, _cursor, statement, *_args):
        if has_request_context():
            seen[request.endpoint].append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", record)
    client = app.test_client()
    login(client, voter)
    try:
        assert client.get(f"/contests/{contest_id}").status_code == 200
        assert client.post(f"/contests/{contest_id}/cast", data={"rank-1": "o1"}).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    for endpoint, asked in (("voting.contest", "participation"), ("voting.cast", "census_entry")):
        reads = [s for s in seen[endpoint] if s.startswith("select") and "from contest" in s]
        assert len(reads) == 1 and "census_entry" in reads[0] and asked in reads[0], seen[endpoint]
        others = [s for s in seen[endpoint] if s.startswith("select") and s not in reads]
        assert not [s for s in others if re.search(r"\b(contest|census_entry|invitation|participation)\b", s)]
    assert db.session.get(Contest, contest_id) is not None
