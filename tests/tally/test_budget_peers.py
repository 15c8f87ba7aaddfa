"""Differential tests: budget greedy and every Equal Shares completion against pabutools."""

from __future__ import annotations

import numpy as np
import pytest

from tally import count
from tally.budget import BudgetBallots

pytestmark = pytest.mark.peers
pabu = pytest.importorskip("pabutools.election")
from pabutools.rules import (  # noqa: E402
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

SEEDS = range(40)


def _instance(seed, divisible=True, all_supported=True):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 9))
    n = int(rng.integers(1, 30))
    app = rng.random((n, m)) < rng.uniform(0.2, 0.7)
    if all_supported:
        app[rng.integers(n, size=m), np.arange(m)] = True
    costs = [int(c) for c in rng.integers(1, 20, size=m) * 5]
    per_voter = int(rng.integers(1, 8))
    # n divides the budget: both add1 starts (floor(budget/n) and budget/n) coincide
    budget = per_voter * n + (0 if divisible else int(rng.integers(1, n + 1)) % n)
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


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_greedy_equals_pabutools(seed):
    app, costs, budget, ids = _instance(seed)
    inst, prof = _pabutools(app, costs, budget, ids)
    theirs = greedy_utilitarian_welfare(inst, prof, sat_class=pabu.Cost_Sat)
    ours = count(_ours(app, costs, budget, ids), method="greedy", tie_break="project-id")
    assert ours.elected == [p.name for p in theirs]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
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


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
def test_add1_exact_start_equals_pabutools_budget_increment(seed):
    app, costs, budget, ids = _instance(seed, divisible=False, all_supported=seed % 2 == 0)
    inst, prof = _pabutools(app, costs, budget, ids)
    theirs = method_of_equal_shares(inst, prof, sat_class=pabu.Cost_Sat, voter_budget_increment=1)
    ours = count(
        _ours(app, costs, budget, ids),
        method="equalshares/add1",
        add1_start="exact",
        tie_break="project-id",
    )
    assert ours.elected == [p.name for p in theirs]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
@pytest.mark.parametrize("completion", ["utilitarian", "add1-utilitarian"])
def test_utilitarian_completion_equals_pabutools_rule_combination(seed, completion):
    app, costs, budget, ids = _instance(seed, all_supported=seed % 2 == 0)
    inst, prof = _pabutools(app, costs, budget, ids)
    mes = {"sat_class": pabu.Cost_Sat}
    if completion == "add1-utilitarian":
        mes["voter_budget_increment"] = 1
    theirs = completion_by_rule_combination(
        inst, prof, [method_of_equal_shares, greedy_utilitarian_welfare], [mes, {"sat_class": pabu.Cost_Sat}]
    )
    ours = count(
        _ours(app, costs, budget, ids),
        method="equalshares",
        completion=completion,
        add1_start="exact",
        tie_break="project-id",
    )
    assert ours.elected == [p.name for p in theirs]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed{s}")
@pytest.mark.parametrize("method", ["equalshares-comparison", "equalshares/add1-comparison"])
def test_comparison_step_on_pabutools_outcomes(seed, method):
    """The comparison step applied by hand to pabutools' MES and greedy outcomes: greedy wins only when
    more voters approve strictly more of its projects than approve strictly more of MES's."""
    app, costs, budget, ids = _instance(seed, all_supported=seed % 2 == 0)
    inst, prof = _pabutools(app, costs, budget, ids)
    step = 1 if "add1" in method else None
    mes = [
        p.name
        for p in method_of_equal_shares(inst, prof, sat_class=pabu.Cost_Sat, voter_budget_increment=step)
    ]
    greedy = [p.name for p in greedy_utilitarian_welfare(inst, prof, sat_class=pabu.Cost_Sat)]
    sat_m = np.array([sum(row[ids.index(x)] for x in mes) for row in app])
    sat_g = np.array([sum(row[ids.index(x)] for x in greedy) for row in app])
    expected = greedy if (sat_g > sat_m).sum() > (sat_m > sat_g).sum() else mes
    ours = count(_ours(app, costs, budget, ids), method=method, add1_start="exact", tie_break="project-id")
    assert ours.elected == expected
    assert ours.details["comparison"]["voters_preferring_greedy"] == int((sat_g > sat_m).sum())
