"""Voting pages: contest editor, ballot forms with live checks, casting, changing, receipts."""

from __future__ import annotations

import secrets
from string import Formatter

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from tally.ballot_rules import budget_total, quadratic_cost

from ..access import MAX_ID, authorize, load_visible_or_404, login_required
from ..consultations.models import Consultation
from ..consultations.services import can_view, visible_or_404
from ..deliberation.services import ballot_eligible_proposals
from ..errors import ServiceError
from ..extensions import limiter
from ..fragments import page_or_fragment
from . import ballot_reads, castkeys, forms, services
from .models import Contest

bp = Blueprint("voting", __name__)
# One budget for casting and changing, so a client cannot double its allowance by switching route.
cast_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_CAST"], scope="cast", methods=["POST"]
)


def _contest_visible(contest: Contest, user) -> bool:
    return can_view(services.consultation_of(contest), user)


# The contest with its options and consultation (not its organiser: pages need only the id), in one query,
# as one statement built once (see access.load_visible_or_404).
CONTEST_PAGE = (
    select(Contest)
    .options(joinedload(Contest.choices), joinedload(Contest.consultation).lazyload(Consultation.organiser))
    .where(Contest.id == bindparam("id"))
)


def contest_or_404(contest_id: int) -> Contest:
    return load_visible_or_404(CONTEST_PAGE, contest_id, _contest_visible)


def ballot_contest_or_404(
    contest_id: int, voted: bool = False
) -> tuple[ballot_reads.BallotContest, ballot_reads.VoterFacts | None]:
    """For the voter's pages and the cast: the contest as a :class:`ballot_reads.BallotContest` and the facts
    about the signed-in voter (:func:`ballot_reads.ballot_contest`), in one statement; 404 as
    :func:`contest_or_404` when it is absent or not visible to them."""
    if not 0 <= contest_id <= MAX_ID:
        abort(404)
    loaded = ballot_reads.ballot_contest(contest_id, g.user, voted)
    if loaded is None or not _contest_visible(loaded[0], g.user):
        abort(404)
    return loaded


@bp.app_template_global()
def voting_contests(consultation) -> list:
    """The contests a consultation's page lists (rows of :func:`services.contest_links`)."""
    return services.contest_links(consultation)


# --- contest editor -----------------------------------------------------------------------------------


def _editor(consultation, contest, data, error=None, status=200, raw=None):
    kinds = {k: services.methods_for(k) for k in services.METHOD_FAMILIES}
    return (
        render_template(
            "voting/contest_form.html",
            consultation=consultation,
            contest=contest,
            data=data,
            kinds=kinds,
            labels=services.TYPE_LABELS,
            error=error,
            raw=raw,
        ),
        status,
    )


def _proposal_titles(consultation) -> dict[str, int]:
    return {p.title[:200]: p.id for p in ballot_eligible_proposals(consultation)}


@bp.route("/consultations/<int:cid>/contests/new", methods=["GET", "POST"])
@login_required
def new_contest(cid: int):
    consultation = visible_or_404(cid)
    authorize(services.can_edit_contests(consultation, g.user))
    if request.method == "GET":
        data = services.ContestInput(
            title="",
            ballot_type="ranked",
            method="irv",
            seed=secrets.token_hex(8),
            choices=services.proposal_choices(consultation),
        )
        return _editor(consultation, None, data)
    try:
        data = forms.contest_input(request.form, _proposal_titles(consultation))
        contest = services.create_contest(consultation, g.user, data)
    except ServiceError as err:
        return _editor(consultation, None, None, str(err), 400, raw=request.form)
    return redirect(url_for("voting.contest", contest_id=contest.id), 303)


@bp.route("/contests/<int:contest_id>/edit", methods=["GET", "POST"])
@login_required
def edit_contest(contest_id: int):
    contest = contest_or_404(contest_id)
    consultation = services.consultation_of(contest)
    authorize(services.can_edit_contests(consultation, g.user))
    if request.method == "GET":
        return _editor(consultation, contest, services.contest_input(contest))
    try:
        data = forms.contest_input(request.form, _proposal_titles(consultation))
        services.update_contest(contest, g.user, data)
    except ServiceError as err:
        return _editor(consultation, contest, None, str(err), 400, raw=request.form)
    return redirect(url_for("voting.contest", contest_id=contest.id), 303)


# --- ballots ------------------------------------------------------------------------------------------


