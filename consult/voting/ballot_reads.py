"""The contest as the voter's pages and the cast read it: one statement for the contest, its
consultation and options and, for a signed-in voter, the database's answers about them (eligibility,
and whether they voted), as plain frozen values read again on every request (nothing kept between
requests). The ORM :class:`~.models.Contest` serves every other page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select

from ..auth.models import User
from ..auth.services import eligibility_conditions, voter_params
from ..consultations.models import Consultation
from ..extensions import db
from .models import Choice, Contest, Participation


@dataclass(frozen=True, slots=True)
class BallotChoice:
    """An option of a :class:`BallotContest` (the columns of :class:`Choice` a ballot shows)."""

    key: str
    label: str
    cost: int | None


@dataclass(frozen=True, slots=True)
class BallotConsultation:
    """The consultation of a :class:`BallotContest`: what its phase, visibility, eligibility and the
    ballot page need, with :meth:`Consultation.current_phase` itself."""

    id: int
    title: str
    organiser_id: int
    phase: str
    eligibility: str
    deliberation_starts_at: datetime | None
    voting_starts_at: datetime | None
    voting_ends_at: datetime | None

    current_phase = Consultation.current_phase


@dataclass(frozen=True, slots=True)
class BallotContest:
    """A contest as the ballot page, the preview, the cast and the change use it: plain values read in
    one statement with its consultation and options (:func:`ballot_contest`), instead of three kinds of
    ORM objects, and read again on every request (nothing is kept between requests). Its ``rules`` are
    parsed once; like every attribute here they are not to be changed."""

    id: int
    consultation_id: int
    public_id: str
    title: str
    ballot_type: str
    method: str
    seats: int
    seed: str
    allow_change: bool
    rules: dict[str, Any]
    choices: tuple[BallotChoice, ...]
    consultation: BallotConsultation

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.choices]

    def label_of(self, key: str) -> str:
        return next((c.label for c in self.choices if c.key == key), key)


@dataclass(frozen=True, slots=True)
class VoterFacts:
    """What the statement that read a :class:`BallotContest` found about the signed-in account: per
    eligibility mode, its :func:`~consult.auth.services.eligibility_conditions` answer, and whether it
    has voted in the contest (None when not asked: the cast finds out by writing)."""

    user_id: int
    eligibility: dict[str, bool]
    voted: bool | None


_CONTEST, _CONSULTATION, _CHOICE = Contest.__table__.c, Consultation.__table__.c, Choice.__table__.c
_BALLOT_CONTEST_COLUMNS = (
    _CONTEST.id,
    _CONTEST.consultation_id,
    _CONTEST.public_id,
    _CONTEST.title,
    _CONTEST.ballot_type,
    _CONTEST.method,
    _CONTEST.seats,
    _CONTEST.seed,
    _CONTEST.allow_change,
    _CONTEST.rules_json,
)
_BALLOT_CONSULTATION_COLUMNS = (
    _CONSULTATION.title,
    _CONSULTATION.organiser_id,
    _CONSULTATION.phase,
    _CONSULTATION.eligibility,
    _CONSULTATION.deliberation_starts_at,
    _CONSULTATION.voting_starts_at,
    _CONSULTATION.voting_ends_at,
)
_BALLOT_CHOICE_COLUMNS = (_CHOICE.key, _CHOICE.label, _CHOICE.cost)
_AT_CONSULTATION = len(_BALLOT_CONTEST_COLUMNS)
_AT_CHOICE = _AT_CONSULTATION + len(_BALLOT_CONSULTATION_COLUMNS)
_AT_FACTS = _AT_CHOICE + len(_BALLOT_CHOICE_COLUMNS)
# The answers about the voter do not depend on the row (one per option): each is asked once, of the
# contest's consultation found by the bound contest id, not of every row's.
_CONSULTATION_OF_CONTEST = (
    select(_CONTEST.consultation_id).where(_CONTEST.id == bindparam("id")).scalar_subquery()
)
_ELIGIBILITY_OF_CONTEST = eligibility_conditions(_CONSULTATION_OF_CONTEST)
_PARTICIPATION = Participation.__table__.c
_VOTED_IN_CONTEST = exists().where(
    _PARTICIPATION.contest_id == bindparam("id"), _PARTICIPATION.voter_id == bindparam("user_id")
)


def _ballot_statement(*facts: Any) -> Any:
    """The contest ``id`` with its consultation, one row per option in ballot order (one row with empty
    option columns when it has none), then the columns ``facts``."""
    tables = Contest.__table__.join(Consultation.__table__, _CONSULTATION.id == _CONTEST.consultation_id)
    tables = tables.outerjoin(Choice.__table__, _CHOICE.contest_id == _CONTEST.id)
    return (
        select(*_BALLOT_CONTEST_COLUMNS, *_BALLOT_CONSULTATION_COLUMNS, *_BALLOT_CHOICE_COLUMNS, *facts)
        .select_from(tables)
        .where(_CONTEST.id == bindparam("id"))
        .order_by(_CHOICE.position)
    )


# Built once (SQL cache): nobody signed in; a voter about to cast; a voter on the ballot page.
_BALLOT_ANONYMOUS = _ballot_statement()
_BALLOT_ELIGIBILITY = _ballot_statement(*_ELIGIBILITY_OF_CONTEST.values())
_BALLOT_STANDING = _ballot_statement(*_ELIGIBILITY_OF_CONTEST.values(), _VOTED_IN_CONTEST)


def ballot_contest(
    contest_id: int, user: User | None, voted: bool = False
) -> tuple[BallotContest, VoterFacts | None] | None:
    """The contest ``contest_id`` as a :class:`BallotContest` and, for a signed-in ``user``, the
    :class:`VoterFacts` about them (whether they voted only if ``voted``), all in one statement; None
    when there is no such contest. Visibility is the caller's check."""
    if user is None:
        rows = db.session.execute(_BALLOT_ANONYMOUS, {"id": contest_id}).all()
    else:
        statement = _BALLOT_STANDING if voted else _BALLOT_ELIGIBILITY
        rows = db.session.execute(statement, {"id": contest_id} | voter_params(user)).all()
    if not rows:
        return None
    first = rows[0]
    consultation = BallotConsultation(first[1], *first[_AT_CONSULTATION:_AT_CHOICE])
    choices = tuple(BallotChoice(*row[_AT_CHOICE:_AT_FACTS]) for row in rows if row[_AT_CHOICE] is not None)
    contest = BallotContest(
        *first[: _AT_CONSULTATION - 1],
        json.loads(first[_AT_CONSULTATION - 1] or "{}"),
        choices,
        consultation,
    )
    if user is None:
        return contest, None
    answers = first[_AT_FACTS:]
    eligibility = {mode: bool(answers[i]) for i, mode in enumerate(_ELIGIBILITY_OF_CONTEST)}
    return contest, VoterFacts(user.id, eligibility, bool(answers[-1]) if voted else None)
