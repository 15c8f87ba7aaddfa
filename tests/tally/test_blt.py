"""The BLT reader: standard layout, droop's extensions, and deliberate errors naming file and line."""

from __future__ import annotations

import pytest

import tally
from tally.ballots import OVERVOTE
from tally.blt import parse_blt, read_blt
from tally.errors import TallyError
from tally.formats import load


def test_standard_blt_reads_weights_rankings_names_and_title():
    got = parse_blt('3 2\n4 1 2 0\n2 3 0\n0\n"Castor"\n"Pollux"\n"Helen"\n"Title here"\n')
    b = got.ballots
    assert got.seats == 2 and got.title == "Title here"
    assert list(b.candidates) == ["Castor", "Pollux", "Helen"]
    assert b.weights.tolist() == [4, 2]
    assert b.ranks.tolist() == [[0, 1], [2, -1]]


def test_withdrawals_options_nicknames_and_equal_rankings():
    text = (
        '3 2\n-2\n[nick a b c]\n[tie c a b]\n[droop precision=5]\n5 a b 0\n1 b=c 0\n3 c 0\n0\n"A" "B" "C" "t"'
    )
    b = parse_blt(text).ballots
    assert b.withdrawn == (1,)
    assert b.tie_order == (2, 0, 1)
    assert b.options == {"precision": "5"}
    assert b.ranks[1, 0] == OVERVOTE and b.equal == {(1, 0): (1, 2)}
    assert b.ranking(1) == [(1, 2)]


def test_withdrawn_option_equals_minus_sign():
    a = parse_blt('3 1\n-1 -3\n1 1 2 0\n0\n"A" "B" "C" "t"').ballots
    b = parse_blt('3 1\n[withdrawn 1 3]\n1 1 2 0\n0\n"A" "B" "C" "t"').ballots
    assert a.withdrawn == b.withdrawn == (0, 2)


def test_free_text_after_title_is_kept_but_not_counted():
    got = parse_blt('2 1\n1 1 0\n0\n"A" "B" "t" \n\nA: 1 vote\n')
    assert got.meta["trailer"] == "A: 1 vote"
    assert got.ballots.n_ballots == 1


def test_comments_and_byte_order_mark(tmp_path):
    p = tmp_path / "bom.blt"
    p.write_bytes(b'\xef\xbb\xbf2 1 # header\n/* a\ncomment */ 2 2 1 0\n0\n"A" "B" "t"\n')
    got = read_blt(p)
    assert got.ballots.ranks.tolist() == [[1, 0]]
    assert list(got.ballots.candidates) == ["A", "B"]


def test_name_whitespace_runs_collapse_like_droop():
    got = parse_blt('2 1\n1 1 0\n0\n"Ellen   Hurcombe" "Kieran  Wild " "t"')
    assert list(got.ballots.candidates) == ["Ellen Hurcombe", "Kieran Wild "]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('2 1\n1 3 0\n0\n"A" "B" "t"', "candidate 3 is not in 1..2", 2),
        ('2 1\n1 1 1 0\n0\n"A" "B" "t"', "ranked twice", 2),
        ('2 1\n[order 1 2]\n1 1 0\n0\n"A" "B" "t"', "unknown option", 2),
        ('2 1\n1 1 - 2 0\n0\n"A" "B" "t"', "skipped rankings", 2),
        ('2 1\n1 1 0\n0\n"A"\n', "file ends", 4),
        ('2 1\n1 1 0\n0\n"A" B "t"', "quoted name of candidate 2", 4),
        ('2 1\n1 1 0\n-1 1 0\n0\n"A" "B" "t"', "weight -1 is negative", 3),
        ('2 1\n[nick a]\n1 a 0\n0\n"A" "B" "t"', "[nick] gives 1 nicknames", 2),
        ("2 1\n1 1\n", "file ends", 2),
    ],
    ids=[
        "out-of-range",
        "repeat",
        "unknown-option",
        "skipped-rank",
        "missing-name",
        "unquoted",
        "neg",
        "nick",
        "eof",
    ],
)
def test_malformed_blt_names_file_and_line(text, message, line):
    with pytest.raises(TallyError) as err:
        parse_blt(text, file="x.blt")
    assert message in str(err.value)
    assert str(err.value).startswith(f"x.blt: line {line}: ")


def test_loader_registry_reads_blt_with_seats_from_header(tmp_path):
    p = tmp_path / "e.blt"
    p.write_text('3 2\n4 1 2 0\n2 3 0\n0\n"Castor" "Pollux" "Helen" "t"\n', encoding="utf-8")
    got = load(p)
    assert got.seats == 2
    result = tally.count(got.ballots, method="scotland", seats=got.seats)
    assert result.elected == ["Castor", "Helen"]


def test_rules_without_equal_rankings_refuse_them():
    got = parse_blt('3 1\n1 1=2 0\n0\n"A" "B" "C" "t"')
    with pytest.raises(TallyError, match="equal rankings"):
        tally.count(got.ballots, method="scotland", seats=1)