def _meter(contest: Contest, choices) -> dict | None:
    rules = contest.rules
    if contest.ballot_type == "budget":
        try:
            spent = budget_total([c for c in choices if c in rules.get("costs", {})], rules)
        except (TypeError, ValueError):
            spent = 0
        return {"spent": spent, "cap": rules.get("budget"), "unit": ""}
    if contest.ballot_type == "quadratic":
        return {"spent": quadratic_cost(choices or {}), "cap": rules.get("credits"), "unit": " credits"}
    return None


def _ballot_context(contest, choices=None, error=None, facts=None, **extra):
    consultation = services.consultation_of(contest)
    state = forms.form_state(contest, choices)
    phase = consultation.current_phase().value
    may_vote, voted = services.standing(contest, g.user, facts)
    return {
        "contest": contest,
        "consultation": consultation,
        "state": state,
        "meter": _meter(contest, choices),
        "error": error,
        "may_vote": may_vote,
        "voted": voted,
        "phase": phase,
        # Shown once voting is over; counting during voting would cost every ballot page a scan.
        "ballots_cast": services.ballot_count(contest) if phase in ("closed", "certified") else None,
        "cast_key": _form_cast_key(),
        **extra,
    }


def _form_cast_key() -> str:
    """The cast key the form posted back (one ballot being filled in keeps one key), else a new one."""
    try:
        return castkeys.parse_cast_key(request.form.get(castkeys.FIELD)) or castkeys.new_cast_key()
    except ServiceError:
        return castkeys.new_cast_key()


def _sent_cast_key() -> str | None:
    """The cast key of a cast request: the form field, else the ``Idempotency-Key`` header."""
    sent = request.form.get(castkeys.FIELD) or request.headers.get(castkeys.HEADER)
    return castkeys.parse_cast_key(sent)


@bp.get("/contests/<int:contest_id>")
def contest(contest_id: int):
    contest, facts = ballot_contest_or_404(contest_id, voted=True)
    return render_template("voting/contest.html", **_ballot_context(contest, facts=facts))


@bp.post("/contests/<int:contest_id>/preview")
def preview(contest_id: int):
    """Live check of a ballot being filled in (budget total, credit meter, +/- buttons); nothing is kept."""
    contest, facts = ballot_contest_or_404(contest_id, voted=True)
    error = None
    choices = None
    try:
        choices = forms.ballot_choices(contest, request.form)
        services.validate(contest, choices)
    except ServiceError as err:
        error = str(err)
    return page_or_fragment(
        "voting/contest.html",
        "voting/_ballot_form.html",
        **_ballot_context(contest, choices, error, facts, checked=True),
    )


@bp.post("/contests/<int:contest_id>/cast")
@login_required
@cast_limit
def cast(contest_id: int):
    # The facts about the voter say whether they may vote, not whether they voted: the cast finds that
    # out by writing, and a refused cast's page asks again (the answer may have changed meanwhile).
    contest, facts = ballot_contest_or_404(contest_id)
    choices = None
    try:
        choices = forms.ballot_choices(contest, request.form)
        receipt = services.cast(contest, g.user, choices, _sent_cast_key(), facts)
    except ServiceError as err:
        return render_template("voting/contest.html", **_ballot_context(contest, choices, str(err))), 422
    return _receipt_page(contest, receipt, changed=False)


@bp.post("/contests/<int:contest_id>/change")
@login_required
@cast_limit
def change(contest_id: int):
    contest, facts = ballot_contest_or_404(contest_id)
    choices = None
    try:
        choices = forms.ballot_choices(contest, request.form)
        receipt = services.change(contest, g.user, request.form.get("secret", ""), choices, facts)
    except ServiceError as err:
        return render_template("voting/contest.html", **_ballot_context(contest, choices, str(err))), 422
    return _receipt_page(contest, receipt, changed=True)


