"""Deliberation state changes: proposals, supports, comments, endorsements, flags and moderation.

Rules
- Taking part (commenting, proposing, supporting, endorsing, flagging) needs an account that is eligible
  for the consultation (see :func:`consult.auth.services.is_eligible`) and not blocked.
- Proposals are submitted and supported during ``deliberation``; comments are accepted during
  ``deliberation`` and ``voting``; nothing changes once voting is closed (moderation excepted).
- A proposal's author may edit it for ``PROPOSAL_EDIT_MINUTES`` after submitting, and not once answered.
- A comment's author may edit it while comments are accepted; every edit keeps the previous text.
- Replies nest up to ``COMMENT_MAX_DEPTH``; a reply to a comment at that depth is placed beside it.
- ``FLAGS_TO_HIDE`` unresolved flags from distinct users hide an item automatically (``pending``) until a
  moderator hides it for good or restores it (restoring resolves its flags). Moderators: users with the
  moderator role and the consultation's managers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import markdown
from ..auth.models import Role, User, utcnow
from ..auth.services import is_eligible
from ..consultations.models import Consultation, Phase
from ..consultations.services import can_manage
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from .models import (
    AnswerStatus,
    Comment,
    CommentRevision,
    Endorsement,
    Flag,
    ModerationAction,
    Proposal,
    Stance,
    Support,
    Visibility,
)

COMMENT_PHASES = (Phase.DELIBERATION, Phase.VOTING)
Target = Comment | Proposal


def can_participate(consultation: Consultation, user: User | None) -> bool:
    return is_eligible(user, consultation)


def can_moderate(consultation: Consultation, user: User | None) -> bool:
    return user is not None and (user.has_role(Role.MODERATOR) or can_manage(consultation, user))


def _require_participant(consultation: Consultation, user: User, phases: tuple[Phase, ...]) -> None:
    if not can_participate(consultation, user):
        raise PermissionDenied("You are not eligible to take part in this consultation.")
    if consultation.current_phase() not in phases:
        names = " or ".join(p.value for p in phases)
        raise ServiceError(f"This is only possible during {names}.")


def _text(body: str, limit: int, what: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ServiceError(f"The {what} is empty.")
    if len(body) > limit:
        raise ServiceError(f"The {what} is longer than {limit} characters.")
    return body


# --- proposals ----------------------------------------------------------------------------------------


def submit_proposal(consultation: Consultation, author: User, title: str, body: str) -> Proposal:
    _require_participant(consultation, author, (Phase.DELIBERATION,))
    title = _text(title, 200, "title")
    body = _text(body, 10000, "proposal text")
    proposal = Proposal(
        consultation_id=consultation.id,
        author_id=author.id,
        title=title,
        body_md=body,
        body_html=markdown.render(body),
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal


def edit_deadline(proposal: Proposal):
    return proposal.created_at + timedelta(minutes=current_app.config["PROPOSAL_EDIT_MINUTES"])


def can_edit_proposal(proposal: Proposal, user: User | None) -> bool:
    return (
        user is not None
        and user.id == proposal.author_id
        and proposal.answer_status is None
        and utcnow() <= edit_deadline(proposal)
    )


def edit_proposal(proposal: Proposal, actor: User, title: str, body: str) -> Proposal:
    if actor.id != proposal.author_id:
        raise PermissionDenied("Only the author may edit a proposal.")
    if not can_edit_proposal(proposal, actor):
        minutes = current_app.config["PROPOSAL_EDIT_MINUTES"]
        raise ServiceError(f"Proposals can be edited only in the first {minutes} minutes, before any answer.")
    _require_participant(db.session.get(Consultation, proposal.consultation_id), actor, (Phase.DELIBERATION,))
    proposal.title = _text(title, 200, "title")
    proposal.body_md = _text(body, 10000, "proposal text")
    proposal.body_html = markdown.render(proposal.body_md)
    proposal.edited_at = utcnow()
    db.session.commit()
    return proposal


def support_count(proposal: Proposal) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Support).where(Support.proposal_id == proposal.id)
    )


def has_supported(proposal: Proposal, user: User | None) -> bool:
    if user is None:
        return False
    found = select(Support.id).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
    return db.session.scalar(found) is not None


def set_support(proposal: Proposal, user: User, supported: bool) -> int:
    """Add or withdraw ``user``'s support (idempotent). Returns the new count."""
    consultation = db.session.get(Consultation, proposal.consultation_id)
    _require_participant(consultation, user, (Phase.DELIBERATION,))
    if proposal.visibility != Visibility.VISIBLE:
        raise ServiceError("A hidden proposal cannot be supported.")
    if proposal.answer_status == AnswerStatus.REJECTED:
        raise ServiceError("A rejected proposal cannot be supported.")
    existing = db.session.scalar(
        select(Support).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
    )
    if supported and existing is None:
        db.session.add(Support(proposal_id=proposal.id, user_id=user.id))
        try:
            db.session.commit()
        except IntegrityError:  # a concurrent double click: already supported
            db.session.rollback()
    elif not supported and existing is not None:
        db.session.delete(existing)
        db.session.commit()
    return support_count(proposal)


