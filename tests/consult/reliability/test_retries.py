"""Retries: a client that resends a cast (same cast key) gets its original receipt back, never a second
ballot; a different key, or the same key with other choices, is refused as "already voted". Service calls
and HTTP, sequential and concurrent, on SQLite and PostgreSQL. Also: a database failure is a 503 with
Retry-After and a plain message, never a 500."""

from __future__ import annotations

import logging
import re
import threading

import pytest
from sqlalchemy.exc import OperationalError

from consult import UNAVAILABLE
from consult.consultations.models import Phase
from consult.errors import ServiceError
from consult.extensions import db
from consult.voting import castkeys
from consult.voting import services as voting
from consult.voting.models import Contest

from ..voting_helpers import contest, to_phase
from .test_double_submission import THREADS, _counts, _race

FORM = {"rank-1": "o2", "rank-2": "o1"}


def _shown(html: str) -> tuple[str, str, str]:
    """(receipt, secret, content) as the receipt page shows them."""
    found = [
        re.search(rf'<code id="{name}">([^<]*)</code>', html) for name in ("receipt", "secret", "content")
    ]
    assert all(found), html[:2000]
    return tuple(m.group(1) for m in found)


def _voting_contest(make):
    c, consultation, organiser = contest(make)
    to_phase(consultation, organiser, Phase.VOTING)
    return c


def test_a_resent_cast_returns_the_original_receipt_and_casts_once(ctx, make):
    c = _voting_contest(make)
    voter = make.user()
    key = castkeys.new_cast_key()
    first = voting.cast(c, voter, ["o2", "o1"], key)
    again = voting.cast(c, voter, ["o2", "o1"], key)
    assert again == first
    assert _counts(c.id) == (1, 1)
    assert voting.sorted_receipts(c) == [first.receipt]


def test_a_different_key_or_other_choices_after_a_cast_is_already_voted(ctx, make):
    c = _voting_contest(make)
    voter = make.user()
    key = castkeys.new_cast_key()
    voting.cast(c, voter, ["o2", "o1"], key)
    for other_key, choices in ((castkeys.new_cast_key(), ["o2", "o1"]), (key, ["o1"]), (None, ["o2", "o1"])):
        with pytest.raises(ServiceError, match="already voted"):
            voting.cast(c, voter, choices, other_key)
    assert _counts(c.id) == (1, 1)


def test_a_key_copied_from_another_voter_never_returns_their_receipt(ctx, make):
    c = _voting_contest(make)
    alice, bob = make.user(), make.user()
    key = castkeys.new_cast_key()
    hers = voting.cast(c, alice, ["o2", "o1"], key)
    his = voting.cast(c, bob, ["o2", "o1"], key)
    assert his.receipt != hers.receipt and his.secret != hers.secret
    assert _counts(c.id) == (2, 2)


def test_concurrent_resends_with_one_key_all_get_the_one_receipt(app, make):
    c = _voting_contest(make)
    voter = make.user()
    contest_id, voter_id = c.id, voter.id
    key = castkeys.new_cast_key()
    db.session.remove()

    def cast():
        with app.app_context():
            from consult.auth.models import User

            return voting.cast(
                db.session.get(Contest, contest_id), db.session.get(User, voter_id), ["o2", "o1"], key
            )

    outcomes = _race(cast)
    assert all(isinstance(o, voting.CastReceipt) for o in outcomes) and len(outcomes) == THREADS, outcomes
    assert len({(o.receipt, o.secret, o.content_json) for o in outcomes}) == 1
    assert _counts(contest_id) == (1, 1)


def test_the_ballot_form_carries_a_cast_key_and_a_resent_form_shows_the_same_receipt(make, client, login):
    c = _voting_contest(make)
    voter = make.user()
    login(client, voter)
    page = client.get(f"/contests/{c.id}").get_data(as_text=True)
    key = re.search(r'name="cast_key" value="([A-Za-z0-9_-]{22})"', page).group(1)
    assert key not in client.get(f"/contests/{c.id}").get_data(as_text=True)  # a fresh page, a fresh key
    first = client.post(f"/contests/{c.id}/cast", data={**FORM, "cast_key": key})
    again = client.post(f"/contests/{c.id}/cast", data={**FORM, "cast_key": key})
    assert first.status_code == again.status_code == 200
    assert _shown(first.get_data(as_text=True)) == _shown(again.get_data(as_text=True))
    assert again.headers["Cache-Control"] == "no-store"
    other = client.post(f"/contests/{c.id}/cast", data={**FORM, "cast_key": castkeys.new_cast_key()})
    assert other.status_code == 422 and "already voted" in other.get_data(as_text=True)
    assert _counts(c.id) == (1, 1)


