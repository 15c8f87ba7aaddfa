"""The PrefLib reader: strict and tied orders, header checks, errors naming file and line."""

from __future__ import annotations

import pytest

import tally
from tally.ballots import OVERVOTE
from tally.errors import TallyError
from tally.formats import load
from tally.preflib import parse_preflib

HEAD = (
    "# DATA TYPE: {kind}\n# NUMBER ALTERNATIVES: 3\n"
    "# NUMBER VOTERS: {voters}\n# NUMBER UNIQUE ORDERS: {orders}\n"
)
NAMES = "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n# ALTERNATIVE NAME 3: C\n"


def text(kind: str, body: str, voters: int, orders: int) -> str:
    return HEAD.format(kind=kind, voters=voters, orders=orders) + NAMES + body


def test_soi_reads_counts_and_incomplete_rankings():
    got = parse_preflib(text("soi", "5: 1,3\n2: 2\n", 7, 2), "soi")
    b = got.ballots
    assert list(b.candidates) == ["A", "B", "C"]
    assert b.weights.tolist() == [5, 2]
    assert b.ranks.tolist() == [[0, 2], [1, -1]]
    assert got.seats is None


def test_toi_tie_group_is_an_equal_ranking_side_table():
    b = parse_preflib(text("toi", "3: {1,2},3\n1: 3,{1,2}\n", 4, 2), "toi").ballots
    assert b.ranks[0, 0] == OVERVOTE and b.equal[(0, 0)] == (0, 1)
    assert b.equal[(1, 1)] == (0, 1)
    assert b.ranking(0) == [(0, 1), 2]


def test_toc_and_soc_require_complete_orders():
    assert parse_preflib(text("toc", "1: {1,2,3}\n", 1, 1), "toc").ballots.ranks.shape == (1, 1)
    with pytest.raises(TallyError, match="ranks 2 of 3"):
        parse_preflib(text("soc", "1: 1,2\n", 1, 1), "soc", file="x.soc")


@pytest.mark.parametrize(
    ("kind", "body", "voters", "orders", "message"),
    [
        ("soi", "1: {1,2}\n", 1, 1, "tie {1,2} in a strict-order"),
        ("soi", "1: 1,4\n", 1, 1, "not an alternative in 1..3"),
        ("soi", "1: 1,1\n", 1, 1, "appears twice"),
        ("soi", "0: 1\n", 0, 1, "not positive"),
        ("soi", "1 1,2\n", 1, 1, "count: ranking"),
        ("toi", "1: {1,2\n", 1, 1, "unbalanced brace"),
    ],
    ids=["tie-in-strict", "out-of-range", "repeat", "zero-count", "no-colon", "brace"],
)
def test_malformed_lines_name_file_and_line(kind, body, voters, orders, message):
    with pytest.raises(TallyError) as err:
        parse_preflib(text(kind, body, voters, orders), kind, file="x.pl")
    assert message in str(err.value)
    assert str(err.value).startswith("x.pl: line 8: ")


@pytest.mark.parametrize(
    ("kind", "voters", "orders", "message"),
    [("soi", 9, 1, "NUMBER VOTERS 9"), ("soi", 1, 5, "NUMBER UNIQUE ORDERS 5"), ("toc", 1, 1, "DATA TYPE")],
)
def test_header_disagreements_are_errors(kind, voters, orders, message):
    body = text("soi", "1: 1,2,3\n", voters, orders)
    with pytest.raises(TallyError, match=message):
        parse_preflib(body, kind)


def test_missing_alternative_name_is_an_error():
    with pytest.raises(TallyError, match="no ALTERNATIVE NAME for 3"):
        parse_preflib(
            HEAD.format(kind="soi", voters=1, orders=1) + "# ALTERNATIVE NAME 1: A\n"
            "# ALTERNATIVE NAME 2: B\n1: 1\n",
            "soi",
        )


def test_tied_ballots_split_under_meek_and_exhaust_under_irv(tmp_path):
    p = tmp_path / "t.toi"
    p.write_text(text("toi", "4: 1\n3: {2,3}\n2: 3\n", 9, 3), encoding="utf-8")
    b = load(p).ballots
    meek = tally.count(b, method="meek", seats=1)
    first = next(a for a in meek.rounds if a["action"] == "begin")
    assert first["votes"] == {
        "A": "4.000000000000000000",
        "B": "1.500000000000000000",
        "C": "3.500000000000000000",
    }
    irv = tally.count(b, method="irv")
    assert irv.rounds[0]["inactive"]["overvotes"] == 3
