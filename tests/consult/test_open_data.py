"""Open data: JSON endpoints and CSV exports that spreadsheets cannot run as formulas."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from fractions import Fraction

import pytest

from consult.csvexport import safe_cell, to_csv
from consult.deliberation import services as delib


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("\n=x", "'\n=x"),
        ("\0=x", "'\0=x"),
        ("  =HYPERLINK(x)", "'  =HYPERLINK(x)"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-3, "-3"),
        (Decimal("-1.50"), "-1.50"),
        (Fraction(-1, 3), "-1/3"),
        (None, ""),
        (True, "true"),
    ],
    ids=lambda v: repr(v),
)
def test_safe_cell_neutralises_formulas_but_keeps_numbers(value, expected):
    assert safe_cell(value) == expected


def test_to_csv_round_trips_through_a_reader():
    text = to_csv(["name", "note"], [["=evil()", 'quote " and, comma'], [1, None]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "note"],
        ["'=evil()", 'quote " and, comma'],
        ["1", ""],
    ]


def test_consultation_json_lists_public_consultations_only(client, make):
    organiser = make.user("organiser")
    public = make.consultation(organiser, title="Public one", description_md="**hi**")
    draft = make.consultation(organiser, title="Draft one", phase="draft")
    data = client.get("/api/consultations").get_json()
    assert [c["title"] for c in data["consultations"]] == ["Public one"]
    one = client.get(f"/api/consultations/{public.id}").get_json()
    assert one["phase"] == "deliberation" and one["description_html"] == "<p><strong>hi</strong></p>\n"
    assert one["proposals_url"].endswith(f"/api/consultations/{public.id}/proposals")
    assert client.get(f"/api/consultations/{draft.id}").status_code == 404
    assert client.get("/api/consultations?phase=voting").get_json() == {"consultations": []}


def test_proposals_json_and_csv(client, make):
    c = make.consultation()
    author = make.user(name='=HYPERLINK("http://evil")')
    p = delib.submit_proposal(c, author, "+Benches", "=cmd|' /C calc'!A0")
    delib.set_support(p, make.user(), True)
    hidden = make.proposal(c, title="hidden one")
    delib.moderate(hidden, make.user("moderator"), "hide", "spam")
    data = client.get(f"/api/consultations/{c.id}/proposals").get_json()
    assert [(x["title"], x["supports"]) for x in data["proposals"]] == [("+Benches", 1)]
    response = client.get(f"/consultations/{c.id}/proposals.csv")
    assert response.mimetype == "text/csv"
    assert f'filename="consultation-{c.id}-proposals.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["id", "title", "author", "supports", "answer_status", "created_at", "body"]
    assert rows[1][1:4] == ["'+Benches", '\'=HYPERLINK("http://evil")', "1"]
    assert rows[1][6] == "'=cmd|' /C calc'!A0"
    assert len(rows) == 2, "hidden proposals are not exported"


def test_consultations_csv(client, make):
    make.consultation(title="@risky title")
    rows = list(csv.reader(io.StringIO(client.get("/consultations.csv").get_data(as_text=True))))
    assert rows[1][1] == "'@risky title"
