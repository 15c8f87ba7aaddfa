"""Differential tests: Schulze, ranked pairs, Copeland and minimax against pref_voting."""

from __future__ import annotations

import numpy as np
import pytest

from tally import RankedBallots, count

pytestmark = pytest.mark.peers
pv_profiles = pytest.importorskip("pref_voting.profiles")
from pref_voting.c1_methods import copeland  # noqa: E402
from pref_voting.margin_based_methods import beat_path, minimax, ranked_pairs  # noqa: E402


def _instance(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    voters = int(rng.integers(1, 40))
    # a few distinct rankings drawn with repetition, so majorities are not all ties
    pool = [rng.permutation(n) for _ in range(int(rng.integers(1, 6)))]
    rows = np.array([pool[int(rng.integers(len(pool)))] for _ in range(voters)], dtype=np.int64)
    return rows, n


@pytest.mark.parametrize("seed", range(60), ids=lambda s: f"seed{s}")
def test_condorcet_methods_equal_pref_voting(seed):
    rows, n = _instance(seed)
    ballots = RankedBallots.from_array(rows, candidates=[str(i) for i in range(n)])
    prof = pv_profiles.Profile(rows.tolist())
    names = [str(c) for c in range(n)]

    def ours(method, **kw):
        return count(ballots, method=method, **kw)

    assert ours("schulze").details["winners"] == [names[c] for c in beat_path(prof)]
    assert ours("schulze", strength="margins").details["winners"] == [names[c] for c in beat_path(prof)]
    assert ours("copeland").details["winners"] == [names[c] for c in copeland(prof)]
    assert ours("minimax").details["winners"] == [names[c] for c in minimax(prof)]


def _distinct_margins(rows, n):
    P = np.zeros((n, n), dtype=np.int64)
    for r in rows:
        for i in range(n):
            for j in range(i + 1, n):
                P[r[i], r[j]] += 1
    m = [int(x) for x in (P - P.T).ravel() if x > 0]
    return len(m) == len(set(m))


@pytest.mark.parametrize("seed", range(40), ids=lambda s: f"seed{s}")
def test_ranked_pairs_equals_pref_voting(seed):
    # pref_voting tries every order of equal-margin pairs (exponential), so use instances without them
    k = 1000 * seed
    while True:
        rows, n = _instance(k)
        if _distinct_margins(rows, n):
            break
        k += 1
    ballots = RankedBallots.from_array(rows, candidates=[str(i) for i in range(n)])
    theirs = [str(c) for c in ranked_pairs(pv_profiles.Profile(rows.tolist()))]
    mine = count(ballots, method="ranked-pairs")
    assert mine.details["winners"] == theirs
    assert mine.elected[0] in theirs
