"""Ballot files by extension: which reader ``tally count FILE`` uses.

A loader takes a path and returns a ``Loaded``: the ballot set plus what the file itself says about the
count (seats from a BLT header, the rule named in a Pabulib META section, ...). Reader modules register
with ``@loader(".ext", ...)`` and are listed in ``LOADER_MODULES``; they are imported in that order
only until one registers the extension asked for (most used first), so reading a CSV does not import
the other readers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import TallyError

# Modules that register loaders. Add a module here when it registers new extensions.
LOADER_MODULES: list[str] = [
    "tally.plain_csv",
    "tally.blt",
    "tally.preflib",
    "tally.pabulib",
    "tally.approval_file",
]

_LOADERS: dict[str, Callable[[Path], Loaded]] = {}
_imported = 0  # LOADER_MODULES[:_imported] are imported


@dataclass
class Loaded:
    """A ballot file as read: ``ballots`` plus defaults the file declares (``None`` when it is silent)."""

    ballots: Any
    seats: int | None = None
    method: str | None = None
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def loader(*extensions: str):
    """Register the decorated function as the reader for each extension (with its leading dot)."""

    def deco(fn: Callable[[Path], Loaded]) -> Callable[[Path], Loaded]:
        for ext in extensions:
            _LOADERS[ext.lower()] = fn
        return fn

    return deco


def _reader(ext: str) -> Callable[[Path], Loaded] | None:
    """The reader for ``ext``, importing reader modules until one registers it (all if none does)."""
    global _imported
    while ext not in _LOADERS and _imported < len(LOADER_MODULES):
        importlib.import_module(LOADER_MODULES[_imported])
        _imported += 1
    return _LOADERS.get(ext)


def load(path: str | Path) -> Loaded:
    """Read a ballot file with the reader its extension names."""
    p = Path(path)
    fn = _reader(p.suffix.lower())
    if fn is None:
        known = ", ".join(sorted(_LOADERS)) or "none"
        kind = p.suffix or "files without an extension"
        raise TallyError(f"no reader for {kind} (known: {known})", file=str(p))
    if not p.is_file():
        raise TallyError("no such file", file=str(p))
    return fn(p)
