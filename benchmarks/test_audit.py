"""Audit package speed: certify (records, count, manifest, signature, zip, RCTab export) and verify.

Run with ``.venv/bin/pytest benchmarks/test_audit.py --benchmark-only``. 100,000 seeded ranked ballots
(10 candidates, random truncated rankings), IRV; the count's JIT is warmed up before timing.
"""

from __future__ import annotations

import pytest

import tally
from benchmarks.conftest import ranked_ballots
from tally.audit import AuditConfig, certify, generate_key, records_from_ranked, verify_package

N = 100_000


@pytest.fixture(scope="module")
def contest():
    ballots = ranked_ballots(N, 10)
    tally.count(ballots, method="irv")
    records = records_from_ranked(ballots)
    config = AuditConfig(
        contest="bench", ballot_type="ranked", method="irv", candidates=ballots.candidates.names, seed="s"
    )
    return config, records, generate_key()


def test_certify_100k_ranked(benchmark, contest):
    config, records, key = contest
    cert = benchmark.pedantic(certify, args=(config, records, key), rounds=2, iterations=1)
    benchmark.extra_info["package_bytes"] = len(cert.package)


def test_verify_100k_ranked(benchmark, contest):
    config, records, key = contest
    package = certify(config, records, key).package
    report = benchmark.pedantic(verify_package, args=(package,), rounds=2, iterations=1)
    assert report.ok
