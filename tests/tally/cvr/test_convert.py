"""`tally convert`: RCTab's conversion outputs, all-or-nothing writing, and a CSV that reads back."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.cli import cli
from tally.cvr import read_source
from tally.cvr.convert import convert
from tally.errors import CvrError
from tally.rctab.config import load
from tally.rctab.model import CvrSource

from .conftest import RCTAB


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("GeneratedDate", "generatedBy")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


CONVERSION_CASES = sorted(p.name for p in RCTAB.iterdir() if p.name.startswith("conversions_"))


@pytest.mark.parametrize("case", CONVERSION_CASES)
def test_convert_matches_rctab_conversion(case, tmp_path):
    folder = RCTAB / case
    result = CliRunner().invoke(
        cli, ["convert", str(folder / f"{case}_config.json"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    expected_csv = (folder / f"{case}_expected.csv").read_text().splitlines()
    assert (tmp_path / "o" / "rctab_cvr.csv").read_text().splitlines() == expected_csv
    expected_cdf = folder / f"{case}_expected_cdf_cvr.json"
    got = json.loads((tmp_path / "o" / "cdf_cvr.json").read_text())
    assert _strip(got) == _strip(json.loads(expected_cdf.read_text()))


def test_convert_bad_cvr_fails_in_one_line_and_writes_nothing(tmp_path):
    case = RCTAB / "max_ranking_enforcement"
    out = tmp_path / "o"
    result = CliRunner().invoke(
        cli, ["convert", str(case / "max_ranking_enforcement_config.json"), "--out", str(out)]
    )
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith("tally: error:") and "\n" not in line
    assert "max_ranking_enforcement_cvr.csv" in line
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_convert_into_existing_folder_replaces_only_its_files(tmp_path):
    config = load(RCTAB / "generic_csv_test" / "generic_csv_test_config.json")
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    written = convert(config, out, ["csv"])
    assert written == [out / "rctab_cvr.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "rctab_cvr.csv"]


@pytest.mark.parametrize(
    "case",
    [
        "dominion_alaska",
        "dominion_multi_file",
        "hart_travis_county_officers",
        "clear_ballot_kansas_primary",
        "generic_csv_test",
        "unisyn_xml_cdf_county_coroner",
        "test_set_1_exhaust_at_overvote",
    ],
)
def test_rctab_csv_reads_back_what_convert_wrote(case, tmp_path):
    config = load(RCTAB / case / f"{case}_config.json")
    convert(config, tmp_path / "o", ["csv"])
    source = CvrSource(provider="rctabCsv", file_path=tmp_path / "o" / "rctab_cvr.csv")
    back = replace(config, sources=(source,))
    original = [c for s in config.sources for c in read_source(s, config)]
    again = list(read_source(source, back))
    assert len(again) == len(original)
    for a, b in zip(original, again, strict=True):
        assert [(r, config.name_for(s)) for r, s in a.rankings] == [
            (r, back.name_for(s)) for r, s in b.rankings
        ]
        assert (a.record_id, a.supplied_id, a.tabulator_id, a.batch_id, a.precinct, a.precinct_portion) == (
            b.record_id,
            b.supplied_id,
            b.tabulator_id,
            b.batch_id,
            b.precinct,
            b.precinct_portion,
        )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_convert_never_leaves_a_partial_output(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("conv")
    shutil.copy(RCTAB / "generic_csv_test" / "generic_csv_test_config.json", root / "config.json")
    raw = bytearray((RCTAB / "generic_csv_test" / "generic_csv_test_cvr.csv").read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.sampled_from(b'0123456789,\n"x\xff'))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    (root / "generic_csv_test_cvr.csv").write_bytes(bytes(raw))
    out = root / "out"
    try:
        convert(load(root / "config.json"), out, ["csv"])
    except CvrError as err:
        assert "generic_csv_test_cvr.csv" in str(err)
        assert not out.exists()
        assert sorted(p.name for p in root.iterdir()) == ["config.json", "generic_csv_test_cvr.csv"]
    else:
        assert (out / "rctab_cvr.csv").is_file()


def test_rctab_csv_source_reproduces_the_original_count(tmp_path):
    """generic_csv_test converted, then tabulated from rctab_cvr.csv: the same detailed report as RCTab's."""
    case = RCTAB / "generic_csv_test"
    raw = json.loads((case / "generic_csv_test_config.json").read_text())
    convert(load(case / "generic_csv_test_config.json"), tmp_path / "conv", ["csv"])
    raw["cvrFileSources"] = [
        {
            "provider": "rctabCsv",
            "filePath": "conv/rctab_cvr.csv",
            "contestId": "any",
            "undeclaredWriteInLabel": "Undeclared Write-ins",
        }
    ]
    raw["outputSettings"].update(tabulateByBatch=False, tabulateByPrecinct=False)
    (tmp_path / "config.json").write_text(json.dumps(raw))
    result = CliRunner().invoke(cli, ["rctab", str(tmp_path / "config.json"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output

    def lines(path):
        return [x for x in path.read_text().splitlines() if "Generated" not in x]

    assert lines(tmp_path / "out" / "detailed_report.csv") == lines(
        case / "generic_csv_test_expected_detailed_report.csv"
    )
