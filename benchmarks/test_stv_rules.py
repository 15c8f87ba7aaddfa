"""Speed of the droop-family STV rules (``tally/stvrules``), and Scottish STV beside pref_voting.

Run: ``.venv/bin/pytest benchmarks/test_stv_rules.py --benchmark-only``. The rules are plain Python over
the *distinct* rankings (identical ballots are merged first), so time grows with the number of distinct
rankings and stages, not with the number of ballots.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import tally
from benchmarks.conftest import ranked_ballots
from tally.formats import load

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "elections"
RULES = ["scotland", "wigm-prf", "cfer", "mpls", "qpq", "meek", "meek-prf"]


@pytest.mark.parametrize("method", RULES)
def test_stv_rule_100k_random_ballots(benchmark, method):
    ballots = ranked_ballots(100_000, 10)  # 63,051 distinct truncated rankings
    result = benchmark.pedantic(
        tally.count, args=(ballots,), kwargs={"method": method, "seats": 3}, rounds=3, iterations=1
    )
    benchmark.extra_info["stages"] = max(a["round"] for a in result.rounds)
    assert len(result.elected) == 3


def test_scotland_all_glasgow_wards(benchmark):
    wards = [load(p) for p in sorted((DATA / "glasgow2007").glob("*.blt"))]

    def run():
        return [tally.count(w.ballots, method="scotland", seats=w.seats) for w in wards]

    results = benchmark.pedantic(run, rounds=5, iterations=1)
    assert len(results) == len(wards)


@pytest.mark.parametrize("side", ["tally", "pref_voting"])
def test_scotland_beside_pref_voting_10k(benchmark, side):
    ballots = ranked_ballots(10_000, 8, seed=3)
    if side == "tally":
        benchmark.pedantic(tally.count, args=(ballots,), kwargs={"method": "scotland", "seats": 3}, rounds=3)
        return
    pv = pytest.importorskip("pref_voting")
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_scottish

    assert pv
    rows = [[c for c in r if c >= 0] for r in ballots.ranks.tolist()]
    prof = ProfileWithTies([{c: i + 1 for i, c in enumerate(r)} for r in rows], candidates=list(range(8)))
    benchmark.pedantic(stv_scottish, args=(prof,), kwargs={"num_seats": 3, "rng": random.Random(0)}, rounds=1)
