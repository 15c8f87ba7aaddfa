"""Proposal and comment pages. Every htmx fragment URL also serves a full page (see consult.fragments)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ..access import authorize, get_visible_or_404, is_local_path, login_required, roles_required
from ..auth.models import Role, User
from ..consultations.models import Consultation
from ..consultations.services import can_manage, can_view
from ..consultations.services import visible_or_404 as visible_consultation
from ..csvexport import csv_response
from ..errors import ServiceError
from ..extensions import db, limiter
from ..fragments import is_htmx, page_or_fragment
from . import services
from .models import Comment, Proposal, Visibility

bp = Blueprint("deliberation", __name__)

# One budget for every posting route (comments, replies, edits, proposals, flags), so a client cannot
# multiply its allowance by switching route.
post_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_POST"], scope="post", methods=["POST"]
)


def _consultation_visible(obj: Comment | Proposal, user: User | None) -> bool:
    consultation = db.session.get(Consultation, obj.consultation_id)
    return consultation is not None and can_view(consultation, user)


def visible_proposal(pid: int) -> Proposal:
    def visible(p: Proposal, user: User | None) -> bool:
        return _consultation_visible(p, user)

    return get_visible_or_404(Proposal, pid, visible)


def visible_comment(comment_id: int) -> tuple[Comment, Consultation]:
    """The comment (404 unless its consultation is visible) and its consultation, read once: the session
    keeps objects only while something refers to them, so reading the consultation again after the check
    would query it again."""
    seen: list[Consultation | None] = []

    def visible(comment: Comment, user: User | None) -> bool:
        seen.append(db.session.get(Consultation, comment.consultation_id))  # held: the check's get is a hit
        return _consultation_visible(comment, user)

    return get_visible_or_404(Comment, comment_id, visible), seen[0]


def _context(consultation: Consultation, can_participate: bool | None = None) -> dict:
    """What every discussion template needs; ``can_participate`` when the request already knows it (a
    post succeeded: the service checked it), else it is looked up."""
    if can_participate is None:
        can_participate = services.can_participate(consultation, g.user)
    return {
        "consultation": consultation,
        "can_participate": can_participate,
        "can_moderate": services.can_moderate(consultation, g.user),
        "can_manage": can_manage(consultation, g.user),
    }


def _comment_response(comment: Comment, consultation: Consultation, status: int = 200) -> Response:
    """The comment (with its replies) as a fragment, or its full page."""
    node = services.comment_node(comment, g.user)
    return page_or_fragment(
        "deliberation/comment.html", "deliberation/_comment.html", status, node=node, **_context(consultation)
    )


def _back_to(comment: Comment) -> Response:
    if comment.proposal_id:
        target = url_for(".proposal", pid=comment.proposal_id)
    else:
        target = url_for("consultations.detail", cid=comment.consultation_id)
    return redirect(f"{target}#comment-{comment.id}", code=303)


# --- comments -----------------------------------------------------------------------------------------


@bp.post("/consultations/<int:cid>/comments")
@login_required
@post_limit
def post_comment(cid: int):
    """A new top-level comment on the consultation, or on one of its proposals (``proposal_id``)."""
    consultation = visible_consultation(cid)
    proposal = None
    if request.form.get("proposal_id"):
        proposal = visible_proposal(request.form.get("proposal_id", type=int) or 0)
    comment = services.post_comment(
        consultation, g.user, request.form.get("body", ""), request.form.get("stance", "neutral"), proposal
    )
    if not is_htmx():
        return _back_to(comment)
    response = make_response(
        render_template(
            "deliberation/_new_comment.html",
            node=services.posted_node(comment),
            proposal=proposal,
            **_context(consultation, can_participate=True),
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.get("/comments/<int:comment_id>")
def comment(comment_id: int):
    return _comment_response(*visible_comment(comment_id))


@bp.route("/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@login_required
@post_limit
def reply(comment_id: int):
    parent, consultation = visible_comment(comment_id)
    if request.method == "GET":
        return page_or_fragment(
            "deliberation/reply.html",
            "deliberation/_reply_form.html",
            parent=parent,
            **_context(consultation),
        )
    proposal = db.session.get(Proposal, parent.proposal_id) if parent.proposal_id else None
    new = services.post_comment(
        consultation,
        g.user,
        request.form.get("body", ""),
        request.form.get("stance", "neutral"),
        proposal,
        parent,
    )
    if not is_htmx():
        return _back_to(new)
    response = make_response(
        render_template(
            "deliberation/_new_reply.html",
            node=services.posted_node(new),
            parent=parent,
            **_context(consultation, can_participate=True),
        )
    )
    if new.parent_id != parent.id:  # placed beside a comment at the depth limit: insert under its parent
        response.headers["HX-Retarget"] = f"#replies-{new.parent_id}"
    response.vary.add("HX-Request")
    return response


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
@post_limit
def edit_comment(comment_id: int):
    comment, consultation = visible_comment(comment_id)
    authorize(comment.author_id == g.user.id)
    if request.method == "POST":
        services.edit_comment(comment, g.user, request.form.get("body", ""), request.form.get("stance"))
        return _comment_response(comment, consultation) if is_htmx() else _back_to(comment)
    return page_or_fragment(
        "deliberation/edit_comment.html",
        "deliberation/_edit_form.html",
        comment=comment,
        **_context(consultation),
    )


@bp.get("/comments/<int:comment_id>/history")
def history(comment_id: int):
    comment, consultation = visible_comment(comment_id)
    if comment.visibility != Visibility.VISIBLE and not services.can_moderate(consultation, g.user):
        abort(404)
    return page_or_fragment(
        "deliberation/history.html",
        "deliberation/_history.html",
        comment=comment,
        revisions=services.revisions(comment),
        **_context(consultation),
    )


@bp.post("/comments/<int:comment_id>/endorse")
@login_required
def endorse(comment_id: int):
    comment, consultation = visible_comment(comment_id)
    services.set_endorsement(comment, g.user, request.form.get("endorsed", "1") == "1")
    return _comment_response(comment, consultation) if is_htmx() else _back_to(comment)


@bp.post("/comments/<int:comment_id>/flag")
@login_required
@post_limit
def flag_comment(comment_id: int):
    comment, consultation = visible_comment(comment_id)
    services.flag(comment, g.user, request.form.get("reason", ""))
    if not is_htmx():
        flash("Thank you: moderators will review this comment.", "info")
    return _comment_response(comment, consultation) if is_htmx() else _back_to(comment)


@bp.post("/comments/<int:comment_id>/moderate")
@login_required
def moderate_comment(comment_id: int):
    comment, consultation = visible_comment(comment_id)
    services.moderate(comment, g.user, request.form.get("action", ""), request.form.get("reason", ""))
    return _comment_response(comment, consultation) if is_htmx() else _back_to(comment)


# --- proposals ----------------------------------------------------------------------------------------


def _proposal_context(proposal: Proposal) -> dict:
    consultation = db.session.get(Consultation, proposal.consultation_id)
    return {
        "proposal": proposal,
        "supports": services.support_count(proposal),
        "supported": services.has_supported(proposal, g.user),
        "can_edit": services.can_edit_proposal(proposal, g.user),
        **_context(consultation),
    }


@bp.route("/consultations/<int:cid>/proposals/new", methods=["GET", "POST"])
@login_required
@post_limit
def new_proposal(cid: int):
    consultation = visible_consultation(cid)
    error = None
    if request.method == "POST":
        try:
            proposal = services.submit_proposal(
                consultation, g.user, request.form.get("title", ""), request.form.get("body", "")
            )
        except ServiceError as exc:
            error = str(exc)
        else:
            return redirect(url_for(".proposal", pid=proposal.id), code=303)
    return render_template(
        "deliberation/proposal_form.html",
        proposal=None,
        error=error,
        form=request.form,
        **_context(consultation),
    ), (422 if error else 200)


@bp.get("/proposals/<int:pid>")
def proposal(pid: int):
    p = visible_proposal(pid)
    consultation = db.session.get(Consultation, p.consultation_id)
    sort = request.args.get("sort", "newest")
    context = _proposal_context(p)
    context["nodes"] = services.thread(consultation, g.user, p, sort)
    context["sort"] = sort
    return page_or_fragment("deliberation/proposal.html", "deliberation/_discussion.html", **context)


@bp.route("/proposals/<int:pid>/edit", methods=["GET", "POST"])
@login_required
def edit_proposal(pid: int):
    p = visible_proposal(pid)
    authorize(p.author_id == g.user.id)
    error = None
    if request.method == "POST":
        try:
            services.edit_proposal(p, g.user, request.form.get("title", ""), request.form.get("body", ""))
        except ServiceError as exc:
            error = str(exc)
        else:
            return redirect(url_for(".proposal", pid=p.id), code=303)
    context = _proposal_context(p)
    return render_template(
        "deliberation/proposal_form.html", error=error, form=request.form or None, **context
    ), (422 if error else 200)


@bp.post("/proposals/<int:pid>/support")
@login_required
def support(pid: int):
    p = visible_proposal(pid)
    services.set_support(p, g.user, request.form.get("supported", "1") == "1")
    if is_htmx():
        return page_or_fragment(
            "deliberation/proposal.html", "deliberation/_support.html", **_proposal_context(p)
        )
    return redirect(url_for(".proposal", pid=p.id), code=303)


@bp.post("/proposals/<int:pid>/answer")
@login_required
def answer(pid: int):
    p = visible_proposal(pid)
    services.answer_proposal(p, g.user, request.form.get("status", ""), request.form.get("answer", ""))
    return redirect(url_for(".proposal", pid=p.id), code=303)


@bp.post("/proposals/<int:pid>/flag")
@login_required
@post_limit
def flag_proposal(pid: int):
    p = visible_proposal(pid)
    services.flag(p, g.user, request.form.get("reason", ""))
    flash("Thank you: moderators will review this proposal.", "info")
    return redirect(url_for(".proposal", pid=p.id), code=303)


@bp.post("/proposals/<int:pid>/moderate")
@login_required
def moderate_proposal(pid: int):
    p = visible_proposal(pid)
    services.moderate(p, g.user, request.form.get("action", ""), request.form.get("reason", ""))
    return redirect(url_for(".proposal", pid=p.id), code=303)


# --- moderation -----------------------------------------------------------------------------------------


@bp.get("/consultations/<int:cid>/moderation")
@login_required
def moderation(cid: int):
    consultation = visible_consultation(cid)
    authorize(services.can_moderate(consultation, g.user))
    return render_template(
        "deliberation/moderation.html",
        queue=services.moderation_queue(consultation),
        **_context(consultation),
    )


@bp.post("/users/<int:uid>/block")
@roles_required(Role.MODERATOR)
def block(uid: int):
    user = db.get_or_404(User, uid)
    blocked = request.form.get("blocked", "1") == "1"
    services.set_blocked(user, g.user, blocked, request.form.get("reason", ""))
    flash(f"{user.display_name} is {'blocked' if blocked else 'unblocked'}.", "success")
    back = request.form.get("back")
    return redirect(back if back and is_local_path(back) else url_for("home.index"), 303)


# --- open data ------------------------------------------------------------------------------------------


def _public_proposals(cid: int) -> list[services.ProposalRow]:
    consultation = db.session.get(Consultation, cid)
    if consultation is None or not can_view(consultation, None):
        abort(404)
    return services.list_proposals(consultation, None)


@bp.get("/api/consultations/<int:cid>/proposals")
def proposals_json(cid: int):
    rows = _public_proposals(cid)
    return jsonify(
        {
            "consultation_id": cid,
            "proposals": [
                {
                    "id": r.proposal.id,
                    "title": r.proposal.title,
                    "body_html": r.proposal.body_html,
                    "author": r.proposal.author.display_name,
                    "supports": r.supports,
                    "answer_status": r.proposal.answer_status,
                    "answer_html": r.proposal.answer_html,
                    "created_at": r.proposal.created_at.isoformat() + "Z",
                    "url": url_for(".proposal", pid=r.proposal.id, _external=True),
                }
                for r in rows
            ],
        }
    )


@bp.get("/consultations/<int:cid>/proposals.csv")
def proposals_csv(cid: int):
    rows = _public_proposals(cid)
    return csv_response(
        f"consultation-{cid}-proposals.csv",
        ["id", "title", "author", "supports", "answer_status", "created_at", "body"],
        (
            [
                r.proposal.id,
                r.proposal.title,
                r.proposal.author.display_name,
                r.supports,
                r.proposal.answer_status,
                r.proposal.created_at.isoformat(),
                r.proposal.body_md,
            ]
            for r in rows
        ),
    )
