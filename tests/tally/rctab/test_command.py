"""`tally rctab` from outside: outputs, clean failures, nothing half-written, tie-break decisions file."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from tally.cli import cli
from tests.conftest import DATA

CASE = DATA / "rctab" / "tiebreak_seed_test"


def _copy_case(tmp_path, **rules):
    folder = tmp_path / "case"
    shutil.copytree(CASE, folder)
    config = folder / "tiebreak_seed_test_config.json"
    raw = json.loads(config.read_text())
    raw["cvrFileSources"][0]["filePath"] = str((CASE / raw["cvrFileSources"][0]["filePath"]).resolve())
    raw["rules"].update(rules)
    config.write_text(json.dumps(raw))
    return config


def test_writes_the_three_reports(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["rctab", str(_copy_case(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "detailed_report.csv",
        "detailed_report.json",
        "summary_report.csv",
    ]
    assert json.loads((out / "detailed_report.json").read_text())["config"]["generatedBy"].startswith(
        "tally "
    )
    summary = (out / "summary_report.csv").read_text()
    assert "Inactive Ballots by" not in summary and "Inactive Ballots Total" in summary


def test_unresolved_ask_tie_fails_cleanly_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    config = _copy_case(tmp_path, tiebreakMode="stopCountingAndAsk")
    result = CliRunner().invoke(cli, ["rctab", str(config), "--out", str(out)])
    assert result.exit_code == 2
    assert "Mookie Blaylock, Yinka Dare" in result.output or "George Gervin" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tally-rctab-")]


def test_decisions_file_resolves_ask_ties(tmp_path):
    out = tmp_path / "out"
    config = _copy_case(tmp_path, tiebreakMode="stopCountingAndAsk")
    decisions = tmp_path / "decisions.json"
    decisions.write_text(
        json.dumps(
            [
                {
                    "round": 1,
                    "tied": ["George Gervin", "Mookie Blaylock", "Yinka Dare"],
                    "choice": "Yinka Dare",
                },
                {"round": 2, "tied": ["George Gervin", "Mookie Blaylock"], "choice": "Mookie Blaylock"},
            ]
        )
    )
    result = CliRunner().invoke(
        cli, ["rctab", str(config), "--out", str(out), "--tiebreak-decisions", str(decisions)]
    )
    assert result.exit_code == 0, result.output
    assert "winners: Mookie Blaylock" in result.output
    assert "*Tie resolved in accordance with election law" in (out / "detailed_report.csv").read_text()


def test_bad_decisions_file_is_a_clean_error(tmp_path):
    decisions = tmp_path / "decisions.json"
    decisions.write_text('[{"round": "x"}]')
    config = _copy_case(tmp_path, tiebreakMode="stopCountingAndAsk")
    result = CliRunner().invoke(
        cli, ["rctab", str(config), "--out", str(tmp_path / "o"), "--tiebreak-decisions", str(decisions)]
    )
    assert result.exit_code == 2 and "entry 1" in result.output


def test_not_an_xlsx_is_a_cvr_error_naming_the_file(tmp_path):
    config = _copy_case(tmp_path)
    raw = json.loads(config.read_text())
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 definitely not a zip")
    raw["cvrFileSources"][0]["filePath"] = str(fake)
    config.write_text(json.dumps(raw))
    result = CliRunner().invoke(cli, ["rctab", str(config), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert str(fake) in result.output and "xlsx" in result.output
    assert not (tmp_path / "o").exists()


def test_slices_without_precincts_is_a_clean_error(tmp_path):
    config = _copy_case(tmp_path)
    raw = json.loads(config.read_text())
    raw["outputSettings"]["tabulateByBatch"] = True
    config.write_text(json.dumps(raw))
    result = CliRunner().invoke(cli, ["rctab", str(config), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no CVR carries a batch id" in result.output


def test_output_path_that_is_a_file_is_a_clean_error(tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    result = CliRunner().invoke(cli, ["rctab", str(_copy_case(tmp_path)), "--out", str(target)])
    assert result.exit_code == 2 and "is a file" in result.output
    assert target.read_text() == "x"


def test_existing_output_folder_receives_the_reports(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["rctab", str(_copy_case(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "keep.txt").read_text() == "mine" and (out / "detailed_report.json").is_file()
