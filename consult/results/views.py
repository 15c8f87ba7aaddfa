"""Results pages: certify, results with charts, bulletin, receipt check, audit downloads, open data."""

from __future__ import annotations

import hmac
import json

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request, url_for

from tally import canonical
from tally.audit import compute_receipt
from tally.audit.receipts import normalise_receipt
from tally.errors import TallyError

from ..access import login_required
from ..consultations.services import visible_or_404
from ..csvexport import csv_response
from ..errors import ServiceError
from ..voting import forms
from ..voting import services as voting
from ..voting.views import contest_or_404
from . import charts, services
from .explain import how_counted

bp = Blueprint("results", __name__)


@bp.post("/consultations/<int:cid>/certify")
@login_required
def certify(cid: int):
    consultation = visible_or_404(cid)
    services.certify_consultation(consultation, g.user)
    return redirect(url_for("consultations.detail", cid=cid), 303)


@bp.app_template_global()
def can_certify(consultation) -> bool:
    return services.can_certify(consultation, g.get("user"))


def _certified(contest_id: int):
    contest = contest_or_404(contest_id)
    cert = services.certification_of(contest)
    return contest, cert


@bp.get("/contests/<int:contest_id>/results")
def results(contest_id: int):
    contest, cert = _certified(contest_id)
    consultation = voting.consultation_of(contest)
    if cert is None:
        return render_template("results/pending.html", contest=contest, consultation=consultation), 404
    result = services.result_of(cert)
    label = contest.label_of
    costs = {c.key: c.cost for c in contest.choices if c.cost is not None}
    ranked = charts.ranked_rounds(result, label)
    chart = None
    if contest.ballot_type == "budget":
        chart = charts.allocation_chart(result, costs, contest.rules.get("budget"), label)
    elif not ranked:
        title = "Net votes per option" if contest.ballot_type == "quadratic" else "Score per option"
        chart = charts.score_chart(result, label, title)
    cols, rows = charts.generic_rows(result)
    return render_template(
        "results/results.html",
        contest=contest,
        consultation=consultation,
        cert=cert,
        result=result,
        manifest=services.manifest_of(cert),
        ranked=ranked,
        chart=chart,
        cols=cols,
        rows=rows,
        how=how_counted(contest.method),
        label=label,
    )


@bp.get("/api/contests/<int:contest_id>/results")
def results_json(contest_id: int):
    contest, cert = _certified(contest_id)
    if cert is None:
        abort(404)
    return jsonify(services.open_data(contest, cert))


@bp.get("/contests/<int:contest_id>/results.csv")
def results_csv(contest_id: int):
    contest, cert = _certified(contest_id)
    if cert is None:
        abort(404)
    result = services.result_of(cert)
    ranked = charts.ranked_rounds(result, contest.label_of)
    if ranked:
        header = ["option", *[f"round {r['round']}" for r in ranked["rounds"]]]
        return csv_response(f"results-{contest.id}.csv", header, [[n, *v] for n, v in ranked["table"]])
    cols, rows = charts.generic_rows(result)
    return csv_response(f"results-{contest.id}.csv", cols, rows)


@bp.get("/contests/<int:contest_id>/audit.zip")
def audit_package(contest_id: int):
    contest, cert = _certified(contest_id)
    if cert is None:
        abort(404)
    response = Response(cert.package, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{contest.public_id}.zip"'
    return response


@bp.get("/contests/<int:contest_id>/rctab.zip")
def rctab_export(contest_id: int):
    contest, cert = _certified(contest_id)
    data = services.rctab_zip(cert) if cert is not None else None
    if data is None:
        abort(404)
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="rctab-{contest.public_id}.zip"'
    return response


@bp.get("/signing-key.pem")
def signing_key():
    return Response(services.public_key(), mimetype="application/x-pem-file")


# --- bulletin and receipt check -----------------------------------------------------------------------


@bp.get("/contests/<int:contest_id>/bulletin")
def bulletin(contest_id: int):
    contest = contest_or_404(contest_id)
    receipts = services.published_receipts(contest)
    query = "".join(ch for ch in (request.args.get("q") or "").lower() if ch in "0123456789abcdef")[:64]
    shown = [r for r in receipts if r.startswith(query)] if receipts is not None and query else receipts
    return render_template(
        "results/bulletin.html",
        contest=contest,
        consultation=voting.consultation_of(contest),
        receipts=shown,
        total=len(receipts) if receipts is not None else voting.ballot_count(contest),
        query=query,
        published=receipts is not None,
    )


@bp.get("/api/contests/<int:contest_id>/bulletin")
def bulletin_json(contest_id: int):
    contest = contest_or_404(contest_id)
    receipts = services.published_receipts(contest)
    if receipts is None:
        return jsonify({"contest": contest.public_id, "published": False, "receipts": []})
    cert = services.certification_of(contest)
    return jsonify(
        {
            "contest": contest.public_id,
            "published": True,
            "certified": cert is not None,
            "count": len(receipts),
            "receipts": receipts,
        }
    )


@bp.get("/contests/<int:contest_id>/bulletin.csv")
def bulletin_csv(contest_id: int):
    contest = contest_or_404(contest_id)
    receipts = services.published_receipts(contest)
    if receipts is None:
        abort(404)
    return csv_response(f"bulletin-{contest.id}.csv", ["receipt"], [[r] for r in receipts])


@bp.route("/contests/<int:contest_id>/receipt-check", methods=["GET", "POST"])
def receipt_check(contest_id: int):
    """Recompute a receipt from the secret and the choices, picked in the ballot's own form (ranks,
    ticks, projects, votes) or, for auditors, pasted as the canonical JSON printed on the receipt file
    (the JSON wins when both are given). Says whether the receipt is on the published bulletin; nothing
    entered is stored. A quadratic +/- button only adjusts the form."""
    contest = contest_or_404(contest_id)
    outcome = None
    choices = None
    if request.method == "POST":
        content_text = request.form.get("content", "").strip()
        try:
            choices = forms.ballot_choices(contest, request.form)
            if request.form.get("adjust"):
                pass
            elif content_text:
                outcome = _recompute(contest, _canonical_json(content_text))
            else:
                outcome = _recompute(contest, choices)
        except ServiceError as err:
            outcome = {"error": str(err)}
    return render_template(
        "results/receipt_check.html",
        contest=contest,
        consultation=voting.consultation_of(contest),
        outcome=outcome,
        form=request.form,
        state=forms.form_state(contest, choices),
    )


def _canonical_json(text: str):
    try:
        return json.loads(text[:20_000])
    except (ValueError, RecursionError):
        raise ServiceError(
            'The canonical choices must be JSON copied from the receipt file, e.g. ["o2","o1"].'
        ) from None


def _recompute(contest, choices) -> dict:
    """The receipt of ``choices`` with the posted secret, and whether it is on the bulletin."""
    try:
        content = voting.validate(contest, choices)
    except ServiceError as err:
        raise ServiceError(f"These choices are not a ballot of this contest: {err}") from None
    try:
        receipt = compute_receipt(contest.public_id, content, request.form.get("secret", ""))
    except TallyError as err:
        raise ServiceError(f"The secret is not valid: {err.message}.") from None
    published = services.published_receipts(contest)
    expected = request.form.get("receipt", "").strip()
    matches = None
    if expected:
        try:
            matches = hmac.compare_digest(normalise_receipt(expected), receipt)
        except TallyError:
            matches = False
    return {
        "receipt": receipt,
        "content": canonical.dumps(content),
        "words": forms.in_words(contest, content),
        "matches": matches,
        "published": None if published is None else receipt in published,
    }
