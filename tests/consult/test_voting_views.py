"""Ballot pages over HTTP: forms, live checks (htmx fragment or page), casting, receipts, IDOR, rate limit."""

from __future__ import annotations

import re
import threading

import pytest

from consult.consultations.models import Phase
from consult.extensions import db
from consult.voting import services as voting
from tally.audit import compute_receipt

from .voting_helpers import contest, receipt_file, to_phase


def _voting(make, kind="ranked", **extra):
    c, consultation, organiser = contest(make, kind, **extra)
    to_phase(consultation, organiser, Phase.VOTING)
    return c, consultation, organiser


def test_a_ranked_ballot_is_a_select_per_rank_and_casting_shows_the_receipt_once(make, client, login):
    c, _, _ = _voting(make)
    voter = make.user()
    login(client, voter)
    page = client.get(f"/contests/{c.id}").data.decode()
    assert page.count("<select") == 3 and 'for="rank-1"' in page
    response = client.post(f"/contests/{c.id}/cast", data={"rank-1": "o2", "rank-2": "o1", "rank-3": ""})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.data.decode()
    receipt = re.search(r'<code id="receipt">([0-9a-f]{64})</code>', html).group(1)
    secret = re.search(r'<code id="secret">([0-9a-f]{32})</code>', html).group(1)
    assert voting.sorted_receipts(c) == [receipt]
    again = client.get(f"/contests/{c.id}").data.decode()
    assert "You have voted" in again and secret not in again and receipt not in again
    name, text = receipt_file(html)
    assert name == f"receipt-{c.id}.txt"
    assert text == RECEIPT_FILE.format(
        title="A ranked question",
        public_id=c.public_id,
        receipt=receipt,
        secret=secret,
        words="1. Beta, 2. Alpha",
        content='["o2","o1"]',
        change=" change your ballot before the close.",
        id=c.id,
    )
    assert compute_receipt(c.public_id, ["o2", "o1"], secret) == receipt


# The receipt file, written out here rather than taken from the view, so that a change to it shows.
RECEIPT_FILE = """\
Ballot receipt
==============
Contest:        {title}
Contest id:     {public_id}
Receipt:        {receipt}
Secret (r):     {secret}
Your choices:   {words}
As counted:     {content}

Keep this file private: with the secret anyone can prove what you voted and{change}
After the close, look for the receipt on the public bulletin:
  http://localhost/contests/{id}/bulletin
and recompute it from the secret and your choices on the receipt check page:
  http://localhost/contests/{id}/receipt-check
receipt = SHA-256(field("tally/receipt/v1") | field(contest id) | field(choices) | field(r)),
field(x) = 4-byte big-endian length of x, then x.
"""

HOSTILE_TITLE = '"><img src=x onerror=alert(1)> </a>&amp; 100% #top?x=1&y=%0A\r\nLine 2 é ☃'


def test_the_receipt_file_is_in_the_page_and_a_hostile_title_survives_it_intact(make, client, login):
    """The download link is a ``data:text/plain`` URL: a hostile contest title is HTML-escaped on the page
    and percent-encoded in the link (no quote, angle bracket, space, ``#`` or raw ``%`` left in it), and
    comes back from the file byte for byte; the secret and choices are not posted anywhere."""
    c, _, _ = _voting(make, "approval", allow_change=False)
    c.title = HOSTILE_TITLE
    db.session.commit()
    login(client, make.user())
    html = client.post(f"/contests/{c.id}/cast", data={"choice": ["o3", "o1"]}).get_data(as_text=True)
    assert "<img" not in html and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    href = re.search(r'download="receipt-\d+\.txt" href="([^"]*)"', html).group(1)
    assert re.fullmatch(r"data:text/plain;charset=utf-8,(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})*", href), href
    assert "<form" not in html.split("<main", 1)[-1], "nothing on the receipt page posts the secret back"
    receipt = re.search(r'<code id="receipt">([0-9a-f]{64})</code>', html).group(1)
    secret = re.search(r'<code id="secret">([0-9a-f]{32})</code>', html).group(1)
    name, text = receipt_file(html)
    assert name == f"receipt-{c.id}.txt"
    assert text == RECEIPT_FILE.format(
        title=HOSTILE_TITLE,
        public_id=c.public_id,
        receipt=receipt,
        secret=secret,
        words="Alpha, Gamma",
        content='["o1","o3"]',
        change=" nothing more.",
        id=c.id,
    )
    assert compute_receipt(c.public_id, ["o1", "o3"], secret) == receipt


def test_a_second_submission_gets_a_clear_message(make, client, login):
    c, _, _ = _voting(make)
    login(client, make.user())
    client.post(f"/contests/{c.id}/cast", data={"rank-1": "o1"})
    second = client.post(f"/contests/{c.id}/cast", data={"rank-1": "o2"})
    assert second.status_code == 422 and b"already voted" in second.data
    assert voting.ballot_count(c) == 1


def test_a_refused_ballot_is_shown_back_with_the_reason(make, client, login):
    c, _, _ = _voting(make, "approval")
    login(client, make.user())
    response = client.post(f"/contests/{c.id}/cast", data={"choice": ["o1", "o2", "o3"]})
    assert response.status_code == 422
    assert b"Choose at most 2 options; you chose 3." in response.data
    assert response.data.count(b"checked") == 3


