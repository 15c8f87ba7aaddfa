"""Canonical JSON: the byte form whose SHA-256 is certified.

Rules: keys sorted, no insignificant whitespace, UTF-8, no floats anywhere. Exact numbers are written
as decimal strings (``Fraction`` as ``"p/q"`` unless it has a finite decimal expansion), integers as
JSON integers. A float reaching this module is a bug and raises ``TypeError``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np


def fraction_str(value: Fraction) -> str:
    """Exact decimal string of a fraction when one exists (denominator 2^a 5^b), else ``p/q``."""
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10**places
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def plain(obj: Any) -> Any:
    """Convert a result tree to JSON-ready values: exact numbers as strings, numpy scalars unwrapped."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Fraction):
        return fraction_str(obj)
    if isinstance(obj, float | np.floating):
        raise TypeError(f"float {obj!r} in a canonical result: counts must be exact")
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [plain(v) for v in obj]
    if hasattr(obj, "to_dict"):
        return plain(obj.to_dict())
    raise TypeError(f"cannot put {type(obj).__name__} in a canonical result")


def dumps(obj: Any) -> str:
    """Canonical JSON text of ``obj`` (see module docstring)."""
    return json.dumps(plain(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps_bytes(obj: Any) -> bytes:
    return dumps(obj).encode("utf-8")
