"""``tally count`` end to end through click's runner, and the plain CSV reader."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import tally
from tally import _kernels_csv as KC
from tally import plain_csv
from tally.cli import cli
from tally.plain_csv import parse_unquoted, parse_with_csv_module, read_plain_csv
from tests.conftest import DATA

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


def assert_same_ballots(got, expected):
    assert got.candidates.names == expected.candidates.names
    width = max(got.ranks.shape[1], expected.ranks.shape[1])

    def padded(m):
        out = np.full((m.shape[0], width), -1)
        out[:, : m.shape[1]] = m
        return out

    assert padded(got.ranks).tolist() == padded(expected.ranks).tolist()


# short cells, and long ones that share their first 8 or 16 bytes (the fast path reads 8 bytes at a time)
cell_text = st.text(alphabet="ab \tÉ", max_size=3) | st.builds(
    "".join, st.lists(st.sampled_from(["abcdefgh", "abcdefgi", "a", "É", " "]), max_size=4)
)
csv_rows = st.lists(st.lists(cell_text, min_size=0, max_size=5).map(",".join), max_size=12)


@settings(max_examples=200, deadline=None)
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
    assert_same_ballots(parse_unquoted(text.encode("utf-8")), expected)


def test_fast_csv_path_grows_past_its_first_64k(tmp_path):
    """The rank matrix is sized from the first 64 KiB: later rows that are more numerous, wider, or name
    more candidates than an int8 holds make it grow, with the same result as the csv module."""
    rng = np.random.default_rng(5)
    names = [f"candidate {i:03d}" + "x" * (i % 9) for i in range(300)]
    rows = []
    for r in range(30_000):
        pool = 5 if r < 20_000 else 300  # the first 64 KiB name few candidates in short rows
        k = int(rng.integers(0, 4 if r < 20_000 else 40))
        rows.append(",".join(names[j] if j % 7 else "" for j in rng.integers(0, pool, k)))
    text = "\n".join(rows)
    path = tmp_path / "grow.csv"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    got = read_plain_csv(path)
    assert_same_ballots(got, parse_with_csv_module(text))
    assert got.ranks.dtype == np.int16 and got.ranks.flags.c_contiguous


def test_fast_csv_path_refuses_too_many_names(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("\n".join(f"c{i}" for i in range(32_767)) + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["count", str(path), "-m", "irv"])
    assert out.exit_code != 0
    assert "more than 32766 different candidate names" in out.output and "row 32767" in out.output


def test_fast_csv_path_confirms_names_whose_hashes_collide():
    """With a table of 8 slots most names share a slot: only the byte comparison keeps them apart."""
    text = b"abcdefgh,abcdefgi,a\nabcdefghabcdefgh,abcdefghabcdefgi,b\nabcdefgi,a,abcdefghabcdefgh\n"
    data = np.frombuffer(text, dtype=np.uint8)
    ranks = np.full((3, 3), -1, dtype=np.int8)
    word, first, state = np.empty(8, np.uint64), np.empty((2, 8), np.int64), np.zeros(4, np.int64)
    table = np.full(8, -1, dtype=np.int32)
    assert KC.fill(data, ranks, table, word, first[0], first[1], state) == KC.DONE
    assert ranks.tolist() == [[0, 1, 2], [3, 4, 5], [1, 2, 3]]
    assert ranks.tolist() == parse_unquoted(text).ranks.tolist()


_NOJIT_SCRIPT = """
import json, sys
from tally.plain_csv import parse_unquoted
b = parse_unquoted(sys.stdin.buffer.read())
print(json.dumps([b.candidates.names, b.ranks.tolist()]))
"""


def test_fast_csv_path_is_the_same_without_jit():
    rng = np.random.default_rng(3)
    names = ["a", "abcdefgh", "abcdefgi", "abcdefghabcdefgh", "Étienne", " x ", "y\r", "\tz"]
    rows = [",".join(names[j] for j in rng.integers(0, len(names), rng.integers(0, 7))) for _ in range(300)]
    text = "\n".join(rows).encode("utf-8")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", _NOJIT_SCRIPT],
        input=text,
        env=env,
        capture_output=True,
        check=True,
    )
    names_nojit, ranks_nojit = json.loads(proc.stdout)
    got = parse_unquoted(text)
    assert list(got.candidates.names) == names_nojit and got.ranks.tolist() == ranks_nojit


_PROBES_SCRIPT = """
import json, os, sys
import tally.cli
tally.cli._exit_now = lambda code: None  # look at the process before it ends
from tally.cli import main
sys.argv = ["tally", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
from numba.core.typing import cffi_utils
from numba.np import arraymath
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("cffi", "scipy"))
registries = sorted(m for m in ("numba.typed.typeddict", "numba.np.npyimpl") if m in sys.modules)
import cffi, scipy.linalg  # still importable afterwards
print(json.dumps({"blas": arraymath._HAVE_BLAS, "cffi": cffi_utils.SUPPORTED, "loaded": loaded,
                  "registries": registries, "openblas": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


def test_tally_command_starts_numba_lean(csv_file):
    """The console script keeps numba from importing SciPy and cffi (tally's kernels use neither;
    both stay importable), loads cached kernels without numba's registries and asks for
    one OpenBLAS thread; a library process keeps numba's own probes."""
    pytest.importorskip("scipy.linalg")
    pytest.importorskip("cffi")
    run = [sys.executable, "-c", _PROBES_SCRIPT, "count", str(csv_file), "-m", "irv", "--json"]
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    subprocess.run(run, env=env, capture_output=True, check=True)  # the kernels are in the cache after
    proc = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    *counted, probes = proc.stdout.strip().splitlines()
    assert json.loads(counted[0])["elected"] == ["B"]
    assert json.loads(probes) == {
        "blas": False, "cffi": False, "loaded": [], "registries": [], "openblas": "1"
    }  # fmt: skip
    library = (
        "import numba.np.arraymath as a, numba.core.typing.cffi_utils as c; print(a._HAVE_BLAS, c.SUPPORTED)"
    )
    proc = subprocess.run([sys.executable, "-c", f"import tally; {library}"], capture_output=True, text=True)
    assert proc.stdout.split() == ["True", "True"], proc.stderr


_CONSOLE = "import sys; from tally.cli import main; sys.argv[0] = 'tally'; main()"
_APPROVALS = "Ana, Ben, Chloe\nAna, Chloe\nBen\n\nChloe\n"
_BUDGET = "pabulib/Poland_Gdynia_2024_Dabrowa__small.pb"


@pytest.mark.parametrize(
    ("kind", "args"),
    [
        ("csv", ["-m", "irv"]),
        ("csv", ["-m", "stv", "--seats", "2"]),
        ("csv", ["-m", "schulze"]),
        ("apv", ["-m", "pav", "--seats", "2"]),
        ("pb", []),
    ],
    ids=["irv", "stv", "schulze", "pav", "equal-shares"],
)
def test_console_script_prints_what_the_command_prints(csv_file, tmp_path, kind, args):
    """The console script (lean numba start, no interpreter teardown) gives the command's exact output
    and status, whether its kernels come from the cache or not (the first run may compile them)."""
    path = csv_file
    if kind == "apv":
        path = tmp_path / "c.apv"
        path.write_text(_APPROVALS, encoding="utf-8")
    elif kind == "pb":
        path = DATA / "elections" / _BUDGET
        if not path.is_file():
            pytest.skip(f"{path} not available")
    expected = CliRunner().invoke(cli, ["count", str(path), *args, "--json"])
    assert expected.exit_code == 0, expected.output
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", _CONSOLE, "count", str(path), *args, "--json"],
            capture_output=True,
            text=True,
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, expected.output, "")


def test_console_script_keeps_the_error_status(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", _CONSOLE, "count", str(tmp_path / "absent.csv"), "-m", "irv"],
        capture_output=True,
        text=True,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.strip() == f"tally: error: {tmp_path / 'absent.csv'}: no such file"


@pytest.mark.parametrize(
    "body",
    [
        ELECTION.encode(),
        codecs.BOM_UTF8 + "Émile,Zoë\r\nZoë\n\n,Émile".encode(),
        b'"Smith, Jr.",Lee\nLee\n',
        b"A,B\nB,\xff\n",
        b"A,B\nB\x00,A\n",
        b"",
    ],
    ids=["ascii", "bom-utf8", "quoted", "not-utf8", "nul", "empty"],
)
def test_plain_csv_mapped_or_read_gives_the_same(tmp_path, monkeypatch, body):
    """Files from ``MAP_BYTES`` on are mapped instead of read: the same ballots, or the same error."""
    path = tmp_path / "b.csv"
    path.write_bytes(body)

    def outcome():
        try:
            b = read_plain_csv(path)
        except tally.TallyError as err:
            return str(err)
        return b.candidates.names, b.ranks.tolist(), b.ranks.dtype

    read = outcome()
    monkeypatch.setattr(plain_csv, "MAP_BYTES", 1)
    assert outcome() == read
