"""Contests and casting. Every ballot is checked by ``tally`` (``canonical_ballot`` + ``check_ballot``).

Rules:

- Contests are created and edited by the consultation's manager while it is a draft or in deliberation;
  from voting on, method, seed, rules and options are frozen (they are what gets certified).
- A ballot is cast only in the voting phase, by an eligible account (``auth.services.is_eligible``),
  once per contest: the poll-book row (``Participation``) and the ballot row are written in one
  transaction, and the unique constraint on (contest, voter) decides between concurrent submissions.
- The receipt is ``tally.audit.compute_receipt(contest.public_id, content, r)`` for a fresh 128-bit ``r``;
  ``r`` is returned to the caller once and only ``sha256(r)`` is kept (when the contest allows changes).
- A ballot may be replaced before the close by the voter who presents ``r``; it gets a new receipt.
- A cast sent with a cast key (``castkeys``) derives ``r`` from it; resending it returns the original
  receipt, never a second ballot. Changes are idempotent already: the same ``r`` and choices give the
  same receipt.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Integer, bindparam, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from tally import canonical
from tally.audit import (
    AuditConfig,
    canonical_ballot,
    change_key,
    compute_receipt,
    draw_secret,
    parse_secret,
)
from tally.ballot_rules import BALLOT_TYPES, check_ballot, rules_problems
from tally.errors import TallyError
from tally.methods import method_ids

from ..auth.models import User
from ..auth.services import (
    ELIGIBILITY,
    eligibility,
    is_eligible,
    is_eligible_by,
)
from ..consultations.models import Consultation, Phase
from ..consultations.services import can_manage
from ..deliberation.services import ballot_eligible_proposals
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from . import castkeys
from .ballot_reads import BallotConsultation, BallotContest, VoterFacts
from .models import Ballot, Choice, Contest, Participation

# Method ids offered per ballot type (only those this tally version registers are shown).
METHOD_FAMILIES: dict[str, tuple[str, ...]] = {
    "ranked": (
        "irv",
        "stv",
        "meek",
        "warren",
        "wigm",
        "scotland",
        "cfer",
        "mpls",
        "qpq",
        "condorcet",
        "schulze",
        "ranked-pairs",
        "copeland",
        "minimax",
    ),
    "approval": (
        "approval",
        "sav",
        "pav",
        "seq-pav",
        "phragmen",
        "seq-phragmen",
        "equal-shares",
        "mes",
        "cc",
    ),
    "budget": (
        "greedy",
        "greedy-no-skip",
        "greedy-threshold",
        "equalshares",
        "equalshares/add1",
        "equalshares/utilitarian",
    ),
    "quadratic": ("quadratic", "quadratic-voting", "qv"),
}
TYPE_LABELS = {
    "ranked": "ranked (order the candidates)",
    "approval": "approval (tick the options you approve)",
    "budget": "participatory budget (choose projects within a budget)",
    "quadratic": "quadratic (spend voice credits, votes cost their square)",
}
ALREADY_VOTED = "You have already voted in this contest. Each person has one ballot per contest."


def methods_for(ballot_type: str) -> list[str]:
    known = set(method_ids())
    return [m for m in METHOD_FAMILIES.get(ballot_type, ()) if m in known]


def contests_of(consultation: Consultation) -> list[Contest]:
    return list(
        db.session.scalars(
            select(Contest).where(Contest.consultation_id == consultation.id).order_by(Contest.id)
        )
    )


# The contests of a consultation as its page lists them: a link, a title, the ballot type and method.
CONTEST_LINKS = (
    select(Contest.id, Contest.title, Contest.ballot_type, Contest.method)
    .where(Contest.consultation_id == bindparam("consultation_id"))
    .order_by(Contest.id)
)


def contest_links(consultation: Consultation) -> list:
    """What a consultation's page shows of each of its contests, as rows with ``id``, ``title``,
    ``ballot_type`` and ``method``: no options, no consultation (the page of a consultation with 120
    contests loaded 120 contests and their 480 options for these four columns)."""
    return list(db.session.execute(CONTEST_LINKS, {"consultation_id": consultation.id}))


def consultation_of(contest: Contest | BallotContest) -> Consultation | BallotConsultation:
    return contest.consultation or db.session.get(Consultation, contest.consultation_id)


def can_edit_contests(consultation: Consultation, user: User | None) -> bool:
    return can_manage(consultation, user) and consultation.current_phase() in (
        Phase.DRAFT,
        Phase.DELIBERATION,
    )


# --- contests -----------------------------------------------------------------------------------------


@dataclass
class ContestInput:
    title: str
    ballot_type: str
    method: str
    seats: int = 1
    seed: str = ""
    allow_change: bool = True
    rules: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    # (label, cost or None, proposal id or None)
    choices: list[tuple[str, int | None, int | None]] = field(default_factory=list)


def _validate_contest(data: ContestInput) -> None:
    if not 3 <= len(data.title.strip()) <= 200:
        raise ServiceError("The contest title must be 3 to 200 characters.")
    if data.ballot_type not in BALLOT_TYPES:
        raise ServiceError("The ballot type must be ranked, approval, budget or quadratic.")
    offered = methods_for(data.ballot_type)
    if data.method not in offered:
        listed = ", ".join(offered) or "none in this version of tally"
        raise ServiceError(
            f"Method {data.method!r} does not count {data.ballot_type} ballots (choose: {listed})."
        )
    if not 1 <= data.seats <= max(1, len(data.choices)):
        raise ServiceError("Seats must be between 1 and the number of options.")
    if not 1 <= len(data.seed.strip()) <= 100:
        raise ServiceError("Declare a tie-break seed (1 to 100 characters).")
    if len(data.choices) > 200:
        raise ServiceError("A contest has at most 200 options.")
    labels = [label.strip() for label, _, _ in data.choices]
    if any(not 1 <= len(label) <= 200 for label in labels):
        raise ServiceError("Every option needs a name of 1 to 200 characters.")
    if len(set(labels)) != len(labels):
        raise ServiceError("Two options have the same name.")
    keys = [f"o{i}" for i in range(1, len(data.choices) + 1)]
    rules = _rules_with_costs(data, keys)
    problems = rules_problems(data.ballot_type, rules, keys) if data.choices else []
    if problems:
        raise ServiceError("Ballot rules: " + "; ".join(problems) + ".")
    try:
        AuditConfig(
            contest="check",
            ballot_type=data.ballot_type,
            method=data.method,
            candidates=tuple(keys) or ("o1",),
            seats=data.seats,
            options=data.options,
            seed=data.seed,
            ballot_rules=rules,
        )
    except TallyError as err:
        raise ServiceError(f"Method options: {err}") from None


def _rules_with_costs(data: ContestInput, keys: list[str]) -> dict[str, Any]:
    rules = dict(data.rules)
    if data.ballot_type == "budget":
        rules["costs"] = {k: cost for k, (_, cost, _) in zip(keys, data.choices, strict=True)}
    return rules


def _apply(contest: Contest, data: ContestInput) -> None:
    contest.title = data.title.strip()
    contest.ballot_type = data.ballot_type
    contest.method = data.method
    contest.seats = data.seats
    contest.seed = data.seed.strip()
    contest.allow_change = data.allow_change
    contest.options_json = canonical.dumps(data.options)
    keys = [f"o{i}" for i in range(1, len(data.choices) + 1)]
    contest.rules_json = canonical.dumps(_rules_with_costs(data, keys))
    contest.choices.clear()
    db.session.flush()
    for i, (label, cost, proposal_id) in enumerate(data.choices, start=1):
        contest.choices.append(
            Choice(key=f"o{i}", label=label.strip(), cost=cost, proposal_id=proposal_id, position=i)
        )


def create_contest(consultation: Consultation, actor: User, data: ContestInput) -> Contest:
    if not can_manage(consultation, actor):
        raise PermissionDenied("Only the organiser may add contests.")
    if not can_edit_contests(consultation, actor):
        raise ServiceError("Contests can only be added while the consultation is a draft or in deliberation.")
    _validate_contest(data)
    contest = Contest(consultation_id=consultation.id, public_id=f"contest-{secrets.token_hex(8)}")
    db.session.add(contest)
    _apply(contest, data)
    db.session.commit()
    return contest


def update_contest(contest: Contest, actor: User, data: ContestInput) -> Contest:
    consultation = consultation_of(contest)
    if not can_manage(consultation, actor):
        raise PermissionDenied("Only the organiser may edit this contest.")
    if not can_edit_contests(consultation, actor):
        raise ServiceError("The contest is frozen: voting has started.")
    _validate_contest(data)
    _apply(contest, data)
    db.session.commit()
    return contest


def contest_input(contest: Contest) -> ContestInput:
    rules = contest.rules
    rules.pop("costs", None)
    return ContestInput(
        title=contest.title,
        ballot_type=contest.ballot_type,
        method=contest.method,
        seats=contest.seats,
        seed=contest.seed,
        allow_change=contest.allow_change,
        rules=rules,
        options=contest.options,
        choices=[(c.label, c.cost, c.proposal_id) for c in contest.choices],
    )


def proposal_choices(consultation: Consultation) -> list[tuple[str, int | None, int | None]]:
    """The ballot-eligible proposals as options (deliberation's rule: visible, not rejected, supported)."""
    return [(p.title[:200], None, p.id) for p in ballot_eligible_proposals(consultation)]


def audit_config(contest: Contest) -> AuditConfig:
    """The ``tally`` config certified for ``contest``: exactly the declared method, seats, options, seed."""
    return AuditConfig(
        contest=contest.public_id,
        ballot_type=contest.ballot_type,
        method=contest.method,
        candidates=tuple(contest.keys),
        seats=contest.seats,
        options=contest.options,
        seed=contest.seed,
        ballot_rules=contest.rules,
    )


# --- ballots ------------------------------------------------------------------------------------------


def validate(contest: Contest, choices: Any) -> Any:
    """The canonical content of ``choices`` or ``ServiceError`` with ``tally``'s plain-words reason."""
    try:
        content = canonical_ballot(contest.ballot_type, choices, contest.keys)
        check_ballot(contest.ballot_type, content, contest.keys, contest.rules)
    except TallyError as err:
        raise ServiceError(_voter_words(contest, err.message)) from None
    return content


def _voter_words(contest: Contest, message: str) -> str:
    for choice in contest.choices:
        message = message.replace(f"'{choice.key}'", choice.label).replace(
            choice.key + " ", choice.label + " "
        )
        message = message.replace(f"({choice.key})", f"({choice.label})").replace(
            f" {choice.key};", f" {choice.label};"
        )
    return message


# Built once, like auth.services.ELIGIBILITY: "has this voter voted here?", alone or asked together with
# each eligibility condition (the ballot page's one statement).
_VOTED = exists().where(
    Participation.contest_id == bindparam("contest_id"), Participation.voter_id == bindparam("voter_id")
)
_STANDING = {None: select(_VOTED)} | {mode: select(c, _VOTED) for mode, c in ELIGIBILITY.items()}


# PostgreSQL: the poll-book row and the ballot in one statement (a data-modifying WITH), one round trip to
# the server instead of two; it is all or nothing like the transaction around it, and a second cast fails
# on the poll book's unique constraint as before. SQLite has no INSERT inside WITH: two statements there.
_POLL_BOOK_COLUMNS = ("consultation_id", "contest_id", "voter_id")
_CAST_ONE_STATEMENT = (
    insert(Ballot.__table__)
    .values({name: bindparam(name) for name in ("id", "contest_id", "content", "receipt", "change_key")})
    .add_cte(
        insert(Participation.__table__)
        .from_select(
            _POLL_BOOK_COLUMNS, select(*(bindparam(name, type_=Integer) for name in _POLL_BOOK_COLUMNS))
        )
        .cte("poll_book")
    )
)


def standing(
    contest: Contest | BallotContest, user: User | None, facts: VoterFacts | None = None
) -> tuple[bool, bool]:
    """For the ballot page, in one statement: may ``user`` vote in ``contest`` now (voting is open and
    they are eligible), and have they voted (:func:`has_voted`)? With ``facts`` about ``user`` that say
    whether they voted (:func:`.ballot_reads.ballot_contest` with ``voted=True``), in none."""
    if user is None:
        return False, False
    consultation = consultation_of(contest)
    if facts is not None and facts.user_id == user.id and facts.voted is not None:
        voting_open = consultation.current_phase() is Phase.VOTING
        return voting_open and is_eligible_by(user, consultation, facts.eligibility), facts.voted
    answer = eligibility(user, consultation) if consultation.current_phase() is Phase.VOTING else False
    voter = {"contest_id": contest.id, "voter_id": user.id}
    if isinstance(answer, bool):
        return answer, bool(db.session.scalar(_STANDING[None], voter))
    mode, params = answer
    eligible, voted = db.session.execute(_STANDING[mode], voter | params).one()
    return bool(eligible), bool(voted)


def _require_voting(
    contest: Contest | BallotContest, user: User, facts: VoterFacts | None = None
) -> Consultation | BallotConsultation:
    consultation = consultation_of(contest)
    if consultation.current_phase() is not Phase.VOTING:
        raise ServiceError("Voting is not open for this consultation.")
    if facts is not None and facts.user_id == user.id:
        eligible = is_eligible_by(user, consultation, facts.eligibility)
    else:
        eligible = is_eligible(user, consultation)
    if not eligible:
        raise PermissionDenied("You are not eligible to vote in this consultation.")
    return consultation


def has_voted(contest: Contest, user: User | None) -> bool:
    if user is None:
        return False
    return bool(db.session.scalar(_STANDING[None], {"contest_id": contest.id, "voter_id": user.id}))


@dataclass(frozen=True)
class CastReceipt:
    """What the voter sees once: the receipt, the secret r (hex) and the canonical content."""

    contest_id: str
    receipt: str
    secret: str
    content: Any

    @property
    def content_json(self) -> str:
        return canonical.dumps(self.content)


def cast(
    contest: Contest | BallotContest,
    voter: User,
    choices: Any,
    cast_key: str | None = None,
    facts: VoterFacts | None = None,
) -> CastReceipt:
    """Cast ``voter``'s ballot: poll book and ballot box in one transaction (see module docstring).
    ``facts`` about ``voter`` read with the contest (:func:`.ballot_reads.ballot_contest`) spare the
    eligibility query.

    With a ``cast_key`` (``castkeys``) the secret is derived from it, and a resend of the same cast
    returns the original receipt instead of "already voted"; the unique poll-book row still decides
    between concurrent sends, and the losers find the winner's ballot by its receipt."""
    consultation = _require_voting(contest, voter, facts)
    content = validate(contest, choices)
    if cast_key is None:
        secret = draw_secret()
    else:
        server_key = current_app.config["SECRET_KEY"]
        secret = castkeys.derive_secret(server_key, contest.public_id, voter.id, cast_key)
    receipt = compute_receipt(contest.public_id, content, secret)
    # No "has voted?" query first: the unique poll-book row refuses a second ballot, and _resent sorts
    # a resend from a second cast after the rollback. Table-level INSERTs in the request's transaction (one
    # statement on PostgreSQL, _CAST_ONE_STATEMENT): nothing reads these rows back in this request, so the
    # ORM's bookkeeping (about 40% of their cost) is skipped.
    poll_book = {"consultation_id": consultation.id, "contest_id": contest.id, "voter_id": voter.id}
    ballot = {
        "id": secrets.token_hex(16),
        "contest_id": contest.id,
        "content": canonical.dumps(content),
        "receipt": receipt,
        "change_key": change_key(secret) if contest.allow_change else None,
    }
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(_CAST_ONE_STATEMENT, poll_book | ballot)
        else:
            db.session.execute(insert(Participation.__table__), poll_book)
            db.session.execute(insert(Ballot.__table__), ballot)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _resent(contest, voter, cast_key, receipt, secret, content)
    return CastReceipt(contest.public_id, receipt, secret.hex(), content)


def _resent(
    contest: Contest, voter: User, cast_key: str | None, receipt: str, secret: bytes, content: Any
) -> CastReceipt:
    """The original receipt when this is a resend of the voter's cast (same key and choices), else the
    "already voted" refusal. The voter must be in the poll book: a receipt alone never answers."""
    if cast_key is not None and has_voted(contest, voter):
        found = db.session.scalar(
            select(Ballot.id).where(Ballot.contest_id == contest.id, Ballot.receipt == receipt)
        )
        if found is not None:
            return CastReceipt(contest.public_id, receipt, secret.hex(), content)
    raise ServiceError(ALREADY_VOTED)


def change(
    contest: Contest | BallotContest,
    voter: User,
    secret_text: str,
    choices: Any,
    facts: VoterFacts | None = None,
) -> CastReceipt:
    """Replace the ballot whose secret is ``secret_text`` (before the close); returns the new receipt."""
    _require_voting(contest, voter, facts)
    if not contest.allow_change:
        raise ServiceError("Ballots in this contest cannot be changed once cast.")
    if not has_voted(contest, voter):
        raise ServiceError("You have not voted in this contest yet.")
    try:
        secret = parse_secret(secret_text)
    except TallyError:
        raise ServiceError("The secret is the 32 hexadecimal digits printed on your receipt.") from None
    content = validate(contest, choices)
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.contest_id == contest.id, Ballot.change_key == change_key(secret))
    )
    if ballot is None:
        raise ServiceError("No ballot in this contest matches that secret.")
    ballot.content = canonical.dumps(content)
    ballot.receipt = compute_receipt(contest.public_id, content, secret)
    db.session.commit()
    return CastReceipt(contest.public_id, ballot.receipt, secret.hex(), content)


def ballot_count(contest: Contest) -> int:
    return (
        db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.contest_id == contest.id))
        or 0
    )


def ballots_by_id(contest: Contest) -> list[Ballot]:
    """The contest's ballots sorted by their random id: the only order ballots are ever listed in."""
    rows = list(db.session.scalars(select(Ballot).where(Ballot.contest_id == contest.id)))
    rows.sort(key=lambda b: b.id.encode("utf-8"))
    return rows


def sorted_receipts(contest: Contest) -> list[str]:
    return sorted(db.session.scalars(select(Ballot.receipt).where(Ballot.contest_id == contest.id)))


def content_of(ballot: Ballot) -> Any:
    return json.loads(ballot.content)
