"""Differential: IRV winners and round counts equal pyrankvote's on generated elections without ties.

pyrankvote elects at votes >= ceil(V/2) and, in each round, rejects every candidate i (by votes, most
first, i >= 1) whose votes together with all lower candidates are <= the votes of candidate i - 1. Our
batch elimination (RCTab's) agrees whenever no tally is tied, none is exactly V/2, and that rejection set
is the same as ours; generated elections where it is not are skipped by ``assume``.
"""

from __future__ import annotations

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


def _pyrankvote_rejects(tallies: dict[str, int]) -> set[str]:
    order = sorted(tallies, key=lambda c: -tallies[c])
    votes = [tallies[c] for c in order]
    return {order[i] for i in range(1, len(order)) if sum(votes[i:]) <= votes[i - 1]}


def _without_ties(result) -> bool:
    for rnd in result.to_dict()["rounds"]:
        values = list(rnd["tally"].values())
        if len(set(values)) != len(values) or any(2 * v == rnd["active"] for v in values):
            return False
        if rnd["eliminated"] and set(rnd["eliminated"]) != _pyrankvote_rejects(rnd["tally"]):
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
    assume(_without_ties(ours))
    cands = [pyrankvote.Candidate(name) for name in names]
    ballots = [pyrankvote.Ballot(ranked_candidates=[cands[c] for c in row]) for row in rows]
    theirs = pyrankvote.instant_runoff_voting(cands, ballots)
    assert [c.name for c in theirs.get_winners()] == ours.elected
    assert len(theirs.rounds) == len(ours.rounds)
