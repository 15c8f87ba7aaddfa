"""The .apv approval ballot file through ``tally count``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tally import TallyError
from tally.cli import cli
from tally.formats import load

GOOD = "# council\nAna, Ben, Chloe\nAna, Chloe\nBen\n\nChloe\n"


def test_apv_file_counts_with_any_approval_method(tmp_path):
    path = tmp_path / "c.apv"
    path.write_text(GOOD, encoding="utf-8")
    loaded = load(path)
    assert loaded.method == "approval"
    assert loaded.ballots.approvals.tolist() == [
        [True, False, True],
        [False, True, False],
        [False, False, False],
        [False, False, True],
    ]
    out = CliRunner().invoke(cli, ["count", str(path), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["elected"] == ["Chloe"]
    out = CliRunner().invoke(cli, ["count", str(path), "--method", "seq-phragmen", "--seats", "2", "--json"])
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.output)["elected"]) == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Ana, Ben\nAna, Zed\n", "line 2: unknown candidate 'Zed'"),
        ("Ana, Ben\nAna, Ana\n", "line 2: 'Ana' approved twice"),
        ("Ana, Ana\n", "line 1: the candidate line"),
        ("# only\n", "no candidate line"),
    ],
    ids=["unknown", "twice", "header", "empty"],
)
def test_apv_errors_name_file_and_line(tmp_path, body, message):
    path = tmp_path / "bad.apv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TallyError) as err:
        load(path)
    assert str(path) in str(err.value) and message in str(err.value)