def test_a_checked_ballot_keeps_its_cast_key(make, client, login):
    c = _voting_contest(make)
    login(client, make.user())
    key = castkeys.new_cast_key()
    html = client.post(f"/contests/{c.id}/preview", data={**FORM, "cast_key": key}).get_data(as_text=True)
    assert f'name="cast_key" value="{key}"' in html


def test_an_idempotency_key_header_replays_like_the_form_field(make, client, login):
    c = _voting_contest(make)
    login(client, make.user())
    headers = {"Idempotency-Key": "0f4c2b1e-7d7a-4b8e-9a51-3c2d1e0f9a88"}
    first = client.post(f"/contests/{c.id}/cast", data=FORM, headers=headers)
    again = client.post(f"/contests/{c.id}/cast", data=FORM, headers=headers)
    assert first.status_code == again.status_code == 200
    assert _shown(first.get_data(as_text=True)) == _shown(again.get_data(as_text=True))
    assert _counts(c.id) == (1, 1)


def test_concurrent_resent_forms_all_show_the_original_receipt(app, make, login):
    c = _voting_contest(make)
    voter = make.user()
    contest_id = c.id
    clients = [app.test_client() for _ in range(THREADS)]
    for one in clients:
        login(one, voter)
    db.session.remove()
    key = castkeys.new_cast_key()
    pending = iter(clients)
    lock = threading.Lock()

    def post():
        with lock:
            one = next(pending)
        response = one.post(f"/contests/{contest_id}/cast", data={**FORM, "cast_key": key})
        return response.status_code, _shown(
            response.get_data(as_text=True)
        ) if response.status_code == 200 else None

    outcomes = _race(post)
    assert {code for code, _ in outcomes} == {200}, outcomes
    assert len({shown for _, shown in outcomes}) == 1
    assert _counts(contest_id) == (1, 1)


def test_a_malformed_cast_key_is_a_clear_refusal(make, client, login):
    c = _voting_contest(make)
    login(client, make.user())
    response = client.post(f"/contests/{c.id}/cast", data={**FORM, "cast_key": "short<>"})
    assert response.status_code == 422
    assert "cast key is malformed" in response.get_data(as_text=True)
    assert _counts(c.id) == (0, 0)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_lost_database_is_a_503_with_retry_after_not_a_500(make, client, login, monkeypatch, htmx):
    c = _voting_contest(make)
    login(client, make.user())

    def lost(*_args, **_kwargs):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(voting, "cast", lost)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/contests/{c.id}/cast", data=FORM, headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert UNAVAILABLE in body.replace("&#39;", "'")
    assert "Traceback" not in body and "server closed" not in body
    assert "Content-Security-Policy" in response.headers


def test_a_page_whose_user_cannot_be_loaded_is_a_503(make, client, login, monkeypatch):
    c = _voting_contest(make)
    login(client, make.user())

    def lost(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", lost)  # the signed-in user is the request's first statement
    response = client.get(f"/contests/{c.id}")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"


def test_the_cast_key_and_secret_are_never_stored_or_logged(make, client, login, caplog, ctx):
    c = _voting_contest(make)
    login(client, make.user())
    key = castkeys.new_cast_key()
    caplog.set_level(logging.DEBUG)
    response = client.post(f"/contests/{c.id}/cast", data={**FORM, "cast_key": key})
    client.post(f"/contests/{c.id}/cast", data={**FORM, "cast_key": key})
    receipt, secret, _ = _shown(response.get_data(as_text=True))
    stored = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            stored.extend(str(value) for row in conn.execute(table.select()) for value in row)
    assert receipt in stored  # the ballot table was read
    assert not [v for v in stored if key in v or secret in v]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert key not in logged and secret not in logged
