"""Differential tests: sequential PAV, exact PAV, sequential Phragmén and Equal Shares against abcvoting."""

from __future__ import annotations

import numpy as np
import pytest

from tally import count
from tally.ballot_types import ApprovalBallots

pytestmark = pytest.mark.peers
abcrules = pytest.importorskip("abcvoting.abcrules")
from abcvoting.preferences import Profile, Voter  # noqa: E402

RULES = {"seq-pav": "seqpav", "pav": "pav", "seq-phragmen": "seqphragmen", "equal-shares": "equal-shares"}


def _instance(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 8))
    n = int(rng.integers(1, 25))
    app = rng.random((n, m)) < rng.uniform(0.15, 0.6)
    weights = rng.integers(1, 4, size=n)
    k = int(rng.integers(1, m + 1))
    return app, weights, k


def _profile(app, weights):
    prof = Profile(app.shape[1])
    prof.add_voters(
        [Voter(set(np.flatnonzero(row).tolist()), weight=int(w)) for row, w in zip(app, weights, strict=True)]
    )
    return prof


@pytest.mark.parametrize("seed", range(40), ids=lambda s: f"seed{s}")
@pytest.mark.parametrize("method", list(RULES))
def test_committee_equals_abcvoting(method, seed):
    app, weights, k = _instance(seed)
    ours = count(ApprovalBallots.from_array(app, weights), method=method, seats=k, tie_break="index")
    prof = _profile(app, weights)
    committee = sorted(int(c) for c in ours.elected)
    assert len(committee) == k
    algo = {"algorithm": "brute-force"} if method == "pav" else {}
    everyone = [sorted(c) for c in abcrules.compute(RULES[method], prof, k, resolute=False, **algo)]
    assert committee in everyone
    if method != "pav":
        resolute = abcrules.compute(RULES[method], prof, k, resolute=True)
        assert committee == sorted(resolute[0])
    else:
        assert sorted(sorted(int(x) for x in c) for c in ours.details["optimal_committees"]) == sorted(
            everyone
        )
