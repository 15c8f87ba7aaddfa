"""Consultation state changes and the rules for who may see and run one.

Visibility: a consultation in ``draft`` is visible only to its organiser and admins; every other phase is
public. Managing (editing, opening deliberation and voting, invitations, census) belongs to the owning
organiser and admins. Closing voting: the manager or an election officer. Certifying: an election officer
(or admin) only, called by the results feature once the certified count is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from .. import markdown
from ..auth.models import Role, User, utcnow
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from .models import PHASE_ORDER, Consultation, Eligibility, Phase


def can_view(consultation: Consultation, user: User | None) -> bool:
    if consultation.current_phase() is not Phase.DRAFT:
        return True
    return user is not None and can_manage(consultation, user)


def can_manage(consultation: Consultation, user: User | None) -> bool:
    return user is not None and (user.role == Role.ADMIN or user.id == consultation.organiser_id)


@dataclass
class ConsultationInput:
    title: str
    summary: str = ""
    description_md: str = ""
    eligibility: str = Eligibility.OPEN.value
    support_threshold: int | None = None
    deliberation_starts_at: datetime | None = None
    voting_starts_at: datetime | None = None
    voting_ends_at: datetime | None = None


def _validate(data: ConsultationInput) -> None:
    if not 3 <= len(data.title.strip()) <= 200:
        raise ServiceError("The title must be 3 to 200 characters.")
    if len(data.summary) > 500:
        raise ServiceError("The summary must be at most 500 characters.")
    if data.eligibility not in {e.value for e in Eligibility}:
        raise ServiceError("Eligibility must be open, invitation or census.")
    if data.support_threshold is not None and data.support_threshold < 1:
        raise ServiceError("The support threshold must be at least 1 (or left empty).")
    dates = [d for d in (data.deliberation_starts_at, data.voting_starts_at, data.voting_ends_at) if d]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise ServiceError(
            "Dates must be in order: deliberation starts, then voting starts, then voting ends."
        )


def create(actor: User, data: ConsultationInput) -> Consultation:
    if not actor.has_role(Role.ORGANISER):
        raise PermissionDenied("Only organisers create consultations.")
    _validate(data)
    consultation = Consultation(organiser_id=actor.id)
    _apply(consultation, data)
    db.session.add(consultation)
    db.session.commit()
    return consultation


def update(consultation: Consultation, actor: User, data: ConsultationInput) -> Consultation:
    if not can_manage(consultation, actor):
        raise PermissionDenied("Only the organiser may edit this consultation.")
    if consultation.current_phase().rank >= Phase.CLOSED.rank:
        raise ServiceError("A closed consultation can no longer be edited.")
    if consultation.current_phase() is not Phase.DRAFT and data.eligibility != consultation.eligibility:
        raise ServiceError("Eligibility can only change while the consultation is a draft.")
    _validate(data)
    _apply(consultation, data)
    db.session.commit()
    return consultation


def _apply(consultation: Consultation, data: ConsultationInput) -> None:
    consultation.title = data.title.strip()
    consultation.summary = data.summary.strip()
    consultation.description_md = data.description_md
    consultation.description_html = markdown.render(data.description_md)
    consultation.eligibility = data.eligibility
    consultation.support_threshold = data.support_threshold
    consultation.deliberation_starts_at = data.deliberation_starts_at
    consultation.voting_starts_at = data.voting_starts_at
    consultation.voting_ends_at = data.voting_ends_at


def next_phase(consultation: Consultation) -> Phase | None:
    current = consultation.current_phase()
    return None if current is Phase.CERTIFIED else PHASE_ORDER[current.rank + 1]


def can_transition(consultation: Consultation, user: User | None, target: Phase) -> bool:
    if user is None:
        return False
    if target in (Phase.DELIBERATION, Phase.VOTING):
        return can_manage(consultation, user)
    if target is Phase.CLOSED:
        return can_manage(consultation, user) or user.has_role(Role.OFFICER)
    return user.has_role(Role.OFFICER)


def transition(consultation: Consultation, actor: User, target: Phase | str) -> Consultation:
    """Move to ``target``, which must be the phase right after the current (effective) one."""
    try:
        target = Phase(target)
    except ValueError:
        raise ServiceError(f"Unknown phase {target!r}.") from None
    current = consultation.current_phase()
    if target.rank != current.rank + 1:
        raise ServiceError(f"A consultation in {current.value} cannot move to {target.value}.")
    if not can_transition(consultation, actor, target):
        raise PermissionDenied(f"You may not move this consultation to {target.value}.")
    if target is Phase.CERTIFIED and _has_contests(consultation):
        raise ServiceError("Contests are certified with 'Certify the results', which counts and signs them.")
    consultation.phase = target.value
    consultation.phase_changed_at = utcnow()
    db.session.commit()
    return consultation


def _has_contests(consultation: Consultation) -> bool:
    from ..voting.models import Contest  # the voting feature builds on this one

    return db.session.scalar(select(Contest.id).where(Contest.consultation_id == consultation.id)) is not None


def list_visible(
    user: User | None, phase: str | None = None, search: str | None = None
) -> list[Consultation]:
    """Consultations ``user`` may see, newest first, filtered by *effective* phase and a text search.

    The phase filter is applied after loading because dates move phases; the text search (title and
    summary, case-insensitive) runs in SQL.
    """
    query = select(Consultation).order_by(Consultation.created_at.desc(), Consultation.id.desc())
    if search and search.strip():
        like = f"%{search.strip().lower()}%"
        query = query.where(
            or_(func.lower(Consultation.title).like(like), func.lower(Consultation.summary).like(like))
        )
    rows = [c for c in db.session.scalars(query) if can_view(c, user)]
    if phase:
        rows = [c for c in rows if c.current_phase().value == phase]
    return rows


def visible_or_404(cid: int) -> Consultation:
    """The consultation ``cid`` if the current user may see it, else 404 (for views)."""
    from ..access import get_visible_or_404

    return get_visible_or_404(Consultation, cid, can_view)
