"""Seeded instances for the Condorcet, approval, proportional, budget and quadratic benchmarks."""

from __future__ import annotations

import numpy as np

from tally import Candidates, RankedBallots
from tally.ballot_types import ApprovalBallots, ScoreBallots
from tally.budget import BudgetBallots


def ranked_full(n: int, m: int = 20, seed: int = 0) -> RankedBallots:
    """``n`` uniformly random complete rankings of ``m`` candidates (int8, unit weights)."""
    rng = np.random.default_rng(seed)
    ranks = np.argsort(rng.random((n, m), dtype=np.float32), axis=1).astype(np.int8)
    return RankedBallots(ranks, np.ones(n, dtype=np.int64), Candidates(tuple(f"c{i}" for i in range(m))))


def approval_matrix(n: int, m: int, seed: int = 0, density: float = 0.2) -> ApprovalBallots:
    rng = np.random.default_rng(seed)
    app = rng.random((n, m), dtype=np.float32) < density
    return ApprovalBallots(app, np.ones(n, dtype=np.int64), Candidates(tuple(f"c{i}" for i in range(m))))


def approval_skewed(n: int, m: int, seed: int = 0, max_len: int = 10) -> np.ndarray:
    """Each voter approves 1..max_len candidates drawn with skewed (Zipf-like) popularity."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, m + 1) ** 0.8
    pop = pop[rng.permutation(m)]
    pop /= pop.sum()
    lengths = rng.integers(1, max_len + 1, size=n)
    app = np.zeros((n, m), dtype=bool)
    for length in range(1, max_len + 1):
        rows = np.flatnonzero(lengths == length)
        keys = rng.random((rows.size, m)) ** (1.0 / pop)  # weighted sampling without replacement
        top = np.argpartition(-keys, length - 1, axis=1)[:, :length]
        app[rows[:, None], top] = True
    return app


def budget_instance(n: int = 75_000, m: int = 118, seed: int = 0) -> BudgetBallots:
    """A Warsaw-size approval budget: costs 20k..1M, budget a third of the total cost."""
    rng = np.random.default_rng(seed)
    app = approval_skewed(n, m, seed)
    costs = [int(c) * 1000 for c in rng.integers(20, 1000, size=m)]
    budget = sum(costs) // 3
    return BudgetBallots.from_arrays(app.astype(np.int64), [f"p{i}" for i in range(m)], costs, budget)


def quadratic_votes(n: int, m: int = 50, seed: int = 0) -> ScoreBallots:
    rng = np.random.default_rng(seed)
    votes = rng.integers(-2, 3, size=(n, m), dtype=np.int8)
    return ScoreBallots(votes, np.ones(n, dtype=np.int64), Candidates(tuple(f"o{i}" for i in range(m))))
