"""Condorcet methods: pairwise kernel against the plain reference, canonical fixtures, rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally import RankedBallots, TallyError, count
from tally.condorcet import pairwise_matrix, smith_set, strongest_paths
from tests import naive_methods as naive


@st.composite
def ranked(draw, max_cands=6):
    n = draw(st.integers(1, max_cands))
    width = draw(st.integers(1, n + 2))
    rows = draw(st.integers(0, 12))
    cells = st.integers(-2, n - 1)
    ranks = [[draw(cells) for _ in range(width)] for _ in range(rows)]
    weights = [draw(st.integers(0, 5)) for _ in range(rows)]
    arr = np.array(ranks, dtype=np.int64).reshape(rows, width)
    return RankedBallots.from_array(arr, weights, [f"c{i}" for i in range(n)])


@settings(max_examples=150, deadline=None)
@given(ranked(), st.booleans())
def test_pairwise_kernel_matches_reference(ballots, skip):
    got = pairwise_matrix(ballots, "skip" if skip else "exhaust")
    want = naive.pairwise(ballots.ranks.tolist(), ballots.weights.tolist(), len(ballots.candidates), skip)
    assert got.tolist() == want


@settings(max_examples=60, deadline=None)
@given(ranked(max_cands=5))
def test_condorcet_winner_wins_every_method(ballots):
    res = count(ballots, method="condorcet")
    if res.elected:
        for m in ("schulze", "ranked-pairs", "copeland", "minimax"):
            assert count(ballots, method=m).elected == res.elected, m


def _cycle():
    return RankedBallots.from_rankings([["A", "B", "C"]] * 3 + [["B", "C", "A"]] * 3 + [["C", "A", "B"]] * 3)


def test_cycle_is_reported_without_a_winner():
    res = count(_cycle(), method="condorcet")
    d = res.to_dict()
    assert res.elected == []
    assert d["condorcet_winner"] is None
    assert d["smith_set"] == ["A", "B", "C"]
    assert d["cycle"] == ["A", "B", "C", "A"]


@pytest.mark.parametrize("method", ["schulze", "copeland", "minimax"])
def test_full_cycle_tie_is_broken_by_the_declared_seed_and_recorded(method):
    a = count(_cycle(), method=method, seed="s1")
    b = count(_cycle(), method=method, seed="s1")
    assert a.to_json() == b.to_json()
    assert a.ties and a.ties[0]["tied"] and "sha256" in a.ties[0]["rule"]
    assert set(a.to_dict()["winners"]) == {"A", "B", "C"}
    seeds = {count(_cycle(), method=method, seed=str(s)).elected[0] for s in range(30)}
    assert seeds == {"A", "B", "C"}


def test_one_voter_gets_their_ranking():
    b = RankedBallots.from_rankings([["B", "C", "A"]], candidates=["A", "B", "C"])
    for m in ("schulze", "ranked-pairs", "copeland"):
        res = count(b, method=m, seats=3)
        assert res.elected == ["B", "C", "A"], m
        assert res.ties == []
    # minimax ranks by worst defeat: C and A both lose by one vote, so only the winner is unique
    res = count(b, method="minimax", seats=3)
    assert res.elected[0] == "B"
    assert res.to_dict()["scores"] == {"A": 1, "B": -1, "C": 1}


def test_all_tied_ballots_leave_every_candidate_a_winner():
    b = RankedBallots.from_array(np.full((4, 2), -1), candidates=["A", "B", "C"])
    res = count(b, method="schulze")
    assert res.to_dict()["winners"] == ["A", "B", "C"]
    assert count(b, method="condorcet").to_dict()["smith_set"] == ["A", "B", "C"]


def test_unranked_candidates_lose_to_ranked_ones():
    b = RankedBallots.from_rankings([["C"]], candidates=["A", "B", "C"])
    assert pairwise_matrix(b).tolist() == [[0, 0, 0], [0, 0, 0], [1, 1, 0]]


@pytest.mark.parametrize(("rule", "expected"), [("exhaust", [[0, 1], [0, 0]]), ("skip", [[0, 1], [0, 0]])])
def test_overvote_rule_is_applied(rule, expected):
    b = RankedBallots.from_array([[0, -2, 1]], candidates=["A", "B"])
    assert pairwise_matrix(b, rule).tolist() == expected
    b2 = RankedBallots.from_array([[-2, 1, 0]], candidates=["A", "B"])
    got = pairwise_matrix(b2, rule).tolist()
    assert got == ([[0, 0], [0, 0]] if rule == "exhaust" else [[0, 0], [1, 0]])


def test_schulze_wikipedia_example():
    # Schulze's 45-voter example (Wikipedia): winner E, order E > A > C > B > D.
    rows = (
        [["A", "C", "B", "E", "D"]] * 5
        + [["A", "D", "E", "C", "B"]] * 5
        + [["B", "E", "D", "A", "C"]] * 8
        + [["C", "A", "B", "E", "D"]] * 3
        + [["C", "A", "E", "B", "D"]] * 7
        + [["C", "B", "A", "D", "E"]] * 2
        + [["D", "C", "E", "B", "A"]] * 7
        + [["E", "B", "A", "D", "C"]] * 8
    )
    b = RankedBallots.from_rankings(rows, candidates=list("ABCDE"))
    res = count(b, method="schulze", seats=5)
    assert res.elected == ["E", "A", "C", "B", "D"]
    assert res.ties == []
    assert strongest_paths(pairwise_matrix(b))[4].tolist() == [25, 28, 28, 31, 0]


def test_ranked_pairs_locks_in_margin_order():
    # Tennessee capital example: Nashville is the Condorcet winner.
    rows = (
        [["M", "N", "C", "K"]] * 42
        + [["N", "C", "K", "M"]] * 26
        + [["C", "K", "N", "M"]] * 15
        + [["K", "C", "N", "M"]] * 17
    )
    b = RankedBallots.from_rankings(rows, candidates=["M", "N", "C", "K"])
    res = count(b, method="ranked-pairs", seats=4)
    assert res.elected == ["N", "C", "K", "M"]
    assert smith_set(pairwise_matrix(b)) == [1]


def test_minimax_score_variants_are_declared():
    res = count(_cycle(), method="minimax", score="winning-votes")
    assert res.options["score"] == "winning-votes"
    assert res.to_dict()["scores"] == {"A": 6, "B": 6, "C": 6}
    with pytest.raises(TallyError, match="score"):
        count(_cycle(), method="minimax", score="bogus")


def test_bad_options_and_ballots_are_refused():
    with pytest.raises(TallyError, match="unknown option"):
        count(_cycle(), method="schulze", bogus=1)
    with pytest.raises(TallyError, match="overvote"):
        count(_cycle(), method="schulze", overvote="maybe")
    with pytest.raises(TallyError, match="seats"):
        count(_cycle(), method="schulze", seats=4)
    with pytest.raises(TallyError, match="ranked ballots"):
        count([[0, 1]], method="schulze")
