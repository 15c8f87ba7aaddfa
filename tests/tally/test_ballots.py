import numpy as np
import pytest

from tally import BallotError, RankedBallots


def test_from_array_picks_int8_and_unit_weights():
    b = RankedBallots.from_array([[0, 1, -1], [1, -1, -1]], candidates=["A", "B"])
    assert b.ranks.dtype == np.int8
    assert b.weights.tolist() == [1, 1]
    assert b.n_ballots == 2


def test_from_array_names_the_bad_ballot():
    with pytest.raises(BallotError, match="ballot 2"):
        RankedBallots.from_array([[0, 1], [2, 0]], candidates=["A", "B"])


def test_grouped_merges_identical_rows():
    b = RankedBallots.from_array([[0, 1], [1, 0], [0, 1]], weights=[1, 2, 3], candidates=["A", "B"])
    g = b.grouped()
    assert g.ranks.tolist() == [[0, 1], [1, 0]]
    assert g.weights.tolist() == [4, 2]


def test_from_rankings_uses_first_appearance_order():
    b = RankedBallots.from_rankings([["B", "A"], ["A", "", "B"]])
    assert b.candidates.names == ("B", "A")
    assert b.ranks.tolist() == [[0, 1, -1], [1, -1, 0]]
