"""STV rule behaviour beyond the reference files: declared ties, options, arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest

import tally
from tally.blt import parse_blt
from tally.errors import TallyError
from tally.stvrules.arith import Arithmetic

TIE = '3 2\n{tie}4 1 2 0\n2 3 0\n0\n"Castor" "Pollux" "Helen" "t"\n'
ALL_RULES = [
    "scotland",
    "wigm",
    "wigm-prf",
    "wigm-prf-batch",
    "cfer",
    "cfer-batch",
    "meek",
    "meek-prf",
    "warren",
    "mpls",
    "qpq",
]


@pytest.mark.parametrize(
    "method", ["wigm", "wigm-prf", "wigm-prf-batch", "cfer", "meek", "warren", "meek-prf", "mpls"]
)
def test_tie_order_line_decides_a_tie_by_lot(method):
    # A and B tie for last; whoever goes first hands the other a winning 4 votes.
    text = '3 1\n{tie}2 1 2 0\n2 2 1 0\n3 3 0\n0\n"A" "B" "C" "t"\n'
    default = tally.count(parse_blt(text.format(tie="")).ballots, method=method, seats=1)
    reordered = tally.count(parse_blt(text.format(tie="[tie 2 1 3]\n")).ballots, method=method, seats=1)
    assert default.elected == ["B"] and default.ties[0]["selected"] == "A"
    assert reordered.elected == ["A"] and reordered.ties[0]["selected"] == "B"


def test_scottish_tie_looks_back_to_the_most_recent_stage_where_votes_differed():
    # B and C tie at 3 after A's exclusion; at the first stage B had 2 and C 3, so B is excluded.
    text = '5 2\n1 1 2 0\n2 2 0\n3 3 0\n4 4 0\n5 5 0\n0\n"A" "B" "C" "D" "E" "t"\n'
    result = tally.count(parse_blt(text).ballots, method="scotland", seats=2)
    assert result.ties[0]["rule"] == "Break tie by prior stage" and result.ties[0]["selected"] == "B"
    # Tied at every stage: the declared order decides, recorded as a lot.
    text = '4 1\n2 1 0\n2 2 0\n3 3 0\n3 4 0\n0\n"A" "B" "C" "D" "t"\n'
    result = tally.count(parse_blt(text).ballots, method="scotland", seats=1)
    assert result.ties[0]["rule"] == "Break tie by lot" and result.ties[0]["selected"] == "A"


@pytest.mark.parametrize("method", ALL_RULES)
def test_every_rule_fills_the_seats_and_records_its_count(method):
    text = '4 2\n5 1 2 0\n4 2 1 0\n3 3 4 0\n2 4 3 0\n1 4 0\n0\n"A" "B" "C" "D" "t"\n'
    result = tally.count(parse_blt(text).ballots, method=method, seats=2)
    assert len(result.elected) == 2
    assert result.rounds[-1]["msg"] == "Count Complete"
    assert result.to_json()  # canonical JSON: no floats anywhere


@pytest.mark.parametrize(
    ("method", "options", "message"),
    [
        ("scotland", {"omega": 6}, "no option 'omega'"),
        ("scotland", {"precision": 4}, "fixes precision=5"),
        ("meek-prf", {"arithmetic": "rational"}, "fixes arithmetic=fixed"),
        ("meek", {"arithmetic": "float"}, "unknown arithmetic"),
        ("wigm", {"precision": -1}, "precision must be"),
        ("meek", {"omega": "six"}, "omega must be"),
    ],
)
def test_bad_options_are_refused(method, options, message):
    ballots = parse_blt(TIE.format(tie="")).ballots
    with pytest.raises(TallyError, match=message):
        tally.count(ballots, method=method, seats=2, **options)


def test_seats_must_be_a_positive_whole_number():
    ballots = parse_blt(TIE.format(tie="")).ballots
    with pytest.raises(TallyError, match="seats"):
        tally.count(ballots, method="wigm", seats=0)


def test_file_options_are_defaults_and_forced_ones_are_reported():
    text = '3 2\n[droop precision=12 colour=red]\n4 1 2 0\n2 3 0\n0\n"A" "B" "C" "t"\n'
    ballots = parse_blt(text).ballots
    wigm = tally.count(ballots, method="wigm", seats=2, arithmetic="fixed")
    assert wigm.details["quota"] == "2.000000000001" and wigm.details["unused_options"] == ["colour"]
    scot = tally.count(ballots, method="scotland", seats=2)
    assert scot.details["quota"] == "3.00000" and scot.details["overridden_options"] == ["precision"]


def test_arithmetic_rounds_as_declared():
    fixed = Arithmetic("fixed", 2)
    third = fixed.div(fixed.n(1), fixed.n(3))
    assert fixed.fmt(third) == "0.33"
    assert fixed.fmt(fixed.div(fixed.n(1), fixed.n(3), up=True)) == "0.34"
    assert fixed.fmt(fixed.muldiv(fixed.n(2), fixed.n(1), fixed.n(3))) == "0.66"
    shown = Arithmetic("fixed", 4, display=2)
    assert shown.fmt(shown.div(shown.n(2), shown.n(3))) == "0.67"  # 0.6666 printed half up
    guarded = Arithmetic("guarded", 3, 3)
    a = guarded.div(guarded.n(1), guarded.n(3))
    assert guarded.eq(a * 3, guarded.n(1))  # 0.999999 equals 1 within half a unit of the 3rd place
    assert guarded.lt(guarded.n(1) - guarded.div(guarded.n(1), guarded.n(1000)), guarded.n(1))
    assert Arithmetic("guarded", 3, 3, display=5).fmt(a) == "0.333_33"  # guard digits after "_", as droop
    assert Arithmetic("fixed", 0).fmt(7) == "7"
    rational = Arithmetic("rational", display=3)
    assert rational.div(1, 3) == Fraction(1, 3) and rational.fmt(Fraction(2, 3)) == "0.667"


def _final(result):
    return result.rounds[-1]["votes"]


def test_meek_equal_rankings_follow_droop_eq2():
    """droop's test/blt/meek/eq2.blt under meek-o9-guarded-p18-g9-d18; values from droop's reference
    report: after B's defeat the ballot 'b, a=d, c' stops at B (2 votes residual)."""
    text = '4 2\n[nick a b c d]\n5 a b=c d 0\n1 b=c a 0\n3 c=d b=a 0\n2 b a=d c 0\n0\n"A" "B" "C" "D" "t"\n'
    result = tally.count(
        parse_blt(text).ballots, method="meek", seats=2, arithmetic="guarded", precision=18, guard=9, omega=9
    )
    assert result.elected == ["A", "C"]
    defeat_d = next(a for a in result.rounds if a["msg"].endswith(": D"))
    assert (
        defeat_d["votes"]["B"] == "3.166666666666666667" and defeat_d["votes"]["C"] == "2.666666666666666667"
    )
    assert _final(result)["A"] == "3.666666666666666667" and _final(result)["C"] == "5.333333333333333333"
    assert result.rounds[-1]["residual"] == "2.000000000000000000"


