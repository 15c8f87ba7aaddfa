"""Accounts, roles, password-reset tokens and per-consultation eligibility (invitations, census)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


def utcnow() -> datetime:
    """Naive UTC now: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class Role(enum.StrEnum):
    """One role per account. ``admin`` may do everything any other role may do."""

    CITIZEN = "citizen"
    MODERATOR = "moderator"
    ORGANISER = "organiser"
    OFFICER = "officer"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return "election officer" if self is Role.OFFICER else self.value


class User(db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.CITIZEN.value)
    # Optional identifier an organiser's census may list instead of an email (e.g. a member number).
    identifier: Mapped[str | None] = mapped_column(String(120), index=True)
    # Bumped on password change or block: every signed session cookie carrying the old value stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    blocked_at: Mapped[datetime | None]
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    def has_role(self, *roles: Role | str) -> bool:
        return self.role == Role.ADMIN or self.role in {str(r) for r in roles}


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Invitation(db.Model):
    """An invitation token to an ``invitation`` consultation; only its SHA-256 is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    redeemed_at: Mapped[datetime | None]


class CensusEntry(db.Model):
    """One line of a consultation's census: a normalised (lower-cased) email or identifier."""

    __tablename__ = "census_entry"
    __table_args__ = (UniqueConstraint("consultation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(254))
