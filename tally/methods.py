"""The registry of counting methods: one id per rule, one entry point ``count``.

Each method module registers its functions with ``@register("id", ...)``; a method function takes the
ballot set, ``seats`` and keyword options, validates its options (``TallyError`` for a bad one) and
returns a ``Result``. Modules are imported lazily the first time a method is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .errors import TallyError
from .result import Result

# Modules that define methods. Add a module here when it registers new method ids. ``get`` imports
# them in this order only until the method asked for is registered (most used first).
METHOD_MODULES: list[str] = [
    "tally.irv",
    "tally.stv",
    "tally.stvrules.scotland",
    "tally.stvrules.wigm",
    "tally.stvrules.cfer",
    "tally.stvrules.meek",
    "tally.stvrules.mpls",
    "tally.stvrules.qpq",
    "tally.condorcet",
    "tally.approval",
    "tally.budget",
    "tally.quadratic",
    "tally.proportional",
]

_REGISTRY: dict[str, Callable[..., Result]] = {}
_imported = 0  # METHOD_MODULES[:_imported] are imported


def register(*names: str):
    """Register the decorated function under each of ``names``."""

    def deco(fn: Callable[..., Result]) -> Callable[..., Result]:
        for name in names:
            if name in _REGISTRY and _REGISTRY[name] is not fn:
                raise RuntimeError(f"method id {name!r} registered twice")
            _REGISTRY[name] = fn
        return fn

    return deco


def _load(until: str | None = None) -> None:
    """Import method modules in order until ``until`` is registered (all of them for ``None``)."""
    global _imported
    while until not in _REGISTRY and _imported < len(METHOD_MODULES):
        importlib.import_module(METHOD_MODULES[_imported])
        _imported += 1


def method_ids() -> list[str]:
    """Every registered method id, sorted."""
    _load()
    return sorted(_REGISTRY)


def get(method: str) -> Callable[..., Result]:
    _load(method)
    try:
        return _REGISTRY[method]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise TallyError(f"unknown method {method!r} (known: {known})") from None


def count(ballots: Any, method: str = "irv", seats: int = 1, **options: Any) -> Result:
    """Count ``ballots`` with ``method`` for ``seats`` seats; ``options`` are the method's rule options."""
    return get(method)(ballots, seats=seats, **options)
