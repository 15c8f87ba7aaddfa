"""`tally rctab` at scale: RCTab's 2013 Minneapolis mayor CVR replicated 13 times (1,041,313 ballots).

Target (issue 2): end to end in at most 10 s. The replicated workbook (shared strings, as ES&S writes
them) is generated into a temporary folder by ``rctab_data``. The run is a fresh `tally` process, as an
election officer runs it; the winner and the ballot count are checked, and the round-1 percentages must
equal those of the unreplicated case's expected report.
Run: ``.venv/bin/pytest benchmarks/test_rctab_scale.py -s -p no:cacheprovider``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rctab_data import CASE, write_replicated_mayor  # noqa: E402

TIMES = 13
LIMIT_S = 10.0


@pytest.fixture(scope="module")
def mayor_x13(tmp_path_factory):
    return write_replicated_mayor(tmp_path_factory.mktemp("mayor"), TIMES)


def test_mayor_x13_tally_rctab_end_to_end(mayor_x13, tmp_path):
    tally = Path(sys.executable).with_name("tally")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(tally), "rctab", str(mayor_x13), "--out", str(tmp_path / "out")], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = after.ru_maxrss / 1024
    print(f"\ntally rctab, mayor x{TIMES}: {elapsed:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss:.0f} MB")
    report = json.loads((tmp_path / "out" / "detailed_report.json").read_text())
    assert report["summary"]["totalNumBallots"] == str(80101 * TIMES)
    expected = json.loads((CASE / "2013_minneapolis_mayor_expected_detailed_report.json").read_text())
    assert len(report["results"]) == len(expected["results"])
    assert report["results"][-1]["tallyResults"][0]["elected"] == "BETSY HODGES"
    assert elapsed <= LIMIT_S
