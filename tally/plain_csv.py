"""Plain CSV ranked ballots (``.csv`` for ``tally count``).

Format: UTF-8 text, no header, one ballot per row, the cells holding candidate names in rank order
(first choice first). An empty cell is a blank rank; rows may have different lengths; surrounding spaces
in a name are ignored; a row with no name at all is an undervote. Candidates are indexed in order of
first appearance. Standard CSV quoting is accepted (``"Smith, Jr."``). There is no count column: a file
with N rows holds N ballots.

Fast path: without quotes, lines are split on commas in C (``str.split``) and names map to indices
through one dict lookup per cell (``map`` + ``np.fromiter``), so 1M ballots read in about a second.
"""

from __future__ import annotations

import csv
import io
from itertools import chain
from pathlib import Path

import numpy as np

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
    if '"' in text:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            rows = list(reader)
        except csv.Error as err:
            raise CvrError(f"malformed CSV ({err})", file=name, record=f"row {reader.line_num}") from None
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        cells = list(chain.from_iterable(rows))
    else:
        lines = text.splitlines()
        lengths = np.fromiter((line.count(",") + 1 for line in lines), dtype=np.int64, count=len(lines))
        cells = ",".join(lines).split(",") if lines else []
        # an empty line is one blank cell, which the scatter below treats as an undervote
    try:
        return _assemble(cells, lengths)
    except TallyError as err:
        raise type(err)(err.message, file=name, record=err.record) from None


def _assemble(cells: list[str], lengths: np.ndarray) -> RankedBallots:
    distinct = dict.fromkeys(cells)
    order: dict[str, int] = {}
    lookup: dict[str, int] = {}
    for cell in distinct:
        key = cell.strip()
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
