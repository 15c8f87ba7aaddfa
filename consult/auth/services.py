"""Account state changes: registration, passwords, reset tokens, roles, eligibility.

Password policy: at least ``PASSWORD_MIN_LENGTH`` characters (12 by default), at least 5 distinct
characters, not containing the email's local part, not one of a short list of well-known passwords.
Hashes are argon2id (argon2-cffi) with parameters from the config; a hash made with older parameters is
upgraded at the next successful log-in.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import secrets
import smtplib
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, session
from sqlalchemy import bindparam, exists, func, select

from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from .models import CensusEntry, Invitation, PasswordResetToken, Role, User, utcnow

COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiopas",
        "passwordpassword",
        "iloveyou1234",
        "correcthorsebatterystaple",
        "administrator",
        "letmeinletmein",
    }
)

# A valid hash of a random password, verified when the email is unknown so timing does not reveal it.
_DUMMY: dict[str, str] = {}


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_policy(password: str, email: str = "") -> None:
    """Raise :class:`ServiceError` naming the first rule the password breaks."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ServiceError(f"The password must be at least {minimum} characters long.")
    if len(set(password)) < 5:
        raise ServiceError("The password must use at least 5 different characters.")
    if password.lower() in COMMON_PASSWORDS:
        raise ServiceError("This password is too common; choose another.")
    local = normalise_email(email).split("@")[0]
    if len(local) >= 4 and local in password.lower():
        raise ServiceError("The password must not contain your email address.")


def register(email: str, display_name: str, password: str, identifier: str | None = None) -> User:
    email = normalise_email(email)
    display_name = display_name.strip()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ServiceError("Enter a valid email address.")
    if not 1 <= len(display_name) <= 80:
        raise ServiceError("The display name must be 1 to 80 characters.")
    check_password_policy(password, email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ServiceError("An account with this email already exists.")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hasher().hash(password),
        identifier=(identifier or "").strip().lower() or None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password match, else None. Blocked users cannot log in."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    ph = hasher()
    if user is None:
        if "hash" not in _DUMMY:
            _DUMMY["hash"] = ph.hash(secrets.token_hex(16))
        with contextlib.suppress(VerificationError):
            ph.verify(_DUMMY["hash"], password)
        return None
    try:
        ph.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if user.is_blocked:
        return None
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
        db.session.commit()
    return user


def start_session(user: User) -> None:
    """Log ``user`` in: a fresh signed session (no fixation) bound to their session version."""
    session.clear()
    session["uid"] = user.id
    session["sv"] = user.session_version
    session.permanent = True


def end_session() -> None:
    session.clear()


def set_password(user: User, password: str) -> None:
    check_password_policy(password, user.email)
    user.password_hash = hasher().hash(password)
    user.session_version += 1
    db.session.commit()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str, reset_url_for: Callable[[str], str]) -> str | None:
    """Create a reset token for the account (if any) and deliver its link. Returns the token (tests only).

    The caller shows the same message whether or not the account exists.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    hours = current_app.config["RESET_TOKEN_HOURS"]
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=_digest(token), expires_at=utcnow() + timedelta(hours=hours)
        )
    )
    db.session.commit()
    deliver_mail(
        user.email, "Reset your consult password", f"Open this link to reset: {reset_url_for(token)}"
    )
    return token


def reset_password(token: str, password: str) -> User:
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise ServiceError("This reset link is invalid or has expired; ask for a new one.")
    user = db.session.get(User, row.user_id)
    check_password_policy(password, user.email)
    row.used_at = utcnow()
    set_password(user, password)
    return user


def deliver_mail(to: str, subject: str, body: str) -> None:
    """Send by the configured backend: ``log`` (server log, the default) or ``smtp``."""
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "smtp":
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_SENDER"], to, subject
        msg.set_content(body)
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(msg)
    else:
        current_app.logger.warning("mail to %s: %s\n%s", to, subject, body)


def set_role(user: User, role: str, actor: User | None = None) -> None:
    """Change a role. ``actor`` None is the command line; else only an admin may, and not on itself."""
    try:
        role = Role(role)
    except ValueError:
        raise ServiceError(
            f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}."
        ) from None
    if actor is not None:
        if actor.role != Role.ADMIN:
            raise PermissionDenied("Only an admin may change roles.")
        if actor.id == user.id:
            raise ServiceError("You cannot change your own role.")
    user.role = role.value
    db.session.commit()


# --- eligibility -------------------------------------------------------------------------------------


# What the database answers for invitation and census consultations, as statements built once:
# SQLAlchemy keys a reused statement's SQL cache entry once, while building and keying a new statement
# costs about a millisecond per request here. The census keys are two plain parameters (the email, and the
# identifier or the email again): an expanding IN list would have its SQL rewritten on every execution
# (20-90 us of CPU per ballot page and per cast).
def eligibility_conditions(consultation_id: Any) -> dict[str, Any]:
    """Per mode, the database's half of :func:`is_eligible` for the consultation ``consultation_id`` (a
    bound parameter, or an expression of a larger statement), about the account whose
    :func:`voter_params` are bound: has it redeemed an invitation, is it on the census. Table columns,
    not ORM attributes: a statement made of them runs without the ORM's compile and result steps."""
    invitation, census = Invitation.__table__.c, CensusEntry.__table__.c
    return {
        "invitation": exists().where(
            invitation.consultation_id == consultation_id,
            invitation.redeemed_by_id == bindparam("user_id"),
        ),
        "census": exists().where(
            census.consultation_id == consultation_id,
            census.key.in_([bindparam("census_email"), bindparam("census_identifier")]),
        ),
    }