def test_scottish_equal_surpluses_look_back_to_the_first_stage():
    """droop's test/blt/scotland/weak-surplus.blt: B and C both hold the quota; B had more at stage 1."""
    text = '6 4\n10 1 3 0\n8 2 0\n6 3 0\n5 4 0\n3 5 4 0\n3 6 4 0\n0\n"A" "B" "C" "D" "E" "F" "t"\n'
    result = tally.count(parse_blt(text).ballots, method="scotland", seats=4)
    assert [(t["purpose"], t["rule"], t["selected"]) for t in result.ties] == [
        ("largest surplus", "Break tie by prior stage", "B"),
        ("defeat low candidate", "Break tie by lot", "E"),
    ]
    assert sorted(result.elected) == ["A", "B", "C", "D"]


def test_minneapolis_defeats_undeclared_write_ins_after_the_first_count():
    """droop's test/blt/mpls/undeclared.blt (droop 0.12 reference): Paris counts 5 in round 1, is then
    defeated and her ballots go to Castor."""
    text = '4 2\n[undeclared 4]\n5 4 1 2 0\n2 3 0\n0\n"Castor" "Pollux" "Helen" "Paris" "t"\n'
    ballots = parse_blt(text).ballots
    assert ballots.undeclared == (3,)
    result = tally.count(ballots, method="mpls", seats=2)
    assert result.rounds[0]["votes"]["Paris"] == "5.0000"
    assert result.rounds[1]["msg"] == "Defeat undeclared write-in: Paris"
    assert result.elected == ["Castor", "Helen"]
    wigm = tally.count(ballots, method="wigm", seats=2)  # elsewhere an undeclared write-in is withdrawn
    assert "Paris" not in wigm.rounds[0]["votes"]
