"""Approval and satisfaction approval: kernels against the plain reference, fixtures, errors."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally import TallyError, count
from tally._kernels_approval import counts_by_size
from tally.approval import approval_scores
from tally.ballot_types import ApprovalBallots
from tests import naive_methods as naive


@st.composite
def approval_ballots(draw, max_cands=7):
    m = draw(st.integers(1, max_cands))
    rows = draw(st.integers(0, 15))
    arr = np.array([[draw(st.booleans()) for _ in range(m)] for _ in range(rows)], dtype=bool).reshape(
        rows, m
    )
    weights = [draw(st.integers(0, 4)) for _ in range(rows)]
    return ApprovalBallots.from_array(arr, weights, [f"c{i}" for i in range(m)])


@settings(max_examples=100, deadline=None)
@given(approval_ballots())
def test_approval_kernel_matches_reference(b):
    m = len(b.candidates)
    assert approval_scores(b).tolist() == naive.approval_counts(b.approvals.tolist(), b.weights.tolist(), m)


@settings(max_examples=100, deadline=None)
@given(approval_ballots())
def test_sav_matches_reference(b):
    m = len(b.candidates)
    res = count(b, method="sav", seats=1)
    want = naive.sav_scores(b.approvals.tolist(), b.weights.tolist(), m)
    assert res.details["scores"] == {f"c{i}": want[i] for i in range(m)}


@settings(max_examples=50, deadline=None)
@given(approval_ballots())
def test_grouping_does_not_change_results(b):
    for method in ("approval", "sav"):
        assert count(b, method=method).to_json() == count(b.grouped(), method=method).to_json()


def test_counts_by_size_splits_by_ballot_length():
    b = ApprovalBallots.from_sets([["a"], ["a", "b"], ["a", "b"]], candidates=["a", "b"])
    out = counts_by_size(b.approvals.view(np.uint8), b.weights)
    assert out.tolist() == [[0, 0], [1, 0], [2, 2]]


def test_multiwinner_approval_takes_the_top_scores():
    b = ApprovalBallots.from_sets([["a", "b"], ["a", "c"], ["a", "b"], ["d"]])
    res = count(b, method="approval", seats=2)
    assert res.elected == ["a", "b"]
    assert res.details["scores"] == {"a": 3, "b": 2, "c": 1, "d": 1}


def test_sav_divides_each_ballot():
    b = ApprovalBallots.from_sets([["a", "b", "c"], ["c"]])
    res = count(b, method="sav", seats=1)
    assert res.elected == ["c"]
    assert res.details["scores"]["c"] == Fraction(4, 3)
    assert '"c":"4/3"' in res.to_json()


def test_one_voter_elects_their_approvals():
    b = ApprovalBallots.from_sets([["b"]], candidates=["a", "b"])
    assert count(b, method="approval").elected == ["b"]


def test_all_tied_is_broken_by_seed_and_recorded():
    b = ApprovalBallots.from_sets([["a", "b", "c"]])
    winners = {count(b, method="approval", seed=str(s)).elected[0] for s in range(30)}
    assert winners == {"a", "b", "c"}
    res = count(b, method="approval", seed="x")
    assert res.ties[0]["order"] == res.details["ranking"]
    assert res.to_json() == count(b, method="approval", seed="x").to_json()


def test_bad_input_is_refused():
    b = ApprovalBallots.from_sets([["a"]])
    with pytest.raises(TallyError, match="seats"):
        count(b, method="approval", seats=2)
    with pytest.raises(TallyError, match="unknown option"):
        count(b, method="approval", quota=3)
    with pytest.raises(TallyError, match="approval ballots"):
        count(np.zeros((2, 2)), method="approval")
    with pytest.raises(TallyError, match="not 0 or 1"):
        ApprovalBallots.from_array([[0, 2]])