ELIGIBILITY = eligibility_conditions(bindparam("consultation_id"))
_ASK_ELIGIBILITY = {mode: select(condition) for mode, condition in ELIGIBILITY.items()}


def voter_params(user: User) -> dict[str, Any]:
    """The parameters of the :func:`eligibility_conditions` for ``user``."""
    return {
        "user_id": user.id,
        "census_email": user.email,
        "census_identifier": user.identifier or user.email,
    }


def is_eligible(user: User | None, consultation) -> bool:
    """May ``user`` take part (post, propose, support, vote) in ``consultation``?

    ``open``: every account. ``invitation``: accounts that redeemed an invitation. ``census``: accounts whose
    email or identifier is on the census. Blocked accounts never. Organisers of the consultation and admins
    always (they run it).
    """
    answer = eligibility(user, consultation)
    if isinstance(answer, bool):
        return answer
    mode, params = answer
    return bool(db.session.scalar(_ASK_ELIGIBILITY[mode], params))


def is_eligible_by(user: User | None, consultation, answers: Mapping[str, bool]) -> bool:
    """:func:`is_eligible` when the database's ``answers`` (mode -> the :func:`eligibility_conditions` of
    that mode for ``user`` and ``consultation``) were read already, by a statement that asked more."""
    answer = eligibility(user, consultation)
    return answer if isinstance(answer, bool) else bool(answers[answer[0]])


def eligibility(user: User | None, consultation) -> bool | tuple[str, dict[str, Any]]:
    """:func:`is_eligible` as ``True``/``False`` when the account and the consultation settle it, else the
    mode whose :data:`ELIGIBILITY` condition the database must answer, with that condition's parameters
    (so a caller can ask it together with other questions in one statement)."""
    if user is None or user.is_blocked:
        return False
    if user.role == Role.ADMIN or user.id == consultation.organiser_id:
        return True
    mode = consultation.eligibility
    if mode == "open":
        return True
    return ("invitation" if mode == "invitation" else "census"), {
        "consultation_id": consultation.id
    } | voter_params(user)


def create_invitations(consultation, actor: User, count: int, label: str = "") -> list[str]:
    """Mint ``count`` single-use invitation tokens; returns the tokens (shown once, only hashes stored)."""
    if not 1 <= count <= 1000:
        raise ServiceError("Create between 1 and 1000 invitations at a time.")
    tokens = [secrets.token_urlsafe(16) for _ in range(count)]
    for token in tokens:
        db.session.add(
            Invitation(
                consultation_id=consultation.id,
                token_hash=_digest(token),
                label=label,
                created_by_id=actor.id,
            )
        )
    db.session.commit()
    return tokens


def redeem_invitation(consultation, user: User, token: str) -> None:
    inv = db.session.scalar(
        select(Invitation).where(
            Invitation.consultation_id == consultation.id, Invitation.token_hash == _digest(token.strip())
        )
    )
    if inv is None:
        raise ServiceError("This invitation code is not valid for this consultation.")
    if inv.redeemed_by_id is not None and inv.redeemed_by_id != user.id:
        raise ServiceError("This invitation code has already been used.")
    inv.redeemed_by_id, inv.redeemed_at = user.id, utcnow()
    db.session.commit()


def _rows(reader) -> Iterator[list[str]]:
    """The reader's rows; a row the csv module refuses (a value over its 128 kB field limit) is a
    ``ServiceError`` naming the row, not a crash."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ServiceError(f"Census row {reader.line_num}: the CSV cannot be read ({err}).") from None


def parse_census(text: str) -> list[str]:
    """Census CSV: a header row with an ``email`` or ``identifier`` column, then one entry per row.

    Keys are trimmed and lower-cased; duplicates are an error naming both rows.
    """
    rows = _rows(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        raise ServiceError(  # noqa: B904 - nothing to chain: the file has no rows
            "Census file is empty: row 1 must be a header with an 'email' or 'identifier' column."
        )
    column = next((i for i, h in enumerate(header) if h in ("email", "identifier")), None)
    if column is None:
        raise ServiceError("Census row 1: the header needs a column named 'email' or 'identifier'.")
    is_email = header[column] == "email"
    seen: dict[str, int] = {}
    for rowno, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= column or not row[column].strip():
            raise ServiceError(f"Census row {rowno}: the '{header[column]}' value is missing.")
        key = row[column].strip().lower()
        if is_email and ("@" not in key or " " in key or len(key) > 254):
            raise ServiceError(f"Census row {rowno}: {row[column].strip()!r} is not an email address.")
        if len(key) > 254:
            raise ServiceError(f"Census row {rowno}: the identifier is longer than 254 characters.")
        if key in seen:
            raise ServiceError(f"Census row {rowno}: {key!r} repeats row {seen[key]}.")
        seen[key] = rowno
    if not seen:
        raise ServiceError("Census file has a header but no entries.")
    return list(seen)


def import_census(consultation, actor: User, text: str) -> int:
    """Replace the consultation's census with the CSV's entries (all or nothing). Returns the count."""
    if not (actor.role == Role.ADMIN or actor.id == consultation.organiser_id):
        raise PermissionDenied("Only the consultation's organiser may import its census.")
    keys = parse_census(text)
    db.session.execute(db.delete(CensusEntry).where(CensusEntry.consultation_id == consultation.id))
    db.session.add_all(CensusEntry(consultation_id=consultation.id, key=k) for k in keys)
    db.session.commit()
    return len(keys)


def census_size(consultation) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CensusEntry).where(CensusEntry.consultation_id == consultation.id)
    )
