"""CSV exports that are safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's list), a NUL
(ASVS 5.0 V1.2.10) or a line feed, after any leading spaces, could be run as a formula by Excel,
LibreOffice or Google Sheets; such a cell is prefixed with a single quote (OWASP's advice), so it is shown
as text. Numbers (int, Decimal, Fraction) are written as they are, so a negative number stays a number.
``None`` becomes an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import Response

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal | Fraction):
        return str(value)
    text = str(value)
    if text.lstrip(" ").startswith(DANGEROUS):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A UTF-8 CSV download named ``filename`` (letters, digits, ``-_.`` only)."""
    safe_name = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "export.csv"
    response = Response(to_csv(header, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    return response
