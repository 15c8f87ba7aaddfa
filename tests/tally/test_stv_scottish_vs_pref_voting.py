"""Scottish STV against pref_voting's ``stv_scottish`` (extra ``peers``) on generated profiles.

pref_voting decides a tie "by lot" at random, ours by the declared order, so profiles where our count
needed a lot are set aside (``assume``); every other profile must elect the same set.
"""

from __future__ import annotations

import random
import warnings

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tally
from tally.ballots import RankedBallots
from tally.formats import load

from ..conftest import DATA

pytestmark = pytest.mark.peers
pv = pytest.importorskip("pref_voting")
from pref_voting.profiles_with_ties import ProfileWithTies  # noqa: E402
from pref_voting.proportional_methods import stv_scottish  # noqa: E402


def _theirs(rows, counts, n, seats):
    prof = ProfileWithTies(
        [{c: i + 1 for i, c in enumerate(r)} for r in rows], rcounts=counts, candidates=list(range(n))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sorted(stv_scottish(prof, num_seats=seats, rng=random.Random(0)))


@st.composite
def profiles(draw):
    n = draw(st.integers(3, 7))
    seats = draw(st.integers(1, min(3, n - 1)))
    rows = draw(
        st.lists(
            st.permutations(range(n)).flatmap(lambda p: st.integers(1, n).map(lambda k: p[:k])),
            min_size=3,
            max_size=40,
        )
    )
    counts = draw(st.lists(st.integers(1, 9), min_size=len(rows), max_size=len(rows)))
    return n, seats, [list(r) for r in rows], counts


@settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much]
)
@given(profiles())
def test_scottish_stv_elects_what_pref_voting_elects(profile):
    n, seats, rows, counts = profile
    ballots = RankedBallots.from_array(
        [r + [-1] * (n - len(r)) for r in rows], weights=counts, candidates=[str(i) for i in range(n)]
    )
    result = tally.count(ballots, method="scotland", seats=seats)
    assume(not any(t["rule"] == "Break tie by lot" for t in result.ties))
    assert sorted(int(c) for c in result.elected) == _theirs(rows, counts, n, seats)


@pytest.mark.parametrize("name", ["00007-00000001", "00007-00000008", "00007-00000017"])
@pytest.mark.parametrize("seats", [2, 3])
def test_scottish_stv_on_ers_elections_equals_pref_voting(name, seats):
    loaded = load(DATA / "elections" / "preflib" / "ers" / f"{name}.soi")
    b = loaded.ballots
    result = tally.count(b, method="scotland", seats=seats)
    assert not any(t["rule"] == "Break tie by lot" for t in result.ties)
    rows = [[c for c in r if c >= 0] for r in b.ranks.tolist()]
    ours = sorted(b.candidates.index(x) for x in result.elected)
    assert ours == _theirs(rows, b.weights.tolist(), len(b.candidates), seats)
