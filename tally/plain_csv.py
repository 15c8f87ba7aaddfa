"""Plain CSV ranked ballots (``.csv`` for ``tally count``).

Format: UTF-8 text, no header, one ballot per row (rows end at ``\n`` or ``\r\n``), the cells holding
candidate names in rank order (first choice first). An empty cell is a blank rank; rows may have
different lengths; spaces and tabs around a name are ignored; a row with no name at all (an empty line
included) is an undervote. Candidates are indexed in order of first appearance. Standard CSV quoting is
accepted (``"Smith, Jr."``). There is no count column: a file with N rows holds N ballots.

Fast path: a file without any quote is parsed as bytes by a numba kernel (``tally._kernels_csv``): one
pass, one hash lookup per cell, no Python object per cell; the rank matrix is sized from the first 64
KiB and grown if the rest needs more. UTF-8 is checked only when some byte is not ASCII. Files with
quotes go through the ``csv`` module (strict), which gives the same result on files without quotes.
Large files are mapped into memory instead of read (``_read``).
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
import os
from itertools import chain
from pathlib import Path

import numpy as np

from . import _kernels_csv as KC
from .ballots import BLANK, Candidates, RankedBallots, rank_dtype
from .errors import BallotError, CvrError, TallyError
from .formats import Loaded, loader

MAX_NAMES = 32766  # candidate indices must fit int16 with the negative sentinels
MAP_BYTES = 2**20  # files from this size on are mapped, not read (``_read``); tests lower it


@loader(".csv")
def load_plain_csv(path: Path) -> Loaded:
    return Loaded(ballots=read_plain_csv(path))


def read_plain_csv(path: str | Path) -> RankedBallots:
    """Read a plain ranked CSV (see module docstring) into a ``RankedBallots``."""
    name = str(path)
    try:
        raw = _read(path)
    except OSError as err:
        raise CvrError(f"cannot read file ({err.strerror})", file=name) from None
    if int(np.frombuffer(raw, dtype=np.uint8).max(initial=0)) >= 0x80:
        try:
            str(raw, "utf-8")
        except UnicodeDecodeError as err:
            row = raw[: err.start].count(b"\n") + 1
            raise CvrError("not UTF-8 text", file=name, record=f"row {row}") from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        row = raw[:nul].count(b"\n") + 1
        raise CvrError("NUL byte in a CSV file", file=name, record=f"row {row}")
    try:
        if raw.find(b'"') >= 0:
            return parse_with_csv_module(str(raw, "utf-8-sig"), name)
        return parse_unquoted(raw, len(codecs.BOM_UTF8) if raw[:3] == codecs.BOM_UTF8 else 0)
    except TallyError as err:
        raise type(err)(err.message, file=name, record=err.record) from None


def _read(path: str | Path) -> bytes | mmap.mmap:
    """The file's bytes; from ``MAP_BYTES`` on, the file mapped read-only with its pages mapped at
    once (no copy: reading 38 MB into a new ``bytes`` costs about 20 ms of page faults and copying,
    mapping it from the page cache about 4 ms). Where mapping fails (a pipe), the file is read."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size >= MAP_BYTES and hasattr(mmap, "MAP_POPULATE"):
            try:
                return mmap.mmap(
                    fh.fileno(), 0, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE, prot=mmap.PROT_READ
                )
            except (OSError, ValueError):
                pass
        return fh.read()


def parse_unquoted(body: bytes | mmap.mmap, start: int = 0) -> RankedBallots:
    """Parse valid UTF-8 CSV bytes without quotes, from byte ``start`` on (the fast path; see module
    docstring)."""
    data = np.frombuffer(body, dtype=np.uint8, offset=start)
    ranks = np.full(_first_shape(body, start), BLANK, dtype=np.int8)
    table = np.full(2**16, -1, dtype=np.int32)
    word = np.empty(MAX_NAMES, dtype=np.uint64)
    first = np.empty((2, MAX_NAMES), dtype=np.int64)
    state = np.zeros(4, dtype=np.int64)
    while (outcome := KC.fill(data, ranks, table, word, first[0], first[1], state)) != KC.DONE:
        done = int(state[KC.S_ROW])
        if outcome == KC.TOO_MANY_NAMES:
            raise BallotError(f"more than {MAX_NAMES} different candidate names", record=f"row {done + 1}")
        n_rows, width, dtype = *ranks.shape, ranks.dtype
        if outcome == KC.NEED_ROWS:  # as many more as the bytes read so far suggest, plus 10%
            n_rows = done + (data.size - int(state[KC.S_POS])) * done * 11 // (10 * int(state[KC.S_POS])) + 16
        elif outcome == KC.NEED_COLUMNS:
            width = 2 * width + 1
        else:
            dtype = np.dtype(np.int16)
        grown = np.full((n_rows, width), BLANK, dtype=dtype)
        grown[:done, : ranks.shape[1]] = ranks[:done]
        ranks = grown
    n_rows, n_names, widest = (int(state[k]) for k in (KC.S_ROW, KC.S_NAMES, KC.S_WIDEST))
    names = tuple(
        body[start + int(a) : start + int(a) + int(n)].decode("utf-8")
        for a, n in zip(first[0, :n_names], first[1, :n_names], strict=True)
    )
    if n_rows == 0:
        raise BallotError("no ballots in file", record="row 1")
    candidates = Candidates(names)
    ranks = np.ascontiguousarray(ranks[:n_rows, :widest], dtype=rank_dtype(len(candidates)))
    return RankedBallots(ranks, np.ones(n_rows, dtype=np.int64), candidates)


def _first_shape(body: bytes | mmap.mmap, start: int) -> tuple[int, int]:
    """Rows and widest row estimated from the first 64 KiB (``parse_unquoted`` grows the matrix when
    the rest needs more)."""
    sample = body[start : start + 2**16]
    lines = sample.split(b"\n")
    width = max(line.count(b",") for line in lines) + 1
    if len(sample) == len(body) - start:
        return len(lines), width
    return (len(body) - start) * len(lines) * 21 // (20 * len(sample)) + 16, width


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
