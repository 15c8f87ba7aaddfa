"""Private numba kernel for the plain CSV fast path (files without quotes). Wrapper: ``tally.plain_csv``.

The file is a byte array. Rows end at ``\\n``, cells at ``,``; spaces and tabs before a cell and spaces,
tabs and ``\\r`` after it are dropped. Each distinct cell text gets an index in order of first
appearance, found through an open-addressing table keyed by a hash of the cell and confirmed against
the name's first occurrence (length, then every byte), so equal hashes of different names never merge
them. An empty cell is a blank rank (-1).

One pass, 8 bytes at a time: the kernel reads a cell as 64-bit words, finds the ``,`` or ``\\n`` that
ends it with bit arithmetic on the word, and folds each full word into the hash; the last ``length % 8``
bytes stay packed in one word, so a name shorter than 8 bytes is confirmed by a single comparison and
a longer one word by word. Only a cell with spaces, tabs or ``\\r`` around it is read twice.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NL = 10
CR = 13
COMMA = 44
SPACE = 32
TAB = 9

# ``fill`` outcomes
DONE = 0
NEED_ROWS = 1  # the rank matrix has too few rows
NEED_COLUMNS = 2  # a row has more cells than the rank matrix has columns
NEED_WIDER_TYPE = 3  # more names than the rank matrix's integer type holds
TOO_MANY_NAMES = 4  # more names than the name arrays hold

# ``state`` slots: where to go on, how far it got
S_POS = 0  # byte offset of the next row
S_ROW = 1  # its row index
S_NAMES = 2  # names found so far
S_WIDEST = 3  # most cells in any row so far

_SEED = np.uint64(0x9E3779B97F4A7C15)
_LOW = np.uint64(0xFFFFFFFF)
_MUL_LOW = np.uint64(0x9E3779B1)
_MUL_HIGH = np.uint64(0x85EBCA77)
_SEVENS = np.uint64(0x7F7F7F7F7F7F7F7F)
_COMMAS = np.uint64(0x2C2C2C2C2C2C2C2C)
_NLS = np.uint64(0x0A0A0A0A0A0A0A0A)

# The word arithmetic never overflows 64 bits (products of 32-bit halves; no borrow), so it is the same,
# and silent, when numba's JIT is disabled and numpy runs it.


@njit(cache=True)
def _word(data, i, n):
    """The 8 bytes from ``data[i]`` packed little-endian, with ``\\n`` for bytes past ``n``."""
    if i + 8 <= n:
        at = np.uint64(i)  # an unsigned index needs no wrap-around check: LLVM makes the 8 loads one
        w = np.uint64(0)
        for j in range(8):
            w |= np.uint64(data[at + np.uint64(j)]) << np.uint64(8 * j)
        return w
    w = np.uint64(0)
    for j in range(8):
        ch = data[i + j] if i + j < n else NL
        w |= np.uint64(ch) << np.uint64(8 * j)
    return w


@njit(cache=True)
def _zero_bytes(x):
    """The high bit of each byte of ``x`` that is zero."""
    return ~(((x & _SEVENS) + _SEVENS) | x | _SEVENS)


@njit(cache=True)
def _delimiter(w):
    """Index (0-7) of the first ``,`` or ``\\n`` byte in ``w``, 8 if there is none."""
    m = _zero_bytes(w ^ _COMMAS) | _zero_bytes(w ^ _NLS)
    if m == 0:
        return 8
    low = m & (~m + np.uint64(1))  # its lowest set bit, 8 * index + 7
    k = 0
    for j in range(7):
        k += low > (np.uint64(0x80) << np.uint64(8 * j))
    return k


@njit(cache=True)
def _fold(h, w):
    v = h ^ w
    return ((v & _LOW) * _MUL_LOW) ^ ((v >> np.uint64(32)) * _MUL_HIGH)


@njit(cache=True)
def _finish(h, w, length):
    h = _fold(_fold(h, w) ^ np.uint64(length), np.uint64(0))
    return h ^ (h >> np.uint64(31))


@njit(cache=True)
def _key(data, a, b):
    """Hash and last packed word of the text ``data[a:b]``, as ``fill``'s scan computes them: every
    full 8 bytes folded into the hash, the last ``(b - a) % 8`` bytes packed into the word."""
    h = _SEED
    i = a
    while b - i >= 8:
        h = _fold(h, _word(data, i, b))
        i += 8
    w = np.uint64(0)
    for j in range(b - i):
        w |= np.uint64(data[i + j]) << np.uint64(8 * j)
    return _finish(h, w, b - a), w


@njit(cache=True)
def _same(data, a, s, length):
    """Whether the full 8-byte words of ``data[a:a+length]`` and ``data[s:s+length]`` are equal."""
    for j in range(0, length - 7, 8):
        if _word(data, a + j, a + length) != _word(data, s + j, s + length):
            return False
    return True


@njit(cache=True)
def _save(state, pos, row, names, widest):
    state[S_POS] = pos
    state[S_ROW] = row
    state[S_NAMES] = names
    state[S_WIDEST] = widest


@njit(cache=True)
def fill(data, ranks, table, name_word, name_start, name_len, state):
    """Write each cell's name index into ``ranks`` (pre-filled with -1), from row ``state[S_ROW]`` at
    byte ``state[S_POS]``. ``table`` (size a power of two, -1 = empty) maps hashes to name indices;
    ``name_start``/``name_len`` locate each name's first occurrence, ``name_word`` holds its last
    ``length % 8`` bytes packed. Stops at the start of a row that does not fit (``NEED_*``), leaving
    ``state`` there so that a call with a larger ``ranks`` goes on; returns ``DONE`` at the end of the
    data, and ``TOO_MANY_NAMES`` (``state[S_ROW]`` set) when the name arrays are full."""
    n = data.shape[0]
    n_rows, width = ranks.shape
    mask = table.shape[0] - 1
    top = np.iinfo(ranks.dtype).max
    i = state[S_POS]
    row = state[S_ROW]
    names = state[S_NAMES]
    widest = state[S_WIDEST]
    while i < n:
        if row == n_rows:
            break
        row_start = i
        col = 0
        while True:
            start = i
            h = _SEED
            while True:
                w = _word(data, i, n)
                k = _delimiter(w)
                if k < 8:
                    break
                h = _fold(h, w)
                i += 8
            i = min(i + k, n)
            w &= (np.uint64(1) << np.uint64(8 * k)) - np.uint64(1)
            if col == width:
                _save(state, row_start, row, names, widest)
                return NEED_COLUMNS
            a = start
            b = i
            if a < b:
                c0 = data[a]
                c1 = data[b - 1]
                if c0 == SPACE or c0 == TAB or c1 == SPACE or c1 == TAB or c1 == CR:  # noqa: SIM109
                    while a < b and (data[a] == SPACE or data[a] == TAB):
                        a += 1
                    while b > a and (data[b - 1] == SPACE or data[b - 1] == TAB or data[b - 1] == CR):
                        b -= 1
                    h, w = _key(data, a, b)
                else:
                    h = _finish(h, w, b - a)
            if a < b:
                length = b - a
                slot = h & np.uint64(mask)
                while True:
                    idx = table[slot]
                    if idx < 0:
                        if names > top:
                            _save(state, row_start, row, names, widest)
                            return NEED_WIDER_TYPE
                        if names == name_start.shape[0]:
                            state[S_ROW] = row
                            return TOO_MANY_NAMES
                        table[slot] = names
                        name_word[names] = w
                        name_start[names] = a
                        name_len[names] = length
                        idx = names
                        names += 1
                        break
                    at = np.uint64(idx)
                    if (
                        name_len[at] == length
                        and name_word[at] == w
                        and (length < 8 or _same(data, a, name_start[at], length))
                    ):
                        break
                    slot = (slot + np.uint64(1)) & np.uint64(mask)
                ranks[np.uint64(row), np.uint64(col)] = idx
            col += 1
            if i == n or data[i] == NL:
                break
            i += 1
        if col > widest:
            widest = col
        row += 1
        i += 1
    _save(state, i, row, names, widest)
    return DONE if i >= n else NEED_ROWS
