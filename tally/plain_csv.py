"""Plain CSV ranked ballots (``.csv`` for ``tally count``).

Format: UTF-8 text, no header, one ballot per row (rows end at ``\n`` or ``\r\n``), the cells holding
candidate names in rank order (first choice first). An empty cell is a blank rank; rows may have
different lengths; spaces and tabs around a name are ignored; a row with no name at all (an empty line
included) is an undervote. Candidates are indexed in order of first appearance. Standard CSV quoting is
accepted (``"Smith, Jr."``). There is no count column: a file with N rows holds N ballots.

Fast path: a file without any quote is parsed as bytes by a numba kernel (``tally._kernels_csv``): two
passes, one hash lookup per cell, no Python object per cell. Files with quotes go through the ``csv``
module (strict), which gives the same result on files without quotes.
"""

from __future__ import annotations

import codecs
import csv
import io
from itertools import chain
from pathlib import Path

import numpy as np

from . import _kernels_csv as KC
from .ballots import BLANK, Candidates, RankedBallots, rank_dtype
from .errors import BallotError, CvrError, TallyError
from .formats import Loaded, loader


@loader(".csv")
def load_plain_csv(path: Path) -> Loaded:
    return Loaded(ballots=read_plain_csv(path))


def read_plain_csv(path: str | Path) -> RankedBallots:
    """Read a plain ranked CSV (see module docstring) into a ``RankedBallots``."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise CvrError(f"cannot read file ({err.strerror})", file=name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        row = raw[: err.start].count(b"\n") + 1
        raise CvrError("not UTF-8 text", file=name, record=f"row {row}") from None
    if "\x00" in text:
        row = text[: text.index("\x00")].count("\n") + 1
        raise CvrError("NUL byte in a CSV file", file=name, record=f"row {row}")
    try:
        if '"' in text:
            return parse_with_csv_module(text, name)
        body = raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
        del text
        return parse_unquoted(body)
    except TallyError as err:
        raise type(err)(err.message, file=name, record=err.record) from None


def parse_unquoted(body: bytes) -> RankedBallots:
    """Parse valid UTF-8 CSV bytes without quotes (the fast path; see module docstring)."""
    data = np.frombuffer(body, dtype=np.uint8)
    n_rows, width = KC.shape(data)
    ranks = np.full((n_rows, width), BLANK, dtype=np.int16)
    table = np.full(2**16, -1, dtype=np.int32)
    first = np.empty((3, 32766), dtype=np.int64)
    n_names = KC.fill(data, ranks, table, first[0], first[1], first[2])
    if n_names < 0:
        raise BallotError("more than 32766 different candidate names", record=f"row {n_rows}")
    names = tuple(
        body[int(a) : int(b)].decode("utf-8")
        for a, b in zip(first[0, :n_names], first[1, :n_names], strict=True)
    )
    if n_rows == 0:
        raise BallotError("no ballots in file", record="row 1")
    candidates = Candidates(names)
    return RankedBallots(
        ranks.astype(rank_dtype(len(candidates))), np.ones(n_rows, dtype=np.int64), candidates
    )


def parse_with_csv_module(text: str, name: str = "") -> RankedBallots:
    """Parse CSV text with the ``csv`` module (quotes allowed)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as err:
        raise CvrError(f"malformed CSV ({err})", file=name, record=f"row {reader.line_num}") from None
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    cells = list(chain.from_iterable(rows))
    return _assemble(cells, lengths)


def _assemble(cells: list[str], lengths: np.ndarray) -> RankedBallots:
    distinct = dict.fromkeys(cells)
    order: dict[str, int] = {}
    lookup: dict[str, int] = {}
    for cell in distinct:
        key = cell.strip(" \t\r")
        if not key:
            lookup[cell] = BLANK
            continue
        lookup[cell] = order.setdefault(key, len(order))
    candidates = Candidates(tuple(order))
    dtype = rank_dtype(len(candidates))
    n_rows = len(lengths)
    width = int(lengths.max()) if n_rows else 0
    codes = np.fromiter(map(lookup.__getitem__, cells), dtype=dtype, count=len(cells))
    ranks = np.full((n_rows, width), BLANK, dtype=dtype)
    if len(cells):
        rows = np.repeat(np.arange(n_rows), lengths)
        starts = np.cumsum(lengths) - lengths
        cols = np.arange(len(cells)) - np.repeat(starts, lengths)
        ranks[rows, cols] = codes
    if n_rows == 0:
        raise BallotError("no ballots in file", record="row 1")
    return RankedBallots(ranks, np.ones(n_rows, dtype=np.int64), candidates)
