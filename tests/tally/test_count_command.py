"""``tally count`` end to end through click's runner, and the plain CSV reader."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import tally
from tally.cli import cli
from tally.plain_csv import parse_unquoted, parse_with_csv_module, read_plain_csv

ELECTION = "A,B,C\nA,B\nB,C,A\nB,A\nC,B\nC\n,A\n"


@pytest.fixture()
def csv_file(tmp_path):
    path = tmp_path / "ballots.csv"
    path.write_text(ELECTION, encoding="utf-8")
    return path


def test_plain_csv_reads_names_in_rank_order_with_blank_cells(csv_file):
    b = read_plain_csv(csv_file)
    assert b.candidates.names == ("A", "B", "C")
    assert b.ranks.tolist()[0] == [0, 1, 2]
    assert b.ranks.tolist()[6] == [-1, 0, -1]
    assert b.n_ballots == 7


def test_plain_csv_quoted_names_and_spaces(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('"Smith, Jr.", Lee \nLee,"Smith, Jr."\n\n', encoding="utf-8")
    b = read_plain_csv(path)
    assert b.candidates.names == ("Smith, Jr.", "Lee")
    assert b.ranks.tolist() == [[0, 1], [1, 0], [-1, -1]]


def test_count_json_equals_python_api(csv_file):
    out = CliRunner().invoke(cli, ["count", str(csv_file), "--method", "irv", "--json"])
    assert out.exit_code == 0, out.output
    expected = tally.count(read_plain_csv(csv_file), method="irv").to_json()
    assert out.output.strip() == expected
    assert json.loads(out.output)["elected"] == ["B"]


def test_count_prints_round_table(csv_file):
    out = CliRunner().invoke(
        cli, ["count", str(csv_file), "-m", "stv", "--seats", "2", "--decimal-places", "2"]
    )
    assert out.exit_code == 0, out.output
    assert "round 1" in out.output and "threshold" in out.output
    assert "tie in round 2: B, C -> B" in out.output
    assert out.output.strip().endswith("elected: A, C")


def test_count_passes_extra_options_and_seed(csv_file):
    args = ["count", str(csv_file), "-m", "irv", "--seed", "s1", "-o", "elimination=batch", "--json"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    opts = json.loads(out.output)["options"]
    assert opts["seed"] == "s1" and opts["elimination"] == "batch"


@pytest.mark.parametrize(
    "args,message",
    [
        (["-m", "irv", "--decimal-places", "3"], "no option 'decimal_places'"),
        (["-m", "irv", "--seats", "2"], "fills one seat"),
        (["-m", "nosuch"], "unknown method"),
        (["-m", "stv", "-o", "quota=imperial"], "quota must be one of"),
        ([], "no --method given"),
    ],
    ids=["unknown-option", "irv-seats", "unknown-method", "bad-choice", "no-method"],
)
def test_count_refuses_bad_options_in_one_line(csv_file, args, message):
    out = CliRunner().invoke(cli, ["count", str(csv_file), *args])
    assert out.exit_code != 0
    assert message in out.output
    assert "Traceback" not in out.output and len(out.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content,row",
    [
        (b'A,B\nC,"D\n', "row 2"),
        (b"A,B\nC,\xff\n", "row 2"),
        (b"A\nB\nC,\x00\n", "row 3"),
    ],
    ids=["open-quote", "not-utf8", "nul-byte"],
)
def test_bad_file_names_file_and_row(tmp_path, content, row):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    out = CliRunner().invoke(cli, ["count", str(path), "-m", "irv"])
    assert out.exit_code != 0
    line = out.output.strip()
    assert len(line.splitlines()) == 1 and str(path) in line and row in line


def test_missing_file_is_one_line(tmp_path):
    out = CliRunner().invoke(cli, ["count", str(tmp_path / "none.csv"), "-m", "irv"])
    assert out.exit_code != 0 and "no such file" in out.output


cell_text = st.text(alphabet="ab \tÉ", max_size=3)
csv_rows = st.lists(st.lists(cell_text, min_size=0, max_size=5).map(",".join), max_size=12)


@settings(max_examples=150, deadline=None)
@given(rows=csv_rows, crlf=st.booleans(), final_newline=st.booleans())
def test_fast_csv_path_equals_csv_module(rows, crlf, final_newline):
    text = ("\r\n" if crlf else "\n").join(rows) + (
        ("\r\n" if crlf else "\n") if final_newline and rows else ""
    )
    try:
        expected = parse_with_csv_module(text)
    except tally.BallotError as err:
        with pytest.raises(tally.BallotError, match=err.message):
            parse_unquoted(text.encode("utf-8"))
        return
    got = parse_unquoted(text.encode("utf-8"))
    assert got.candidates.names == expected.candidates.names
    width = max(got.ranks.shape[1], expected.ranks.shape[1])

    def padded(m):
        out = np.full((m.shape[0], width), -1)
        out[:, : m.shape[1]] = m
        return out

    assert padded(got.ranks).tolist() == padded(expected.ranks).tolist()
