"""CVR reader throughput: a 1,000,000-CVR Dominion export through `tally rctab`, CDF JSON and XML readers.

Targets (issue 3): the Dominion export read and counted by `tally rctab` in at most 15 s with peak memory
under 1.5 GB; the CDF JSON and XML readers at least 100,000 CVRs per second. Data is generated into a
temporary folder by ``cvr_data`` (seeded). Run: ``.venv/bin/pytest benchmarks/test_cvr_readers.py -s``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cvr_data import CDF_NAMES, cdf_report, dominion_export  # noqa: E402

from tally.cvr import read_source  # noqa: E402
from tests.tally.cvr.conftest import config_for  # noqa: E402

DOMINION_CVRS = 1_000_000
CDF_CVRS = 200_000


@pytest.fixture(scope="module")
def dominion_1m(tmp_path_factory):
    return dominion_export(tmp_path_factory.mktemp("dominion"), DOMINION_CVRS // 1000)


def test_dominion_1m_tally_rctab(dominion_1m, tmp_path):
    """End to end in a fresh process, as an election officer runs it; peak RSS of that process."""
    tally = Path(sys.executable).with_name("tally")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [str(tally), "rctab", str(dominion_1m), "--out", str(tmp_path / "out")], check=False
    )
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\ntally rctab, {DOMINION_CVRS} Dominion CVRs: {seconds:.2f} s, peak RSS {peak_mb:.0f} MB")
    assert done.returncode == 0
    assert before <= peak_mb * 1024
    assert seconds <= 15
    assert peak_mb < 1536


def _count(config) -> int:
    return sum(1 for source in config.sources for _ in read_source(source, config))


def test_dominion_1m_reader_only(benchmark, dominion_1m):
    from tests.tally.cvr.rctab_config import load

    config = load(dominion_1m)
    n = benchmark.pedantic(_count, args=(config,), rounds=1, iterations=1)
    rate = n / benchmark.stats.stats.mean
    print(f"\nDominion reader: {n} CVRs, {rate:,.0f} CVRs/s")
    assert n == DOMINION_CVRS


@pytest.mark.parametrize("form", ["json", "xml"])
def test_cdf_reader_rate(benchmark, tmp_path, form):
    path = cdf_report(tmp_path / f"cvr.{form}", CDF_CVRS, xml=form == "xml")
    config = config_for(path, "cdf", CDF_NAMES, contestId="Bench")
    cpu: list[float] = []

    def timed(config) -> int:
        start = time.process_time()
        n = _count(config)
        cpu.append(time.process_time() - start)
        return n

    n = benchmark.pedantic(timed, args=(config,), rounds=3, iterations=1)
    rate = n / benchmark.stats.stats.mean
    stats = benchmark.stats.stats
    print(
        f"\nCDF {form}: {n} CVRs ({path.stat().st_size / 1e6:.0f} MB), wall: {rate:,.0f} CVRs/s mean, "
        f"{n / stats.min:,.0f} best; {n / min(cpu):,.0f} CVRs per CPU-second (all threads, best); "
        f"load {os.getloadavg()[0]:.1f}"
    )
    assert n == CDF_CVRS
    assert rate >= 100_000
