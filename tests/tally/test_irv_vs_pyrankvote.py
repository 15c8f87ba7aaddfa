"""Differential: IRV winners and round counts equal pyrankvote's on generated elections.

pyrankvote 2.0's ``instant_runoff_voting`` (``preferential_block_voting`` with one seat) plays each
round on the tallies ordered most votes first (V = ballots still active):

1. a candidate is elected when ``votes - 1e-6 >= ceil(V / 2)``, i.e. with more than ``ceil(V / 2)``
   votes: our ``floor(V / 2) + 1`` for even V, one vote more for odd V;
2. otherwise every candidate i >= 1 whose votes together with all below it are at most the votes of
   candidate i - 1 is rejected (``<=``; the set need not be a bottom block), and if one candidate is left
   it is elected in the same round;
3. equal tallies are ordered by later-choice counts (at random when those tie too).

Ours (RCTab's rule with batch elimination) elects at ``floor(V / 2) + 1``, or the leader of the last
two; else removes the bottom block below a tally strictly above their sum when that is two or more,
else the single lowest, breaking ties by the seeded hash. The two agree round by round except where
those rules give another step: a candidate with exactly ``(V + 1) / 2`` of an odd V (elected here,
not there unless everybody else is rejected: first choices 10/4/3/2 play one round here, two there), a
rejection set other than our batch, or a tie that pyrankvote's order decides differently (the last two
tied, or tied candidates inside or at the edge of the rejection set). ``_pyrankvote_agrees`` replays
pyrankvote's round rule on each of our rounds, for every order of tied candidates, and ``assume``
leaves out exactly the elections with a round where it gives another step. The generator draws
ballots that rank distinct candidates without gaps (pyrankvote has no blanks, overvotes or repeats).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tally

pyrankvote = pytest.importorskip("pyrankvote")


@st.composite
def clean_elections(draw):
    n = draw(st.integers(2, 6))
    rows = draw(
        st.lists(
            st.permutations(range(n)).flatmap(lambda p: st.integers(1, len(p)).map(lambda k: p[:k])),
            min_size=1,
            max_size=60,
        )
    )
    return n, rows


def _pyrankvote_round(order: list[str], tallies: dict[str, int], active: int) -> tuple[list[str], set[str]]:
    """pyrankvote's step for candidates in ``order`` (most votes first): (elected, rejected)."""
    limit = -(-active // 2)
    votes = [tallies[c] for c in order]
    elected: list[str] = []
    rejected: set[str] = set()
    for i, c in enumerate(order):
        if votes[i] > limit:  # pyrankvote: votes - 1e-6 >= ceil(V / 2)
            elected.append(c)
        elif i >= 1 and sum(votes[i:]) <= votes[i - 1]:
            rejected.add(c)
    left = [c for c in order if c not in rejected and c not in elected]
    if not elected and len(left) == 1:
        elected = left
    return elected, rejected


def _orders(tallies: dict[str, int]):
    """Every most-votes-first order of the candidates (tied candidates in any order)."""
    levels = sorted(set(tallies.values()), reverse=True)
    tied = [[c for c in tallies if tallies[c] == v] for v in levels]
    for parts in itertools.product(*(itertools.permutations(group) for group in tied)):
        yield [c for part in parts for c in part]


def _pyrankvote_agrees(result) -> bool:
    """Whether pyrankvote takes our step in every round of ``result``, whatever its tie order."""
    for rnd in result.to_dict()["rounds"]:
        for order in _orders(rnd["tally"]):
            elected, rejected = _pyrankvote_round(order, rnd["tally"], rnd["active"])
            if elected != rnd["elected"] or not (elected or rejected == set(rnd["eliminated"])):
                return False
    return True


@pytest.mark.peers
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)
@given(clean_elections())
def test_irv_winner_and_rounds_equal_pyrankvote(election):
    n, rows = election
    names = [f"cand{i}" for i in range(n)]
    ranks = np.full((len(rows), n), -1, dtype=np.int64)
    for b, row in enumerate(rows):
        ranks[b, : len(row)] = row
    ours = tally.count(
        tally.RankedBallots.from_array(ranks, candidates=names), method="irv", elimination="batch"
    )
    assume(_pyrankvote_agrees(ours))
    cands = [pyrankvote.Candidate(name) for name in names]
    ballots = [pyrankvote.Ballot(ranked_candidates=[cands[c] for c in row]) for row in rows]
    theirs = pyrankvote.instant_runoff_voting(cands, ballots)
    assert [c.name for c in theirs.get_winners()] == ours.elected
    assert len(theirs.rounds) == len(ours.rounds)


def test_pyrankvote_needs_one_more_vote_for_odd_totals():
    """The shape hypothesis found: 10 of 19 is a majority here; pyrankvote plays a second round."""
    names = ["a", "b", "c", "d"]
    rows = [[0]] * 10 + [[1]] * 4 + [[2]] * 3 + [[3]] * 2
    ours = tally.count(tally.RankedBallots.from_array(np.array(rows), candidates=names), method="irv")
    assert not _pyrankvote_agrees(ours)
    cands = [pyrankvote.Candidate(name) for name in names]
    theirs = pyrankvote.instant_runoff_voting(
        cands, [pyrankvote.Ballot(ranked_candidates=[cands[c] for c in row]) for row in rows]
    )
    assert (len(ours.rounds), len(theirs.rounds)) == (1, 2)
    assert ours.elected == [c.name for c in theirs.get_winners()] == ["a"]
