"""The receipt check page: a citizen picks their choices in the ballot's own form (ranks, ticks, projects,
quadratic votes) and enters the secret; the page recomputes the receipt and says whether it is on the
bulletin. Auditors may paste the canonical JSON instead. Nothing is stored."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consult.consultations.models import Phase
from consult.extensions import db
from consult.voting import services as voting
from consult.voting.models import Ballot

from .voting_helpers import contest, receipt_file, to_phase

# kind: (the ballot as cast, the same choices as the ballot form posts them, a different form)
CASES = {
    "ranked": (
        ["o2", "o1"],
        {"rank-1": "o2", "rank-2": "o1", "rank-3": ""},
        {"rank-1": "o1", "rank-2": "o2"},
    ),
    "approval": (["o3", "o1"], {"choice": ["o1", "o3"]}, {"choice": ["o1"]}),
    "budget": (["o1", "o2"], {"choice": ["o2", "o1"]}, {"choice": ["o1"]}),
    "quadratic": (
        {"o1": 2, "o2": -1},
        {"votes-o1": "2", "votes-o2": "-1", "votes-o3": "0"},
        {"votes-o1": "-1", "votes-o2": "2", "votes-o3": "0"},
    ),
}
WORDS = {
    "ranked": "1. Beta, 2. Alpha",
    "approval": "Alpha, Gamma",
    "budget": "Alpha, Beta",
    "quadratic": "Alpha +2, Beta -1",
}


def _closed_contest(make, kind):
    c, consultation, organiser = contest(make, kind)
    to_phase(consultation, organiser, Phase.VOTING)
    mine = voting.cast(c, make.user(), CASES[kind][0])
    voting.cast(c, make.user(), CASES[kind][0])  # someone else with the same choices: another receipt
    to_phase(consultation, organiser, Phase.CLOSED)
    return c, mine


def _verdict(page) -> str:
    html = page.get_data(as_text=True)
    found = re.search(r'id="bulletin-verdict"[^>]*>([^<]*)<', html)
    error = re.search(r'class="error" role="alert">([^<]*)<', html)
    return found.group(1) if found else (error.group(1) if error else "")


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_citizen_recomputes_the_receipt_from_the_ballot_form_and_finds_it_on_the_bulletin(
    make, client, kind
):
    c, mine = _closed_contest(make, kind)
    ballots_before = db.session.scalar(select(func.count()).select_from(Ballot))
    url = f"/contests/{c.id}/receipt-check"
    form = client.get(url).get_data(as_text=True)
    assert 'name="secret"' in form and 'name="content"' in form
    assert {"ranked": 'name="rank-1"', "approval": 'name="choice"', "budget": "cost 60"}.get(
        kind, 'name="votes-o1"'
    ) in form

    page = client.post(url, data={"secret": mine.secret, **CASES[kind][1]})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="recomputed">{mine.receipt}<' in html
    assert "is on the published bulletin" in _verdict(page)
    assert WORDS[kind] in html, "the page repeats the choices it checked, in words"

    other = client.post(url, data={"secret": mine.secret, **CASES[kind][2]})
    assert mine.receipt not in other.get_data(as_text=True)
    assert "not on the published bulletin" in _verdict(other)
    wrong_secret = client.post(url, data={"secret": "0" * 32, **CASES[kind][1]})
    assert "not on the published bulletin" in _verdict(wrong_secret)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == ballots_before, "nothing stored"


def test_the_form_keeps_the_choices_and_compares_with_a_receipt(make, client):
    c, mine = _closed_contest(make, "ranked")
    url = f"/contests/{c.id}/receipt-check"
    page = client.post(
        url, data={"secret": mine.secret, "receipt": mine.receipt.upper(), **CASES["ranked"][1]}
    )
    html = page.get_data(as_text=True)
    assert "It matches the receipt you entered." in html
    assert re.search(r'<select id="rank-1".*?<option value="o2" selected>', html, re.S), "choices kept"
    typo = client.post(url, data={"secret": mine.secret, "receipt": "abc", **CASES["ranked"][1]})
    assert "It does NOT match" in typo.get_data(as_text=True)


def test_auditors_may_paste_the_canonical_json_instead(make, client):
    c, mine = _closed_contest(make, "quadratic")
    url = f"/contests/{c.id}/receipt-check"
    page = client.post(url, data={"secret": mine.secret, "content": mine.content_json})
    assert mine.receipt in page.get_data(as_text=True) and "is on the published bulletin" in _verdict(page)
    bad = client.post(url, data={"secret": mine.secret, "content": "{not json"})
    assert "must be JSON copied from the receipt file" in _verdict(bad)


@pytest.mark.parametrize(
    ("kind", "form", "message"),
    [
        ("budget", {"choice": ["o1", "o3"]}, "more than the budget"),
        ("approval", {}, "at least 1"),
        ("quadratic", {"votes-o1": "4"}, "credits"),
        ("quadratic", {"votes-o1": "many"}, "must be a whole number"),
        ("ranked", {"rank-1": "o1"}, "secret is not valid"),
    ],
    ids=["over-budget", "too-few-approvals", "over-credits", "not-a-number", "bad-secret"],
)
def test_choices_that_are_no_ballot_or_a_bad_secret_are_explained(make, client, kind, form, message):
    c, mine = _closed_contest(make, kind)
    secret = "not hex" if message == "secret is not valid" else mine.secret
    page = client.post(f"/contests/{c.id}/receipt-check", data={"secret": secret, **form})
    assert page.status_code == 200
    assert message in _verdict(page), _verdict(page)


def test_quadratic_plus_and_minus_only_adjust_the_form(make, client):
    c, mine = _closed_contest(make, "quadratic")
    page = client.post(
        f"/contests/{c.id}/receipt-check",
        data={"secret": mine.secret, "votes-o1": "1", "votes-o2": "-1", "adjust": "o1:+1"},
    )
    html = page.get_data(as_text=True)
    assert 'id="votes-o1" name="votes-o1" type="number" value="2"' in html
    assert "check-outcome" not in html, "no verdict while the voter is still adjusting"


def test_before_the_close_the_receipt_is_recomputed_but_no_bulletin_exists(make, client):
    c, consultation, organiser = contest(make, "approval")
    to_phase(consultation, organiser, Phase.VOTING)
    mine = voting.cast(c, make.user(), ["o2"])
    page = client.post(f"/contests/{c.id}/receipt-check", data={"secret": mine.secret, "choice": "o2"})
    assert mine.receipt in page.get_data(as_text=True)
    assert "published after the close" in _verdict(page)


def test_the_receipt_and_its_file_name_the_choices_in_words(make, client, login):
    c, consultation, organiser = contest(make, "ranked")
    to_phase(consultation, organiser, Phase.VOTING)
    login(client, make.user())
    page = client.post(f"/contests/{c.id}/cast", data={"rank-1": "o2", "rank-2": "o1"})
    html = page.get_data(as_text=True)
    assert 'id="words">1. Beta, 2. Alpha<' in html
    _, text = receipt_file(html)
    assert "Your choices:   1. Beta, 2. Alpha" in text and 'As counted:     ["o2","o1"]' in text
    later = client.get(f"/contests/{c.id}").get_data(as_text=True)
    assert f'href="/contests/{c.id}/receipt-check"' in later, "the voter is pointed to the check"