def answer_proposal(proposal: Proposal, actor: User, status: str, text: str) -> Proposal:
    """The organiser's official answer: accepted, evaluating or rejected, with a Markdown explanation."""
    consultation = db.session.get(Consultation, proposal.consultation_id)
    if not can_manage(consultation, actor):
        raise PermissionDenied("Only the consultation's organiser answers proposals.")
    try:
        status = AnswerStatus(status).value
    except ValueError:
        raise ServiceError("The answer must be accepted, evaluating or rejected.") from None
    proposal.answer_status = status
    proposal.answer_md = _text(text, 10000, "answer")
    proposal.answer_html = markdown.render(proposal.answer_md)
    proposal.answered_by_id, proposal.answered_at = actor.id, utcnow()
    db.session.commit()
    return proposal


@dataclass
class ProposalRow:
    proposal: Proposal
    supports: int
    supported: bool


def list_proposals(consultation: Consultation, user: User | None, sort: str = "newest") -> list[ProposalRow]:
    """Proposals with support counts; hidden ones only for moderators and their authors.

    ``sort``: ``newest`` (default), ``supports`` (most supported first, then newest); ties by id.
    """
    counts = dict(
        db.session.execute(
            select(Support.proposal_id, func.count())
            .join(Proposal, Proposal.id == Support.proposal_id)
            .where(Proposal.consultation_id == consultation.id)
            .group_by(Support.proposal_id)
        ).all()
    )
    mine: set[int] = set()
    if user is not None:
        mine = set(
            db.session.scalars(
                select(Support.proposal_id)
                .join(Proposal, Proposal.id == Support.proposal_id)
                .where(Proposal.consultation_id == consultation.id, Support.user_id == user.id)
            )
        )
    moderator = can_moderate(consultation, user)
    rows = [
        ProposalRow(p, counts.get(p.id, 0), p.id in mine)
        for p in db.session.scalars(select(Proposal).where(Proposal.consultation_id == consultation.id))
        if p.visibility == Visibility.VISIBLE or moderator or (user is not None and p.author_id == user.id)
    ]
    if sort == "supports":
        rows.sort(key=lambda r: (-r.supports, -r.proposal.created_at.timestamp(), -r.proposal.id))
    else:
        rows.sort(key=lambda r: (-r.proposal.created_at.timestamp(), -r.proposal.id))
    return rows


def ballot_eligible_proposals(consultation: Consultation) -> list[Proposal]:
    """The proposals that go on the ballot, in submission order (id).

    Visible (not hidden or pending moderation), not rejected by the organiser, and with at least
    ``support_threshold`` supports when the consultation sets one.
    """
    threshold = consultation.support_threshold or 0
    counts = select(Support.proposal_id, func.count().label("n")).group_by(Support.proposal_id).subquery()
    query = (
        select(Proposal)
        .outerjoin(counts, counts.c.proposal_id == Proposal.id)
        .where(
            Proposal.consultation_id == consultation.id,
            Proposal.visibility == Visibility.VISIBLE.value,
            (Proposal.answer_status.is_(None)) | (Proposal.answer_status != AnswerStatus.REJECTED.value),
            func.coalesce(counts.c.n, 0) >= threshold,
        )
        .order_by(Proposal.id)
    )
    return list(db.session.scalars(query))


