"""Contests, their options, the poll book and the ballot box.

Secrecy by construction (design.md "Ballot secrecy"): ``Participation`` says *who* voted in a contest
(unique per contest and voter: the poll book); ``Ballot`` says *what* was voted, with a random id, the
canonical content and the receipt, and has no voter column, no timestamp and no sequential key. On SQLite
the ballot table is ``WITHOUT ROWID`` so not even the hidden rowid keeps the casting order; rows are
stored in ballot-id (random) order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import utcnow
from ..extensions import db

if TYPE_CHECKING:
    from ..consultations.models import Consultation


class Contest(db.Model):
    """One question on the ballot of a consultation, counted by ``tally`` with ``method``."""

    __tablename__ = "contest"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    # The contest id receipts and the audit package are bound to (random, never reused).
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    ballot_type: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(40))
    seats: Mapped[int] = mapped_column(default=1)
    seed: Mapped[str] = mapped_column(String(100))
    options_json: Mapped[str] = mapped_column(Text, default="{}")
    rules_json: Mapped[str] = mapped_column(Text, default="{}")
    allow_change: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    choices: Mapped[list[Choice]] = relationship(
        order_by="Choice.position", cascade="all, delete-orphan", lazy="selectin"
    )
    # Loaded with the contest in the same query: every page and cast needs the consultation's phase.
    consultation: Mapped[Consultation] = relationship(lazy="joined", innerjoin=True, viewonly=True)

    @property
    def options(self) -> dict[str, Any]:
        return json.loads(self.options_json or "{}")

    @property
    def rules(self) -> dict[str, Any]:
        return json.loads(self.rules_json or "{}")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.choices]

    def label_of(self, key: str) -> str:
        return next((c.label for c in self.choices if c.key == key), key)


class Choice(db.Model):
    """A candidate, option or project of a contest; ``key`` is its id in ballots (``o1``, ``o2``...)."""

    __tablename__ = "contest_choice"
    __table_args__ = (UniqueConstraint("contest_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    cost: Mapped[int | None]
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)


class Participation(db.Model):
    """The poll book: ``voter`` has cast a ballot in ``contest``. The unique constraint is what stops a
    second ballot, also under concurrency. No link to the ballot and no time."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("contest_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class Ballot(db.Model):
    """A cast ballot: random id, canonical JSON content, receipt, and sha256(secret) when it may change."""

    __tablename__ = "ballot"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    content: Mapped[str] = mapped_column(Text)
    receipt: Mapped[str] = mapped_column(String(64), unique=True)
    change_key: Mapped[str | None] = mapped_column(String(64), index=True)
