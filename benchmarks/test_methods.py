"""Condorcet, approval, proportional, budget and quadratic methods, side by side with their peers.

Each test times ours with pytest-benchmark (after a warm-up call, so numba compilation is excluded) and
the peer once with ``time.perf_counter`` in the same run; the ratio goes into ``extra_info``.
Command: ``.venv/bin/pytest benchmarks/test_methods.py --benchmark-only -p no:cacheprovider -s``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from tally import count

from .methods_data import approval_matrix, approval_skewed, budget_instance, quadratic_votes, ranked_full


def _ratio(benchmark, peer_seconds: float, label: str) -> None:
    ours = benchmark.stats.stats.min
    benchmark.extra_info.update(
        peer=label, peer_s=round(peer_seconds, 3), ratio=round(peer_seconds / ours, 1)
    )
    print(f"\n{label}: ours {ours:.4f} s, peer {peer_seconds:.2f} s, ratio {peer_seconds / ours:.1f}x")


def test_schulze_1m_by_20(benchmark):
    b = ranked_full(1_000_000)
    count(b, method="schulze")
    benchmark.pedantic(count, args=(b,), kwargs={"method": "schulze"}, rounds=3, iterations=1)


def test_approval_10m_by_50(benchmark):
    b = approval_matrix(10_000_000, 50)
    count(b, method="approval")
    benchmark.pedantic(count, args=(b,), kwargs={"method": "approval"}, rounds=3, iterations=1)


def test_quadratic_10m_by_50(benchmark):
    b = quadratic_votes(10_000_000)
    kw = {"method": "quadratic", "budget": 200, "allow_negative": True}
    count(b, **kw)
    benchmark.pedantic(count, args=(b,), kwargs=kw, rounds=3, iterations=1)


@pytest.fixture(scope="module")
def pb():
    return budget_instance()


def _pabutools(b):
    pabu = pytest.importorskip("pabutools.election")
    ids = list(b.projects.names)
    projects = [pabu.Project(i, int(c)) for i, c in zip(ids, b.costs, strict=True)]
    inst = pabu.Instance(projects, budget_limit=int(b.budget))
    prof = pabu.ApprovalProfile(
        [pabu.ApprovalBallot([projects[j] for j in np.flatnonzero(r)]) for r in b.points]
    )
    return pabu, inst, prof


def test_budget_greedy_vs_pabutools(benchmark, pb):
    from pabutools.rules import greedy_utilitarian_welfare

    count(pb, method="greedy", tie_break="project-id")
    res = benchmark.pedantic(
        count, args=(pb,), kwargs={"method": "greedy", "tie_break": "project-id"}, rounds=5
    )
    pabu, inst, prof = _pabutools(pb)
    t = time.perf_counter()
    theirs = greedy_utilitarian_welfare(inst, prof, sat_class=pabu.Cost_Sat)
    peer = time.perf_counter() - t
    assert res.elected == [p.name for p in theirs]
    _ratio(benchmark, peer, "pabutools greedy_utilitarian_welfare (Cost_Sat)")


def test_budget_equal_shares_vs_pabutools(benchmark, pb):
    from pabutools.rules import method_of_equal_shares

    kw = {"method": "equalshares", "tie_break": "project-id"}
    count(pb, **kw)
    res = benchmark.pedantic(count, args=(pb,), kwargs=kw, rounds=3, iterations=1)
    pabu, inst, prof = _pabutools(pb)
    t = time.perf_counter()
    theirs = method_of_equal_shares(inst, prof, sat_class=pabu.Cost_Sat)
    peer = time.perf_counter() - t
    assert res.elected == [p.name for p in theirs]
    _ratio(benchmark, peer, "pabutools method_of_equal_shares (Cost_Sat, no completion)")


def test_budget_equal_shares_utilitarian_vs_pabutools(benchmark, pb):
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )

    kw = {"method": "equalshares/utilitarian", "tie_break": "project-id"}
    count(pb, **kw)
    res = benchmark.pedantic(count, args=(pb,), kwargs=kw, rounds=3, iterations=1)
    pabu, inst, prof = _pabutools(pb)
    rules = [method_of_equal_shares, greedy_utilitarian_welfare]
    params = [{"sat_class": pabu.Cost_Sat}, {"sat_class": pabu.Cost_Sat}]
    t = time.perf_counter()
    theirs = completion_by_rule_combination(inst, prof, rules, params)
    peer = time.perf_counter() - t
    assert res.elected == [p.name for p in theirs]
    _ratio(benchmark, peer, "pabutools MES then greedy_utilitarian_welfare (completion_by_rule_combination)")


def test_budget_equal_shares_add1_vs_pabutools(benchmark, pb):
    """Add1 reruns MES once per unit of per-voter money: here about 215 runs, i.e. hours of pabutools.
    Its run time is therefore measured on two of those runs, pabutools' ``method_of_equal_shares`` with
    per-voter money e (budget limit e x n): the first (e = floor(budget/n)) and the kept one (the
    largest e, the most rounds); each must fund exactly what ours funded at that e. The peer figure is
    their mean times the number of runs: an extrapolation from measured runs, reported as such."""
    from pabutools.rules import method_of_equal_shares

    kw = {"method": "equalshares/add1", "tie_break": "project-id"}
    count(pb, **kw)
    res = benchmark.pedantic(count, args=(pb,), kwargs=kw, rounds=2, iterations=1)
    runs = [r for r in res.rounds if r["phase"] == "add1"]
    pabu, inst, prof = _pabutools(pb)
    n = pb.n_ballots
    seconds = []
    kept = [r for r in runs if "funded" in r][-1]
    for run in (runs[0], kept):
        inst.budget_limit = int(run["per_voter_budget"] * n)
        t = time.perf_counter()
        theirs = method_of_equal_shares(inst, prof, sat_class=pabu.Cost_Sat)
        seconds.append(time.perf_counter() - t)
        assert [p.name for p in theirs] == run["funded"]
    assert res.details["equal_shares_selection"] == kept["funded"]
    benchmark.extra_info.update(runs=len(runs), pabutools_run_s=[round(x, 2) for x in seconds])
    print(f"\nadd1: {len(runs)} MES runs; pabutools per run {[round(x, 1) for x in seconds]} s")
    _ratio(benchmark, sum(seconds) / len(seconds) * len(runs), "pabutools add1, extrapolated from 2 runs")


@pytest.fixture(scope="module")
def committee():
    from tally.ballot_types import ApprovalBallots

    app = approval_skewed(100_000, 50, seed=1)
    return ApprovalBallots.from_array(app)


@pytest.mark.parametrize(
    ("method", "rule"),
    [("seq-pav", "seqpav"), ("seq-phragmen", "seqphragmen"), ("equal-shares", "equal-shares")],
)
def test_committee_vs_abcvoting(benchmark, committee, method, rule):
    abcrules = pytest.importorskip("abcvoting.abcrules")
    from abcvoting.preferences import Profile

    kw = {"method": method, "seats": 10, "tie_break": "index"}
    count(committee, **kw)
    res = benchmark.pedantic(count, args=(committee,), kwargs=kw, rounds=3, iterations=1)
    prof = Profile(50)
    prof.add_voters([set(np.flatnonzero(r).tolist()) for r in committee.approvals])
    t = time.perf_counter()
    theirs = abcrules.compute(rule, prof, 10, resolute=True)
    peer = time.perf_counter() - t
    assert sorted(int(c) for c in res.elected) == sorted(theirs[0])
    _ratio(benchmark, peer, f"abcvoting {rule}")
