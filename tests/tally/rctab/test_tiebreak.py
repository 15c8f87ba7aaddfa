"""Tie-break modes and operator decisions (prompt and decisions file)."""

from __future__ import annotations

from decimal import Decimal

import click
import pytest

from tally.errors import TallyError, TieBreakError
from tally.rctab.javautil import JavaRandom, hashset_order
from tally.rctab.tiebreak import Decisions, Tiebreaker, terminal_prompt


def _no_lookback(r, name):
    raise AssertionError("no look-back expected")


def test_random_picks_floor_u_times_k_in_java_order():
    tb = Tiebreaker("random", 5, ["c", "B", "a"])
    expected = ["B", "a", "c"][JavaRandom(5).random_index(3)]
    assert tb.break_tie(["a", "c", "B"], round_number=1, kind="loser", tally_of=_no_lookback) == expected


def test_generate_permutation_shuffles_the_sorted_names_once():
    tb = Tiebreaker("generatePermutation", 12345, ["A", "B", "C", "D"])
    order = ["A", "B", "C", "D"]
    rnd = JavaRandom(12345)
    for i in range(4, 1, -1):
        j = rnd.next_int(i)
        order[i - 1], order[j] = order[j], order[i - 1]
    assert tb.order == order
    tied = ["A", "C"]
    assert (
        tb.break_tie(tied, round_number=1, kind="loser", tally_of=_no_lookback)
        == [c for c in order if c in tied][-1]
    )


def test_previous_rounds_fallback_uses_hashset_order():
    tallies = {1: {"Cc": Decimal(1), "Aa": Decimal(1), "Bb": Decimal(1)}}
    tb = Tiebreaker("previousRoundCountsThenRandom", 3, ["Aa", "Bb", "Cc"])
    pick = tb.break_tie(["Aa", "Bb", "Cc"], round_number=2, kind="loser", tally_of=lambda r, n: tallies[r][n])
    listing = hashset_order(["Aa", "Bb", "Cc"])
    assert pick == listing[JavaRandom(3).random_index(3)]


def test_terminal_prompt_accepts_number_or_name_and_x_cancels(monkeypatch):
    answers = iter(["9", "2"])
    monkeypatch.setattr(click, "prompt", lambda *a, **k: next(answers))
    assert terminal_prompt(["A", "B"], 1, "loser") == "B"
    monkeypatch.setattr(click, "prompt", lambda *a, **k: "A")
    assert terminal_prompt(["A", "B"], 1, "winner") == "A"
    monkeypatch.setattr(click, "prompt", lambda *a, **k: "x")
    with pytest.raises(TieBreakError, match="cancelled"):
        terminal_prompt(["A", "B"], 1, "loser")


def test_decisions_file_must_choose_a_tied_name(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[{"round": 1, "tied": ["A", "B"], "choice": "C"}]')
    with pytest.raises(TallyError, match="entry 1"):
        Decisions.from_file(path)


def test_decisions_match_on_pass_and_kind():
    decisions = Decisions(
        [
            {"round": 2, "tied": ["A", "B"], "choice": "A", "pass": 2},
            {"round": 2, "tied": ["A", "B"], "choice": "B", "kind": "winner"},
        ]
    )
    assert decisions.choose(["B", "A"], round_number=2, kind="winner", pass_number=1) == "B"
    assert decisions.choose(["A", "B"], round_number=2, kind="loser", pass_number=2) == "A"
    with pytest.raises(TieBreakError, match="A, B"):
        decisions.choose(["A", "B"], round_number=2, kind="loser", pass_number=1)
