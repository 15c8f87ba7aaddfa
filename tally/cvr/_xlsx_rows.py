"""Counting identical rows of a large xlsx sheet at C speed (the ES&S fast path).

A replicated ES&S export holds a million rows but a few thousand distinct ones. Instead of turning every
cell into a Python object, this reads the sheet XML as bytes, splits the rows with one regular
expression, deletes each row's own number followed by a quote from its body (``<c r="B17"`` becomes
``<c r="B"``; values never hold a quote) and counts identical bodies with ``Counter``, all in C loops; only
distinct bodies are decoded into cells, the way calamine gives them (shared strings, numbers as floats,
booleans). Deleting the number can also touch a style attribute (``s="17"``), which only makes two equal
rows count apart, never two different rows count together.

``count_rows`` returns ``None`` whenever the sheet is not the plain case (inline strings, whose text
could hold a quote, rows not exactly 1..n, formulas, too many distinct rows); the caller then reads the
sheet with calamine.
"""

from __future__ import annotations

import collections
import html
import itertools
import re
import zipfile

_ROW_BODY = re.compile(rb"<row\b[^>]*?(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb'<c r="([A-Z]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_TEXT = re.compile(rb"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_SI = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
MAX_DISTINCT_SHARE = 4  # give up when more than 1 row in 4 is distinct: calamine is faster then


def _text(fragment: bytes) -> str:
    parts = [m.group(1) or b"" for m in _TEXT.finditer(_PHONETIC.sub(b"", fragment))]
    return html.unescape(b"".join(parts).decode("utf-8"))


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        data = archive.read("xl/sharedStrings.xml")
    except KeyError:
        return []
    return [_text(m.group(1) or b"") for m in _SI.finditer(data)]


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def decode_row(body: bytes, strings: list[str]) -> list | None:
    """The cells of one row body as calamine gives them, or ``None`` for a cell kind not handled here."""
    cells: dict[int, object] = {}
    for match in _CELL.finditer(body):
        col = _column(match.group(1))
        attrs, inner = match.group(2), match.group(3) or b""
        if b"<f" in inner:
            return None
        kind = _TYPE.search(attrs)
        kind = kind.group(1) if kind else b"n"
        value = _VALUE.search(inner)
        raw = value.group(1) if value else None
        if kind == b"s":
            cells[col] = strings[int(raw)] if raw is not None else ""
        elif kind == b"inlineStr":
            cells[col] = _text(inner)
        elif kind == b"str":
            cells[col] = html.unescape(raw.decode("utf-8")) if raw is not None else ""
        elif kind == b"b":
            cells[col] = raw == b"1" if raw is not None else ""
        elif kind == b"n":
            cells[col] = float(raw) if raw not in (None, b"") else ""
        else:
            return None
    width = max(cells) + 1 if cells else 0
    return [cells.get(i, "") for i in range(width)]


def count_rows(archive: zipfile.ZipFile, member: str, first_row: int):
    """[(cells, count, index of the last such row)] for rows from ``first_row`` (0-based), or ``None``."""
    with archive.open(member) as stream:
        data = stream.read()
    if b"inlineStr" in data:
        return None
    last_tag = data.rfind(b"<row")
    found = re.match(rb'<row\b[^>]*?\br="(\d+)"', data[last_tag : last_tag + 200]) if last_tag >= 0 else None
    bodies = _ROW_BODY.findall(data)
    del data
    if found and int(found.group(1)) != len(bodies):
        return None  # row numbers are not exactly 1..n (gaps or missing rows)
    numbers = map(b'%d"'.__mod__, range(first_row + 1, len(bodies) + 1))
    rows = list(map(bytes.replace, bodies[first_row:], numbers, itertools.repeat(b'"')))
    counts = collections.Counter(rows)
    if len(counts) * MAX_DISTINCT_SHARE > max(len(rows), 1000):
        return None
    last = dict(zip(rows, itertools.count(1), strict=False))
    strings = shared_strings(archive)
    out = []
    for body, n in counts.items():
        cells = decode_row(body or b"", strings)
        if cells is None:
            return None
        out.append((cells, n, last[body]))
    return out
