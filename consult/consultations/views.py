"""Consultation pages, phase transitions, eligibility management and the open-data endpoints."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..access import authorize, login_required, roles_required
from ..auth import services as auth_services
from ..auth.models import Role
from ..csvexport import csv_response
from ..deliberation import services as delib
from ..errors import ServiceError
from ..extensions import db
from ..fragments import page_or_fragment
from . import services
from .models import PHASE_ORDER, Consultation, Eligibility, Phase

bp = Blueprint("consultations", __name__)


visible_consultation = services.visible_or_404


def _date(name: str) -> datetime | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise ServiceError(
            f"{name.replace('_', ' ').capitalize()}: enter a date like 2026-05-01T18:00."
        ) from None


def _form_input() -> services.ConsultationInput:
    form = request.form
    threshold = form.get("support_threshold", "").strip()
    if threshold and not threshold.isdigit():
        raise ServiceError("The support threshold must be a whole number.")
    return services.ConsultationInput(
        title=form.get("title", ""),
        summary=form.get("summary", ""),
        description_md=form.get("description_md", ""),
        eligibility=form.get("eligibility", Eligibility.OPEN.value),
        support_threshold=int(threshold) if threshold else None,
        deliberation_starts_at=_date("deliberation_starts_at"),
        voting_starts_at=_date("voting_starts_at"),
        voting_ends_at=_date("voting_ends_at"),
    )


@bp.get("/consultations")
def index():
    phase = request.args.get("phase") or None
    if phase and phase not in {p.value for p in Phase}:
        phase = None
    query = request.args.get("q", "")[:100]
    rows = services.list_visible(g.user, phase, query)
    return render_template("consultations/index.html", rows=rows, phase=phase, q=query, phases=PHASE_ORDER)


@bp.route("/consultations/new", methods=["GET", "POST"])
@roles_required(Role.ORGANISER)
def new():
    error = None
    if request.method == "POST":
        try:
            consultation = services.create(g.user, _form_input())
        except ServiceError as exc:
            error = str(exc)
        else:
            return redirect(url_for(".detail", cid=consultation.id), code=303)
    return render_template("consultations/form.html", consultation=None, error=error, form=request.form), (
        422 if error else 200
    )


@bp.route("/consultations/<int:cid>/edit", methods=["GET", "POST"])
@login_required
def edit(cid: int):
    consultation = visible_consultation(cid)
    authorize(services.can_manage(consultation, g.user))
    error = None
    if request.method == "POST":
        try:
            services.update(consultation, g.user, _form_input())
        except ServiceError as exc:
            error = str(exc)
        else:
            return redirect(url_for(".detail", cid=consultation.id), code=303)
    return render_template(
        "consultations/form.html", consultation=consultation, error=error, form=request.form or None
    ), (422 if error else 200)


@bp.get("/consultations/<int:cid>")
def detail(cid: int):
    consultation = visible_consultation(cid)
    sort = request.args.get("sort", "newest")
    return page_or_fragment(
        "consultations/detail.html",
        "deliberation/_discussion.html",
        consultation=consultation,
        proposals=delib.list_proposals(consultation, g.user, request.args.get("psort", "newest")),
        nodes=delib.thread(consultation, g.user, None, sort),
        sort=sort,
        proposal=None,
        next_phase=services.next_phase(consultation),
        can_manage=services.can_manage(consultation, g.user),
        can_participate=delib.can_participate(consultation, g.user),
        can_moderate=delib.can_moderate(consultation, g.user),
    )


@bp.post("/consultations/<int:cid>/phase")
@login_required
def transition(cid: int):
    consultation = visible_consultation(cid)
    services.transition(consultation, g.user, request.form.get("phase", ""))
    flash(f"The consultation is now in {consultation.phase}.", "success")
    return redirect(url_for(".detail", cid=cid), code=303)


# --- eligibility ----------------------------------------------------------------------------------------


@bp.get("/consultations/<int:cid>/eligibility")
@login_required
def eligibility(cid: int):
    consultation = visible_consultation(cid)
    authorize(services.can_manage(consultation, g.user))
    return render_template(
        "consultations/eligibility.html",
        consultation=consultation,
        census_size=auth_services.census_size(consultation),
        tokens=None,
        error=None,
    )


@bp.post("/consultations/<int:cid>/invitations")
@login_required
def create_invitations(cid: int):
    consultation = visible_consultation(cid)
    authorize(services.can_manage(consultation, g.user))
    count = request.form.get("count", "1")
    tokens = auth_services.create_invitations(
        consultation, g.user, int(count) if count.isdigit() else 0, request.form.get("label", "")
    )
    return render_template(
        "consultations/eligibility.html",
        consultation=consultation,
        census_size=auth_services.census_size(consultation),
        tokens=tokens,
        error=None,
    )


@bp.post("/consultations/<int:cid>/census")
@login_required
def import_census(cid: int):
    consultation = visible_consultation(cid)
    authorize(services.can_manage(consultation, g.user))
    upload = request.files.get("census")
    error = None
    try:
        if upload is None or not upload.filename:
            raise ServiceError("Choose a CSV file to upload.")
        limit = current_app.config["CENSUS_MAX_BYTES"]
        raw = upload.read(limit + 1)
        if len(raw) > limit:
            raise ServiceError(
                f"The census file is larger than {limit // 1024} kB: split it or drop columns."
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ServiceError("The census file must be UTF-8 text (CSV).") from None
        count = auth_services.import_census(consultation, g.user, text)
    except ServiceError as exc:
        error = str(exc)
    else:
        flash(f"Census imported: {count} entries.", "success")
        return redirect(url_for(".eligibility", cid=cid), code=303)
    return render_template(
        "consultations/eligibility.html",
        consultation=consultation,
        census_size=auth_services.census_size(consultation),
        tokens=None,
        error=error,
    ), 422


@bp.route("/consultations/<int:cid>/join", methods=["GET", "POST"])
@login_required
def redeem(cid: int):
    consultation = visible_consultation(cid)
    error = None
    if request.method == "POST":
        try:
            auth_services.redeem_invitation(consultation, g.user, request.form.get("token", ""))
        except ServiceError as exc:
            error = str(exc)
        else:
            flash("Invitation accepted: you can now take part.", "success")
            return redirect(url_for(".detail", cid=cid), code=303)
    return render_template("consultations/join.html", consultation=consultation, error=error), (
        422 if error else 200
    )


# --- open data ------------------------------------------------------------------------------------------


def consultation_json(c: Consultation) -> dict:
    def iso(d: datetime | None) -> str | None:
        return d.isoformat() + "Z" if d else None

    return {
        "id": c.id,
        "title": c.title,
        "summary": c.summary,
        "description_html": c.description_html,
        "phase": c.current_phase().value,
        "eligibility": c.eligibility,
        "support_threshold": c.support_threshold,
        "deliberation_starts_at": iso(c.deliberation_starts_at),
        "voting_starts_at": iso(c.voting_starts_at),
        "voting_ends_at": iso(c.voting_ends_at),
        "url": url_for("consultations.detail", cid=c.id, _external=True),
        "proposals_url": url_for("deliberation.proposals_json", cid=c.id, _external=True),
    }


@bp.get("/api/consultations")
def api_index():
    """Public consultations (never drafts, whoever asks: open data is anonymous)."""
    phase = request.args.get("phase") or None
    return jsonify({"consultations": [consultation_json(c) for c in services.list_visible(None, phase)]})


@bp.get("/api/consultations/<int:cid>")
def api_detail(cid: int):
    consultation = db.session.get(Consultation, cid)
    if consultation is None or not services.can_view(consultation, None):
        abort(404)
    return jsonify(consultation_json(consultation))


@bp.get("/consultations.csv")
def export_csv():
    rows = services.list_visible(None)
    limit = current_app.config["PAGE_SIZE"] * 1000
    return csv_response(
        "consultations.csv",
        ["id", "title", "summary", "phase", "eligibility", "created_at"],
        (
            [c.id, c.title, c.summary, c.current_phase().value, c.eligibility, c.created_at.isoformat()]
            for c in rows[:limit]
        ),
    )