def _receipt_page(contest: Contest, receipt: services.CastReceipt, changed: bool):
    words = forms.in_words(contest, receipt.content)
    response = current_app.make_response(
        render_template(
            "voting/receipt.html",
            contest=contest,
            r=receipt,
            changed=changed,
            words=words,
            receipt_href=receipt_data_url(contest, receipt, words),
            consultation=services.consultation_of(contest),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


RECEIPT_TEXT = """\
Ballot receipt
==============
Contest:        {title}
Contest id:     {contest}
Receipt:        {receipt}
Secret (r):     {secret}
Your choices:   {words}
As counted:     {content}

Keep this file private: with the secret anyone can prove what you voted and{change}
After the close, look for the receipt on the public bulletin:
  {bulletin}
and recompute it from the secret and your choices on the receipt check page:
  {check}
receipt = SHA-256(field("tally/receipt/v1") | field(contest id) | field(choices) | field(r)),
field(x) = 4-byte big-endian length of x, then x.
"""


def _receipt_fields(contest: Contest, receipt: services.CastReceipt, words: str) -> dict[str, str]:
    return {
        "title": contest.title,
        "contest": contest.public_id,
        "receipt": receipt.receipt,
        "secret": receipt.secret,
        "words": words,
        "content": receipt.content_json,
        "change": " change your ballot before the close." if contest.allow_change else " nothing more.",
        "bulletin": url_for("results.bulletin", contest_id=contest.id, _external=True),
        "check": url_for("results.receipt_check", contest_id=contest.id, _external=True),
    }


def receipt_text(contest: Contest, receipt: services.CastReceipt, words: str) -> str:
    """The receipt file's text: what the voter keeps, made from the cast's answer (nothing is stored)."""
    return RECEIPT_TEXT.format(**_receipt_fields(contest, receipt, words))


# quote(text, safe="") keeps these bytes and writes every other byte of the UTF-8 text as %XX.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_BYTE_ENCODED = [chr(b) if chr(b) in _UNRESERVED else f"%{b:02X}" for b in range(256)]
_ASCII_ENCODED = _BYTE_ENCODED[:128]


def percent_encode(text: str) -> str:
    """``urllib.parse.quote(text, safe="")``, byte for byte, in less time: ASCII text is translated
    through a table of the 128 characters' encodings, any other text encoded to UTF-8 (strictly, as
    ``quote`` does) and each byte looked up in a table of 256."""
    if text.isascii():
        return text.translate(_ASCII_ENCODED)
    return "".join([_BYTE_ENCODED[b] for b in text.encode()])


def _percent_encoded(template: str) -> str:
    """``template`` with its fixed text percent-encoded and its ``{name}`` fields kept. The encoding
    takes each UTF-8 byte on its own, so this template filled with percent-encoded values is
    ``percent_encode(template.format(**values))``, byte for byte."""
    parts = []
    for text, name, spec, conversion in Formatter().parse(template):
        if spec or conversion:
            raise ValueError(f"field {name!r}: a format spec or conversion would apply to the encoded value")
        parts.append(percent_encode(text))
        if name is not None:
            parts.append(f"{{{name}}}")
    return "".join(parts)


RECEIPT_TEXT_ENCODED = _percent_encoded(RECEIPT_TEXT)


def receipt_data_url(contest: Contest, receipt: services.CastReceipt, words: str) -> str:
    """The receipt file as a ``data:`` URL for the receipt page's download link: the browser saves it
    without a request, so the secret and the choices never travel back to the server beside the voter's
    session cookie. Every byte outside the unreserved set is percent-encoded (UTF-8), so a contest title
    cannot end the URL or the attribute: ``quote(receipt_text(...), safe="")``, with the file's fixed text
    encoded once (:data:`RECEIPT_TEXT_ENCODED`) and only the fields encoded per receipt."""
    fields = _receipt_fields(contest, receipt, words)
    return "data:text/plain;charset=utf-8," + RECEIPT_TEXT_ENCODED.format(
        **{name: percent_encode(value) for name, value in fields.items()}
    )


@bp.get("/api/consultations/<int:cid>/contests")
def contests_json(cid: int):
    """Open data: the contests of a consultation, their declared rules and options (never ballots)."""
    consultation = visible_or_404(cid)
    phase = consultation.current_phase().value
    return jsonify(
        {
            "consultation": consultation.id,
            "phase": phase,
            "contests": [
                {
                    "id": c.id,
                    "contest": c.public_id,
                    "title": c.title,
                    "ballot_type": c.ballot_type,
                    "method": c.method,
                    "seats": c.seats,
                    "seed": c.seed,
                    "method_options": c.options,
                    "ballot_rules": c.rules,
                    "options": [
                        {"key": x.key, "label": x.label, "cost": x.cost, "proposal": x.proposal_id}
                        for x in c.choices
                    ],
                    "ballots_cast": services.ballot_count(c) if phase in ("closed", "certified") else None,
                    "results": url_for("results.results_json", contest_id=c.id)
                    if phase == "certified"
                    else None,
                }
                for c in services.contests_of(consultation)
            ],
        }
    )
