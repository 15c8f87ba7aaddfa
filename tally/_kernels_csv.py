"""Private numba kernels for the plain CSV fast path (files without quotes). Wrapper: ``tally.plain_csv``.

The file is a byte array. Rows end at ``\\n`` (a ``\\r`` before it is dropped), cells at ``,``; spaces
and tabs around a cell are dropped. Each distinct cell text gets an index in order of first appearance,
found through an open-addressing table keyed by the cell's FNV-1a hash and confirmed byte by byte, so
equal hashes of different names cannot merge them. An empty cell is a blank rank (-1).
"""

from __future__ import annotations

import numpy as np
from numba import njit

NL = 10
CR = 13
COMMA = 44
SPACE = 32
TAB = 9


@njit(cache=True)
def shape(data):
    """``(rows, widest row in cells)``; a last line without ``\\n`` counts when it is not empty."""
    rows = 0
    width = 0
    cells = 1
    for i in range(data.shape[0]):
        ch = data[i]
        if ch == COMMA:
            cells += 1
        elif ch == NL:
            rows += 1
            if cells > width:
                width = cells
            cells = 1
    if data.shape[0] and data[data.shape[0] - 1] != NL:
        rows += 1
        if cells > width:
            width = cells
    return rows, width


@njit(cache=True)
def _same(data, a0, a1, b0, b1):
    if a1 - a0 != b1 - b0:
        return False
    for j in range(a1 - a0):  # noqa: SIM110 (numba: no generator in all())
        if data[a0 + j] != data[b0 + j]:
            return False
    return True


@njit(cache=True)
def fill(data, ranks, table, first_start, first_end, first_row):
    """Write each cell's name index into ``ranks`` (pre-filled with -1). ``table`` (size a power of two,
    -1 = empty) maps hashes to indices; ``first_*`` record each name's first occurrence. Returns the
    number of names, or -1 when there are more names than ``first_start`` holds."""
    n = data.shape[0]
    mask = table.shape[0] - 1
    names = 0
    row = 0
    col = 0
    start = 0
    i = 0
    while i <= n:
        if i < n and data[i] != COMMA and data[i] != NL:
            i += 1
            continue
        # cell [start, i): trim spaces, tabs and a trailing CR
        a = start
        b = i
        while a < b and (data[a] == SPACE or data[a] == TAB):
            a += 1
        while b > a and (data[b - 1] == SPACE or data[b - 1] == TAB or data[b - 1] == CR):
            b -= 1
        last_line_end = i == n and (n == 0 or data[n - 1] == NL)
        if a < b and not last_line_end:
            h = np.uint64(14695981039346656037)
            for j in range(a, b):
                h = (h ^ np.uint64(data[j])) * np.uint64(1099511628211)
            slot = np.int64(h & np.uint64(mask))
            while True:
                idx = table[slot]
                if idx < 0:
                    if names == first_start.shape[0]:
                        return -1
                    table[slot] = names
                    first_start[names] = a
                    first_end[names] = b
                    first_row[names] = row
                    idx = names
                    names += 1
                    break
                if _same(data, a, b, first_start[idx], first_end[idx]):
                    break
                slot = (slot + 1) & mask
            ranks[row, col] = idx
        if i < n and data[i] == COMMA:
            col += 1
        else:
            row += 1
            col = 0
        i += 1
        start = i
    return names
