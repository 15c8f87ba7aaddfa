"""Differential tests: budget greedy and Equal Shares (with add1) against pabutools."""

from __future__ import annotations

import numpy as np
import pytest

from tally import count
from tally.budget import BudgetBallots

pytestmark = pytest.mark.peers
pabu = pytest.importorskip("pabutools.election")
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares  # noqa: E402


def _instance(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 9))
    n = int(rng.integers(1, 30))
    app = rng.random((n, m)) < rng.uniform(0.2, 0.7)
    app[rng.integers(n, size=m), np.arange(m)] = True  # every project has a supporter
    costs = [int(c) for c in rng.integers(1, 20, size=m) * 5]
    per_voter = int(rng.integers(1, 8))
    budget = per_voter * n  # n divides the budget: add1 starts alike in both
    ids = [f"p{i}" for i in range(m)]
    return app, costs, budget, ids


def _pabutools(app, costs, budget, ids):
    projects = [pabu.Project(i, c) for i, c in zip(ids, costs, strict=True)]
    inst = pabu.Instance(projects, budget_limit=budget)
    prof = pabu.ApprovalProfile(
        [pabu.ApprovalBallot([projects[j] for j in np.flatnonzero(row)]) for row in app]
    )
    return inst, prof


def _ours(app, costs, budget, ids):
    return BudgetBallots.from_arrays(app.astype(np.int64), ids, costs, budget)


@pytest.mark.parametrize("seed", range(40), ids=lambda s: f"seed{s}")
def test_greedy_equals_pabutools(seed):
    app, costs, budget, ids = _instance(seed)
    inst, prof = _pabutools(app, costs, budget, ids)
    theirs = greedy_utilitarian_welfare(inst, prof, sat_class=pabu.Cost_Sat)
    ours = count(_ours(app, costs, budget, ids), method="greedy", tie_break="project-id")
    assert ours.elected == [p.name for p in theirs]


@pytest.mark.parametrize("seed", range(40), ids=lambda s: f"seed{s}")
@pytest.mark.parametrize("completion", ["none", "add1"])
def test_equal_shares_equals_pabutools(seed, completion):
    app, costs, budget, ids = _instance(seed)
    inst, prof = _pabutools(app, costs, budget, ids)
    theirs = method_of_equal_shares(
        inst, prof, sat_class=pabu.Cost_Sat, voter_budget_increment=1 if completion == "add1" else None
    )
    ours = count(
        _ours(app, costs, budget, ids), method="equalshares", completion=completion, tie_break="project-id"
    )
    assert ours.elected == [p.name for p in theirs]
