"""The ES&S reader on damaged workbooks: a correct read or a CvrError naming the file, nothing else."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.cvr import ess
from tally.errors import CvrError
from tally.rctab.config import load, parse
from tests.conftest import DATA

CASE = DATA / "rctab" / "excluded_test"
ORIGINAL = (DATA / "rctab" / "_shared" / "simple_ess_cvr.xlsx").read_bytes()


def _read(path: Path, folder: Path):
    raw = json.loads((CASE / "excluded_test_config.json").read_text())
    raw["cvrFileSources"][0]["filePath"] = str(path)
    config = parse(raw, folder / "config.json")
    return list(ess.read(config.sources[0], config)), list(ess.read_counted(config.sources[0], config))


def test_the_original_reads(tmp_path):
    path = tmp_path / "cvr.xlsx"
    path.write_bytes(ORIGINAL)
    cvrs, counted = _read(path, tmp_path)
    assert len(cvrs) == 10 and sum(n for _, n in counted) == 10
    assert cvrs[0].record_id == "cvr.xlsx-1" and cvrs[0].rankings == ((1, "Mookie Blaylock"),)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(min_value=0, max_value=len(ORIGINAL)),
    flips=st.lists(st.tuples(st.integers(0, len(ORIGINAL) - 1), st.integers(0, 255)), max_size=4),
)
def test_damaged_workbooks_fail_cleanly(tmp_path, cut, flips):
    data = bytearray(ORIGINAL)
    for pos, value in flips:
        data[pos] = value
    path = tmp_path / "cvr.xlsx"
    path.write_bytes(bytes(data[: max(cut, 1)]))
    try:
        _read(path, tmp_path)
    except CvrError as err:
        assert str(path) in str(err)


@pytest.mark.parametrize(
    "case", ["2015_portland_mayor", "precinct_example", "continue_tabulation_test", "excluded_test"]
)
def test_byte_level_row_counts_equal_calamine(case, monkeypatch):
    config = load(DATA / "rctab" / case / f"{case}_config.json")
    source = config.sources[0]

    def summary():
        out = collections.Counter()
        for cvr, n in ess.read_counted(source, config):
            out[(cvr.rankings, cvr.precinct, cvr.batch_id)] += n
        return out

    assert ess._byte_counts(ess._Layout(source, config)) is not None  # the byte path is taken
    fast = summary()
    monkeypatch.setattr(ess, "_byte_counts", lambda layout: None)
    assert summary() == fast
