"""Quadratic voting: budget checks name the row, kernel against the plain reference, exact shares."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally import BallotError, TallyError, count
from tally.ballot_types import ScoreBallots
from tests import naive_methods as naive


def _b(rows, weights=None, names=("a", "b", "c")):
    return ScoreBallots.from_array(np.array(rows, dtype=np.int64), weights, list(names))


def test_tally_reports_every_figure():
    b = _b([[3, 0, -1], [1, 2, 0], [0, 0, 0]])
    res = count(b, method="quadratic", budget=10, allow_negative=True)
    t = res.details["options_tally"]
    assert t["a"] == {
        "net": 4,
        "for": 4,
        "against": 0,
        "credits": 10,
        "credit_share": Fraction(10, 15),
        "supporters": 2,
        "opponents": 0,
    }
    assert t["c"]["net"] == -1 and t["c"]["against"] == 1 and t["c"]["opponents"] == 1
    assert res.details["participation"] == 2
    assert res.details["ballots"] == 3
    assert res.details["credits_spent"] == 15
    assert res.elected == ["a"]
    assert '"credit_share":"2/3"' in res.to_json()


def test_over_budget_ballot_is_rejected_with_its_row():
    b = _b([[1, 1, 1], [3, 1, 1]])
    with pytest.raises(BallotError, match=r"ballot row 2: ballot costs 11 credits .* budget of 10"):
        count(b, method="quadratic", budget=10)


def test_budget_exactly_spent_is_accepted():
    assert count(_b([[3, 1, 0]]), method="quadratic", budget=10).details["credits_spent"] == 10


def test_negative_votes_need_the_contest_to_allow_them():
    b = _b([[1, 0, 0], [0, -2, 0]])
    with pytest.raises(BallotError, match=r"ballot row 2: negative vote -2 on 'b'"):
        count(b, method="quadratic", budget=9)
    assert (
        count(b, method="quadratic", budget=9, allow_negative=True).details["options_tally"]["b"]["net"] == -2
    )


def test_huge_votes_do_not_overflow_the_cost():
    b = _b([[2**40, 0, 0]])
    with pytest.raises(BallotError, match="ballot row 1"):
        count(b, method="quadratic", budget=100)


def test_equal_net_votes_are_broken_by_the_declared_seed_and_recorded():
    b = _b([[1, 1, 1]])
    res = count(b, method="quadratic", budget=3, seed="s")
    assert res.ties and res.ties[0]["order"] == res.details["ranking"]
    winners = {count(b, method="quadratic", budget=3, seed=str(s)).elected[0] for s in range(30)}
    assert winners == {"a", "b", "c"}


def test_options_are_checked():
    b = _b([[1, 0, 0]])
    with pytest.raises(TallyError, match="needs option budget"):
        count(b, method="quadratic")
    with pytest.raises(TallyError, match="budget"):
        count(b, method="quadratic", budget="ten")
    with pytest.raises(TallyError, match="unknown option"):
        count(b, method="quadratic", budget=4, trim=True)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_kernel_matches_reference(data):
    m = data.draw(st.integers(1, 5))
    rows = data.draw(st.integers(0, 10))
    budget = data.draw(st.integers(0, 30))
    neg = data.draw(st.booleans())
    votes = [[data.draw(st.integers(-6, 6)) for _ in range(m)] for _ in range(rows)]
    weights = [data.draw(st.integers(0, 3)) for _ in range(rows)]
    b = ScoreBallots.from_array(np.array(votes, dtype=np.int64).reshape(rows, m), weights)
    want = naive.quadratic(votes, weights, m, budget, neg)
    if isinstance(want, int):
        with pytest.raises(BallotError, match=f"ballot row {want + 1}:"):
            count(b, method="quadratic", budget=budget, allow_negative=neg)
    else:
        got = count(b, method="quadratic", budget=budget, allow_negative=neg).details
        assert {k: [v[k] for v in got["options_tally"].values()] for k in want["per_option"]} == want[
            "per_option"
        ]
        assert got["participation"] == want["participation"]
