"""The fast budget Equal Shares engine against the plain-Python reference (exact fractions per voter)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tally.budget_mes import Supports, exact_price, run
from tests import naive_methods as naive


def _instance(seed, n, m, cost_choices):
    rng = np.random.default_rng(seed)
    support = rng.random((n, m)) < rng.uniform(0.15, 0.6)
    weights = rng.integers(0, 4, size=n)  # weight 0 rows: voters that must change nothing
    costs = [int(c) for c in rng.choice(cost_choices, size=m)]
    return support.astype(np.int64), weights, costs


def _ours(support, weights, costs, e):
    ties = []

    def pick(tied, round_no):
        if len(tied) > 1:
            ties.append((round_no, list(tied)))
        return tied[0]

    out = run(Supports.from_points(support, weights, costs), e, pick)
    return out, ties


@pytest.mark.parametrize("seed", range(60), ids=lambda s: f"seed{s}")
def test_tie_prone_instances_match_the_reference(seed):
    rng = np.random.default_rng(1000 + seed)
    n, m = int(rng.integers(1, 25)), int(rng.integers(1, 9))
    support, weights, costs = _instance(seed, n, m, [2, 3, 4, 6, 12])
    e = Fraction(int(rng.integers(0, 13)), int(rng.integers(1, 4)))
    ref_sel, ref_pays, ref_ties = naive.budget_equal_shares(support.tolist(), weights.tolist(), costs, e)
    out, ties = _ours(support, weights, costs, e)
    assert out.selected == ref_sel
    assert out.payments() == ref_pays
    assert ties == ref_ties


@pytest.mark.parametrize("seed", range(6), ids=lambda s: f"seed{s}")
def test_rounds_decided_in_floats_match_the_reference(seed):
    rng = np.random.default_rng(seed)
    support, weights, costs = _instance(seed, 300, 20, np.arange(1000, 9000, 7))
    e = Fraction(int(rng.integers(20, 60)), 3)
    ref_sel, ref_pays, ref_ties = naive.budget_equal_shares(support.tolist(), weights.tolist(), costs, e)
    out, ties = _ours(support, weights, costs, e)
    assert len(out.record.known) < len(out.selected)  # some rounds decided in floats, payments rebuilt below
    assert out.selected == ref_sel
    assert out.payments() == ref_pays
    assert ties == ref_ties == []


def test_exact_price_lets_the_poor_pay_all_they_hold():
    # 3 voters hold 1, 5 and 5: cost 9 -> the poor one pays 1, the others 4 each
    assert exact_price(Fraction(9), [(Fraction(5), 2), (Fraction(1), 1)]) == 4
    assert exact_price(Fraction(12), [(Fraction(5), 2), (Fraction(1), 1)]) is None
    # money equal to the price: paying exactly everything
    assert exact_price(Fraction(11), [(Fraction(5), 2), (Fraction(1), 1)]) == 5
