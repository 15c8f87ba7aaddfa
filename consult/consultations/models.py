"""Consultations and their phases."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User, utcnow
from ..extensions import db


class Phase(enum.StrEnum):
    """The life of a consultation, in order. Only forward moves, one step at a time."""

    DRAFT = "draft"
    DELIBERATION = "deliberation"
    VOTING = "voting"
    CLOSED = "closed"
    CERTIFIED = "certified"

    @property
    def rank(self) -> int:
        return PHASE_ORDER.index(self)


PHASE_ORDER = list(Phase)


class Eligibility(enum.StrEnum):
    OPEN = "open"
    INVITATION = "invitation"
    CENSUS = "census"


class Consultation(db.Model):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    organiser_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # The phase set by the last transition; the effective phase may be later because of the dates below.
    phase: Mapped[str] = mapped_column(String(20), default=Phase.DRAFT.value, index=True)
    eligibility: Mapped[str] = mapped_column(String(20), default=Eligibility.OPEN.value)
    # Supports a proposal needs to go on the ballot; None: every visible, not rejected proposal goes.
    support_threshold: Mapped[int | None]
    deliberation_starts_at: Mapped[datetime | None]
    voting_starts_at: Mapped[datetime | None]
    voting_ends_at: Mapped[datetime | None]
    phase_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organiser: Mapped[User] = relationship(lazy="joined")

    def current_phase(self, now: datetime | None = None) -> Phase:
        """The effective phase: the stored phase, moved forward by any date already reached.

        A draft moves only once its ``deliberation_starts_at`` is set and reached (a draft without that date
        waits for the organiser to open it); dates never reach ``certified`` (an officer certifies);
        ``voting_ends_at`` reached means ``closed``.
        """
        stored = Phase(self.phase)
        if stored is Phase.CERTIFIED:
            return stored
        now = now or utcnow()
        by_date = Phase.DRAFT
        if stored is Phase.DRAFT and not (self.deliberation_starts_at and now >= self.deliberation_starts_at):
            return stored
        if self.voting_ends_at and now >= self.voting_ends_at:
            by_date = Phase.CLOSED
        elif self.voting_starts_at and now >= self.voting_starts_at:
            by_date = Phase.VOTING
        elif self.deliberation_starts_at and now >= self.deliberation_starts_at:
            by_date = Phase.DELIBERATION
        return max(stored, by_date, key=lambda p: p.rank)
