"""Casting: poll book + secret ballot in one transaction, receipts, one ballot per person, changes, phases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select

from consult.auth import services as auth_services
from consult.auth.models import Role
from consult.consultations.models import Phase
from consult.errors import PermissionDenied, ServiceError
from consult.extensions import db
from consult.voting import services as voting
from consult.voting.models import Ballot, Participation
from tally.audit import check_change_key, check_receipt

from .voting_helpers import contest, to_phase


def test_a_cast_writes_a_poll_book_row_and_a_ballot_with_a_receipt_the_voter_can_recompute(make):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    receipt = voting.cast(c, voter, ["o2", "o1", ""])
    assert receipt.content == ["o2", "o1"]
    assert check_receipt(receipt.receipt, c.public_id, ["o2", "o1"], receipt.secret)
    ballot = db.session.scalar(select(Ballot))
    assert json.loads(ballot.content) == ["o2", "o1"] and ballot.receipt == receipt.receipt
    assert check_change_key(ballot.change_key, receipt.secret)
    assert receipt.secret not in (ballot.change_key, ballot.id, ballot.content)
    part = db.session.scalar(select(Participation))
    assert (part.voter_id, part.contest_id) == (voter.id, c.id)


def test_the_ballot_table_has_no_voter_column_no_timestamp_and_a_random_key(make):
    columns = {col["name"]: col for col in inspect(db.engine).get_columns("ballot")}
    assert set(columns) == {"id", "contest_id", "content", "receipt", "change_key"}
    assert not any(
        "time" in str(col["type"]).lower() or "date" in str(col["type"]).lower() for col in columns.values()
    )
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    ids = [b.id for b in []]
    for _ in range(3):
        voting.cast(c, make.user(), ["o1"])
    ids = [b.id for b in voting.ballots_by_id(c)]
    assert ids == sorted(ids) and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


@pytest.mark.parametrize("eligibility", ["open", "invitation", "census"])
def test_the_ballot_page_standing_agrees_with_eligibility_and_the_poll_book(make, eligibility):
    organiser = make.user(Role.ORGANISER)
    consultation = make.consultation(organiser=organiser, phase=Phase.DELIBERATION, eligibility=eligibility)
    c, _, _ = contest(make, organiser=organiser, consultation=consultation)
    admitted, outsider = make.user(email="admitted@example.org"), make.user()
    if eligibility == "invitation":
        (token,) = auth_services.create_invitations(consultation, organiser, 1)
        auth_services.redeem_invitation(consultation, admitted, token)
    elif eligibility == "census":
        auth_services.import_census(consultation, organiser, "email\nadmitted@example.org\n")
    people = [None, organiser, admitted, outsider]
    assert [voting.standing(c, p) for p in people] == [(False, False)] * 4, "voting is not open yet"
    to_phase(consultation, organiser, Phase.VOTING)
    expected = [(False, False), (True, False), (True, False), (eligibility == "open", False)]
    assert [voting.standing(c, p) for p in people] == expected
    voting.cast(c, admitted, ["o1"])
    assert voting.standing(c, admitted) == (True, True)
    auth_services.import_census(consultation, organiser, "email\nsomeone@example.org\n")
    assert voting.standing(c, admitted)[1], "the poll book still knows who voted"
    to_phase(consultation, organiser, Phase.CLOSED)
    assert voting.standing(c, admitted) == (False, True)


def test_a_second_ballot_by_the_same_voter_is_refused_with_a_clear_message(make):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    voting.cast(c, voter, ["o1"])
    with pytest.raises(ServiceError, match="already voted"):
        voting.cast(c, voter, ["o2"])
    assert voting.ballot_count(c) == 1


@pytest.mark.parametrize("phase", [Phase.DELIBERATION, Phase.CLOSED], ids=["before", "after"])
def test_casting_is_refused_outside_the_voting_phase(make, phase):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, phase)
    with pytest.raises(ServiceError, match="Voting is not open"):
        voting.cast(c, make.user(), ["o1"])


def test_an_ineligible_account_cannot_vote(make):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser=organiser, eligibility="census", phase=Phase.DRAFT)
    c, _, _ = contest(make, organiser=organiser, consultation=consultation)
    to_phase(consultation, organiser, Phase.VOTING)
    with pytest.raises(PermissionDenied):
        voting.cast(c, make.user(), ["o1"])


def test_a_ballot_is_changed_with_its_secret_and_gets_a_new_receipt(make):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    first = voting.cast(c, voter, ["o1"])
    with pytest.raises(ServiceError, match="No ballot"):
        voting.change(c, voter, "0" * 32, ["o3"])
    with pytest.raises(ServiceError, match="32 hexadecimal"):
        voting.change(c, voter, "not a secret", ["o3"])
    second = voting.change(c, voter, first.secret, ["o3", "o2"])
    assert second.receipt != first.receipt
    assert voting.sorted_receipts(c) == [second.receipt]
    assert [json.loads(b.content) for b in voting.ballots_by_id(c)] == [["o3", "o2"]]


def test_a_contest_without_changes_keeps_no_change_key(make):
    c, consultation, organiser = contest(make, allow_change=False)
    to_phase(consultation, organiser, Phase.VOTING)
    voter = make.user()
    r = voting.cast(c, voter, ["o1"])
    assert db.session.scalar(select(Ballot.change_key)) is None
    with pytest.raises(ServiceError, match="cannot be changed"):
        voting.change(c, voter, r.secret, ["o2"])


def test_contests_are_frozen_once_voting_starts(make):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    with pytest.raises(ServiceError, match="frozen"):
        voting.update_contest(c, organiser, voting.contest_input(c))


def test_only_the_organiser_creates_contests(make):
    c, consultation, organiser = contest(make)
    with pytest.raises(PermissionDenied):
        voting.create_contest(consultation, make.user(), voting.contest_input(c))


def test_the_stored_order_of_ballots_is_their_random_id_not_the_casting_order(make):
    from sqlalchemy import text

    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    cast_order = [voting.cast(c, make.user(), ["o1"]).receipt for _ in range(12)]
    rows = db.session.execute(text("SELECT id, receipt FROM ballot")).all()
    by_receipt = {receipt: bid for bid, receipt in rows}
    ids_in_cast_order = [by_receipt[r] for r in cast_order]
    assert ids_in_cast_order != sorted(ids_in_cast_order)  # ids are random (1 in 12! to fail by chance)
    if db.engine.dialect.name == "sqlite":  # WITHOUT ROWID: the table itself is kept in id order
        assert [bid for bid, _ in rows] == sorted(bid for bid, _ in rows)


def test_the_csrf_enumeration_covers_the_voting_and_results_routes(app):
    from .security.test_csrf import state_changing_routes

    routes = state_changing_routes(app)
    for path in (
        "/contests/1/cast",
        "/contests/1/change",
        "/contests/1/preview",
        "/contests/1/receipt-check",
        "/contests/1/edit",
        "/consultations/1/contests/new",
        "/consultations/1/certify",
    ):
        assert ("POST", path) in routes, path