def test_the_budget_meter_is_an_htmx_fragment_or_the_full_page(make, client, login):
    c, _, _ = _voting(make, "budget")
    login(client, make.user())
    fragment = client.post(
        f"/contests/{c.id}/preview", data={"choice": ["o1", "o3"]}, headers={"HX-Request": "true"}
    )
    assert "HX-Request" in fragment.headers["Vary"]
    assert (
        b"<html" not in fragment.data
        and b"Total: 110 of 100" in fragment.data
        and b"over the limit" in fragment.data
    )
    page = client.post(f"/contests/{c.id}/preview", data={"choice": ["o2"]})
    assert b"<html" in page.data and b"Total: 30 of 100" in page.data and b"This ballot is valid" in page.data


def test_quadratic_plus_and_minus_buttons_update_the_credit_meter(make, client, login):
    c, _, _ = _voting(make, "quadratic")
    login(client, make.user())
    response = client.post(
        f"/contests/{c.id}/preview",
        data={"votes-o1": "2", "votes-o2": "0", "votes-o3": "0", "adjust": "o2:-1"},
        headers={"HX-Request": "true"},
    )
    html = response.data.decode()
    assert 'id="votes-o2" name="votes-o2" type="number" value="-1"' in html
    assert "Credits used: 5 of 10" in html
    bad = client.post(f"/contests/{c.id}/preview", data={"votes-o1": "x"}, headers={"HX-Request": "true"})
    assert b"must be a whole number" in bad.data


def test_a_ballot_is_changed_through_the_form_with_the_secret(make, client, login):
    c, _, _ = _voting(make)
    voter = make.user()
    first = voting.cast(c, voter, ["o1"])
    login(client, voter)
    page = client.get(f"/contests/{c.id}").data
    assert b"Change your ballot" in page and b'name="secret"' in page
    wrong = client.post(f"/contests/{c.id}/change", data={"secret": "ab" * 16, "rank-1": "o2"})
    assert wrong.status_code == 422 and b"No ballot" in wrong.data
    ok = client.post(f"/contests/{c.id}/change", data={"secret": first.secret, "rank-1": "o3"})
    assert ok.status_code == 200 and b"replaced" in ok.data
    assert voting.sorted_receipts(c) != [first.receipt]


def test_a_draft_consultations_contest_is_invisible_to_others(make, client, login):
    organiser = make.user("organiser")
    consultation = make.consultation(organiser=organiser, phase=Phase.DRAFT)
    c, _, _ = contest(make, organiser=organiser, consultation=consultation)
    login(client, make.user())
    for path in (f"/contests/{c.id}", f"/contests/{c.id}/bulletin", f"/contests/{c.id}/results"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/contests/{c.id}/cast", data={"rank-1": "o1"}).status_code == 404
    login(client, organiser)
    assert client.get(f"/contests/{c.id}").status_code == 200


def test_only_the_owning_organiser_edits_a_contest(make, client, login):
    c, consultation, organiser = contest(make)
    login(client, make.user("organiser"))
    assert client.get(f"/contests/{c.id}/edit").status_code == 403
    assert client.post(f"/contests/{c.id}/edit", data={"title": "Hijacked"}).status_code == 403
    assert client.get(f"/consultations/{consultation.id}/contests/new").status_code == 403
    login(client, organiser)
    assert client.get(f"/contests/{c.id}/edit").status_code == 200


def test_casting_needs_an_account(make, client):
    c, _, _ = _voting(make)
    response = client.post(f"/contests/{c.id}/cast", data={"rank-1": "o1"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_casting_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_CAST="2/minute")
    with app.app_context():
        from .factories import Factories

        make = Factories()
        c, _, _ = _voting(make)
        voter = make.user()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["uid"], sess["sv"] = voter.id, voter.session_version
        codes = [client.post(f"/contests/{c.id}/cast", data={"rank-1": "o1"}).status_code for _ in range(3)]
    assert codes == [200, 422, 429]


def test_concurrent_casts_by_one_voter_accept_exactly_one(app, make):
    """N threads with their own sessions cast for one voter at once: the unique constraint decides."""
    c, _, _ = _voting(make)
    voter = make.user()
    contest_id, voter_id = c.id, voter.id
    n = 6
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        from consult.auth.models import User
        from consult.errors import ServiceError
        from consult.extensions import db
        from consult.voting.models import Contest

        with app.app_context():
            contest_row = db.session.get(Contest, contest_id)
            user = db.session.get(User, voter_id)
            barrier.wait()
            try:
                voting.cast(contest_row, user, ["o1"])
                outcome = "ok"
            except ServiceError as err:
                outcome = str(err)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("ok") == 1
    assert all("already voted" in o for o in outcomes if o != "ok")
    assert voting.ballot_count(c) == 1


@pytest.mark.parametrize("kind", ["ranked", "approval", "budget", "quadratic"])
def test_every_ballot_form_is_labelled_and_has_no_inline_script(make, client, login, kind):
    c, _, _ = _voting(make, kind)
    login(client, make.user())
    html = client.get(f"/contests/{c.id}").data.decode()
    body = html.split("</head>")[1]
    assert "<script" not in body and "style=" not in body and " on" + "click" not in body
    for input_id in re.findall(r'<(?:input|select) id="([^"]+)"', body):
        assert f'for="{input_id}"' in body, input_id


def test_the_consultation_page_lists_each_contest_with_its_type_and_method(make, client):
    c, consultation, organiser = contest(make)
    second, _, _ = contest(make, "approval", organiser=organiser, consultation=consultation)
    to_phase(consultation, organiser, Phase.VOTING)
    rows = voting.contest_links(consultation)
    assert [(r.id, r.title, r.ballot_type, r.method) for r in rows] == [
        (x.id, x.title, x.ballot_type, x.method) for x in voting.contests_of(consultation)
    ]
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    for x in (c, second):
        assert f'<a href="/contests/{x.id}">{x.title}</a>' in page
        assert f"({x.ballot_type}, {x.method})" in page