# --- comments -----------------------------------------------------------------------------------------


def post_comment(
    consultation: Consultation,
    author: User,
    body: str,
    stance: str = Stance.NEUTRAL.value,
    proposal: Proposal | None = None,
    parent: Comment | None = None,
) -> Comment:
    _require_participant(consultation, author, COMMENT_PHASES)
    try:
        stance = Stance(stance).value
    except ValueError:
        raise ServiceError("The stance must be for, against or neutral.") from None
    body = _text(body, 5000, "comment")
    if proposal is not None and proposal.consultation_id != consultation.id:
        raise ServiceError("That proposal is not part of this consultation.")
    depth = 0
    if parent is not None:
        if parent.consultation_id != consultation.id or parent.proposal_id != (
            proposal.id if proposal else None
        ):
            raise ServiceError("You can only reply within the same discussion.")
        if parent.visibility != Visibility.VISIBLE:
            raise ServiceError("You cannot reply to a hidden comment.")
        if parent.depth >= current_app.config["COMMENT_MAX_DEPTH"]:
            parent = db.session.get(Comment, parent.parent_id) if parent.parent_id else parent
        depth = parent.depth + 1
    comment = Comment(
        consultation_id=consultation.id,
        proposal_id=proposal.id if proposal else None,
        parent_id=parent.id if parent else None,
        depth=depth,
        author_id=author.id,
        stance=stance,
        body_md=body,
        body_html=markdown.render(body),
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def edit_comment(comment: Comment, actor: User, body: str, stance: str | None = None) -> Comment:
    if actor.id != comment.author_id:
        raise PermissionDenied("Only the author may edit a comment.")
    consultation = db.session.get(Consultation, comment.consultation_id)
    _require_participant(consultation, actor, COMMENT_PHASES)
    if comment.visibility != Visibility.VISIBLE:
        raise ServiceError("A hidden comment cannot be edited.")
    body = _text(body, 5000, "comment")
    stance = comment.stance if stance is None else stance
    if stance not in {s.value for s in Stance}:
        raise ServiceError("The stance must be for, against or neutral.")
    if body == comment.body_md and stance == comment.stance:
        return comment
    db.session.add(CommentRevision(comment_id=comment.id, body_md=comment.body_md, stance=comment.stance))
    comment.body_md, comment.body_html, comment.stance = body, markdown.render(body), stance
    comment.edited_at = utcnow()
    db.session.commit()
    return comment


def revisions(comment: Comment) -> list[CommentRevision]:
    query = select(CommentRevision).where(CommentRevision.comment_id == comment.id)
    return list(db.session.scalars(query.order_by(CommentRevision.id)))


def set_endorsement(comment: Comment, user: User, endorsed: bool) -> int:
    """Endorse or withdraw (idempotent); authors cannot endorse their own comment. Returns the count."""
    consultation = db.session.get(Consultation, comment.consultation_id)
    _require_participant(consultation, user, COMMENT_PHASES)
    if comment.author_id == user.id:
        raise ServiceError("You cannot endorse your own comment.")
    if comment.visibility != Visibility.VISIBLE:
        raise ServiceError("A hidden comment cannot be endorsed.")
    existing = db.session.scalar(
        select(Endorsement).where(Endorsement.comment_id == comment.id, Endorsement.user_id == user.id)
    )
    if endorsed and existing is None:
        db.session.add(Endorsement(comment_id=comment.id, user_id=user.id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    elif not endorsed and existing is not None:
        db.session.delete(existing)
        db.session.commit()
    return endorsement_count(comment)


def endorsement_count(comment: Comment) -> int:
    query = select(func.count()).select_from(Endorsement).where(Endorsement.comment_id == comment.id)
    return db.session.scalar(query)


@dataclass
class Node:
    comment: Comment
    endorsements: int = 0
    endorsed: bool = False
    flagged: bool = False
    children: list[Node] = field(default_factory=list)


def thread(
    consultation: Consultation, user: User | None, proposal: Proposal | None = None, sort: str = "newest"
) -> list[Node]:
    """The comment tree of the consultation (``proposal`` None) or of one proposal.

    Top-level comments are ordered by ``sort``: ``newest`` (default) or ``endorsed`` (most endorsements,
    then newest); replies are always in the order they were written, so conversations read naturally.
    Hidden comments stay in the tree (templates show a placeholder) so replies keep their context.
    """
    query = select(Comment).where(_in_thread(consultation.id, proposal.id if proposal else None))
    roots = _link(_nodes(list(db.session.scalars(query.order_by(Comment.id))), user))
    if sort == "endorsed":
        roots.sort(key=lambda n: (-n.endorsements, -n.comment.id))
    else:
        roots.sort(key=lambda n: -n.comment.id)
    return roots


def _in_thread(consultation_id: int, proposal_id: int | None):
    """The comments of one thread: the consultation's own (``proposal_id`` None) or one proposal's."""
    same_proposal = Comment.proposal_id == proposal_id if proposal_id else Comment.proposal_id.is_(None)
    return (Comment.consultation_id == consultation_id) & same_proposal


def _nodes(comments: list[Comment], user: User | None) -> dict[int, Node]:
    """``comments`` (in id order) as nodes with their endorsement counts and ``user``'s own marks."""
    ids = [c.id for c in comments]
    counts: dict[int, int] = {}
    endorsed: set[int] = set()
    flagged: set[int] = set()
    if ids:
        counts = dict(
            db.session.execute(
                select(Endorsement.comment_id, func.count())
                .where(Endorsement.comment_id.in_(ids))
                .group_by(Endorsement.comment_id)
            ).all()
        )
        if user is not None:
            endorsed = set(
                db.session.scalars(
                    select(Endorsement.comment_id).where(
                        Endorsement.comment_id.in_(ids), Endorsement.user_id == user.id
                    )
                )
            )
            flagged = set(
                db.session.scalars(
                    select(Flag.target_id).where(
                        Flag.target_type == "comment", Flag.target_id.in_(ids), Flag.user_id == user.id
                    )
                )
            )
    return {c.id: Node(c, counts.get(c.id, 0), c.id in endorsed, c.id in flagged) for c in comments}


def _link(nodes: dict[int, Node]) -> list[Node]:
    """Put each node (in id order, so replies stay in the order they were written) among its parent's
    children; returns the nodes whose parent is not among ``nodes``."""
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.comment.parent_id)
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def posted_node(comment: Comment) -> Node:
    """The node of a comment this request has just written, shown as written: no replies, endorsements
    or flags (the node :func:`comment_node` reads then, without its four queries)."""
    return Node(comment)


def comment_node(comment: Comment, user: User | None) -> Node:
    """One comment with its counts and replies, for re-rendering it in place. Only the comment and its
    replies (a recursive query over ``parent_id`` within its thread) are read, not the whole thread: the
    node is the one :func:`thread` would give."""
    in_thread = _in_thread(comment.consultation_id, comment.proposal_id)
    subtree = select(Comment.id).where(Comment.id == comment.id, in_thread).cte("subtree", recursive=True)
    subtree = subtree.union_all(select(Comment.id).where(Comment.parent_id == subtree.c.id, in_thread))
    query = select(Comment).where(Comment.id.in_(select(subtree.c.id))).order_by(Comment.id)
    nodes = _nodes(list(db.session.scalars(query)), user)
    if comment.id not in nodes:
        raise LookupError(comment.id)
    _link(nodes)
    return nodes[comment.id]


# --- flags and moderation -----------------------------------------------------------------------------


def _consultation_of(target: Target) -> Consultation:
    return db.session.get(Consultation, target.consultation_id)


def _kind(target: Target) -> Literal["comment", "proposal"]:
    return "comment" if isinstance(target, Comment) else "proposal"


def flag(target: Target, user: User, reason: str = "") -> bool:
    """Flag ``target`` once per user. Returns True when this flag hid it (pending moderation)."""
    consultation = _consultation_of(target)
    if not can_participate(consultation, user):
        raise PermissionDenied("You are not eligible to take part in this consultation.")
    if target.author_id == user.id:
        raise ServiceError("You cannot flag your own contribution.")
    kind = _kind(target)
    exists = select(Flag.id).where(
        Flag.target_type == kind, Flag.target_id == target.id, Flag.user_id == user.id
    )
    if db.session.scalar(exists) is None:
        db.session.add(
            Flag(target_type=kind, target_id=target.id, user_id=user.id, reason=(reason or "")[:500])
        )
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return False
    open_flags = db.session.scalar(
        select(func.count())
        .select_from(Flag)
        .where(Flag.target_type == kind, Flag.target_id == target.id, Flag.resolved_at.is_(None))
    )
    hid = False
    if target.visibility == Visibility.VISIBLE and open_flags >= current_app.config["FLAGS_TO_HIDE"]:
        target.visibility = Visibility.PENDING.value
        target.moderation_reason = f"Hidden automatically after {open_flags} flags, pending moderation."
        hid = True
    db.session.commit()
    return hid


def moderate(target: Target, moderator: User, action: Literal["hide", "restore"], reason: str) -> None:
    """Hide (for good) or restore ``target``; both need a reason and are logged. Restore resolves flags."""
    consultation = _consultation_of(target)
    if not can_moderate(consultation, moderator):
        raise PermissionDenied("Only moderators may do this.")
    reason = _text(reason, 500, "reason")
    kind = _kind(target)
    if action == "hide":
        target.visibility = Visibility.HIDDEN.value
        target.moderation_reason = reason
    elif action == "restore":
        target.visibility = Visibility.VISIBLE.value
        target.moderation_reason = None
        db.session.execute(
            db.update(Flag)
            .where(Flag.target_type == kind, Flag.target_id == target.id, Flag.resolved_at.is_(None))
            .values(resolved_at=utcnow())
        )
    else:
        raise ServiceError("Unknown moderation action.")
    db.session.add(
        ModerationAction(
            moderator_id=moderator.id, action=action, target_type=kind, target_id=target.id, reason=reason
        )
    )
    db.session.commit()


def set_blocked(user: User, moderator: User, blocked: bool, reason: str) -> None:
    """Block (or unblock) an account: it is logged out everywhere and can neither log in nor take part."""
    if not moderator.has_role(Role.MODERATOR):
        raise PermissionDenied("Only moderators may block accounts.")
    if user.id == moderator.id:
        raise ServiceError("You cannot block yourself.")
    if blocked and user.has_role(Role.MODERATOR):
        raise ServiceError(
            "Moderators and admins cannot be blocked; ask an admin to change their role first."
        )
    reason = _text(reason, 500, "reason")
    if blocked:
        user.blocked_at, user.blocked_reason = utcnow(), reason
        user.session_version += 1
    else:
        user.blocked_at, user.blocked_reason = None, None
    db.session.add(
        ModerationAction(
            moderator_id=moderator.id,
            action="block" if blocked else "unblock",
            target_type="user",
            target_id=user.id,
            reason=reason,
        )
    )
    db.session.commit()


def moderation_queue(consultation: Consultation) -> dict[str, list]:
    """Items pending moderation or hidden, for the moderator's page."""
    hidden = (Visibility.PENDING.value, Visibility.HIDDEN.value)
    return {
        "comments": list(
            db.session.scalars(
                select(Comment)
                .where(Comment.consultation_id == consultation.id, Comment.visibility.in_(hidden))
                .order_by(Comment.id)
            )
        ),
        "proposals": list(
            db.session.scalars(
                select(Proposal)
                .where(Proposal.consultation_id == consultation.id, Proposal.visibility.in_(hidden))
                .order_by(Proposal.id)
            )
        ),
    }
