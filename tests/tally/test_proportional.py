"""PAV, Phragmén and Equal Shares: kernels against plain references, fixtures, limits."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally import TallyError, count
from tally.ballot_types import ApprovalBallots
from tests import naive_methods as naive


@st.composite
def instance(draw):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(0, 10))
    rows = [[draw(st.booleans()) for _ in range(m)] for _ in range(n)]
    weights = [draw(st.integers(0, 3)) for _ in range(n)]
    k = draw(st.integers(1, m))
    return np.array(rows, dtype=bool).reshape(n, m), weights, k


@settings(max_examples=80, deadline=None)
@given(instance())
def test_seq_pav_matches_reference(inst):
    app, weights, k = inst
    res = count(ApprovalBallots.from_array(app, weights), method="seq-pav", seats=k, tie_break="index")
    assert [int(c) for c in res.elected] == naive.seq_pav(app.tolist(), weights, k, app.shape[1])


@settings(max_examples=80, deadline=None)
@given(instance())
def test_seq_phragmen_matches_reference(inst):
    app, weights, k = inst
    res = count(ApprovalBallots.from_array(app, weights), method="seq-phragmen", seats=k, tie_break="index")
    assert [int(c) for c in res.elected] == naive.seq_phragmen(app.tolist(), weights, k, app.shape[1])


def _cands(rows):
    return ApprovalBallots.from_sets(rows, candidates=["a", "b", "c", "d"])


def test_pav_beats_plurality_of_a_majority_bloc():
    # 6 voters approve a,b,c; 4 approve d: PAV gives the minority a seat, approval would not.
    b = _cands([["a", "b", "c"]] * 6 + [["d"]] * 4)
    assert "d" in count(b, method="pav", seats=2).elected
    assert "d" in count(b, method="seq-pav", seats=2).elected
    assert "d" in count(b, method="seq-phragmen", seats=2).elected
    assert "d" in count(b, method="equal-shares", seats=2).elected


def test_exact_pav_reports_every_optimal_committee_and_the_tie():
    b = _cands([["a"], ["b"]])
    res = count(b, method="pav", seats=1, seed="x")
    assert res.details["optimal_committees"] == [["a"], ["b"]]
    assert res.ties and res.ties[0]["kind"] == "equal PAV score"
    assert res.details["pav_score"] == Fraction(1)


def test_exact_pav_refuses_huge_searches():
    b = ApprovalBallots.from_array(np.ones((2, 40), dtype=bool))
    with pytest.raises(TallyError, match="committees"):
        count(b, method="pav", seats=10)


def test_phragmen_loads_are_exact():
    b = _cands([["a", "b"], ["a"], ["b", "c"]])
    res = count(b, method="seq-phragmen", seats=2, tie_break="index")
    assert res.rounds[0]["max_load"] == Fraction(1, 2)
    assert res.elected == ["a", "b"]
    assert res.rounds[1]["max_load"] == Fraction(3, 4)


def test_equal_shares_completion_is_declared():
    b = _cands([["a"], ["b"], ["c"]])
    for completion in ("seq-phragmen", "av"):
        res = count(b, method="equal-shares", seats=2, completion=completion)
        assert len(res.elected) == 2 and res.options["completion"] == completion
    with pytest.raises(TallyError, match="completion"):
        count(b, method="equal-shares", seats=2, completion="magic")


def test_one_voter_and_no_voters():
    b = _cands([["c"]])
    for m in ("seq-pav", "pav", "seq-phragmen", "equal-shares"):
        assert count(b, method=m, seats=1).elected == ["c"], m
    empty = ApprovalBallots.from_array(np.zeros((0, 3), dtype=bool), candidates=["x", "y", "z"])
    for m in ("seq-pav", "seq-phragmen", "equal-shares"):
        res = count(empty, method=m, seats=2)
        assert len(res.elected) == 2 and len(res.ties) >= 1, m


@pytest.mark.parametrize("method", ["seq-pav", "pav", "seq-phragmen", "equal-shares"])
def test_grouping_and_seed_make_results_reproducible(method):
    rng = np.random.default_rng(3)
    app = rng.random((30, 5)) < 0.4
    b = ApprovalBallots.from_array(app)
    assert count(b, method=method, seats=3).to_json() == count(b.grouped(), method=method, seats=3).to_json()
