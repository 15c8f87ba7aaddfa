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

# Modules that define methods. Add a module here when it registers new method ids.
METHOD_MODULES: list[str] = [
    "tally.stvrules.scotland",
    "tally.stvrules.wigm",
    "tally.stvrules.cfer",
    "tally.stvrules.meek",
    "tally.irv",
    "tally.stv",
    "tally.stvrules.mpls",
    "tally.stvrules.qpq",
    "tally.condorcet",
    "tally.approval",
    "tally.budget",
    "tally.quadratic",
    "tally.proportional",
]

_REGISTRY: dict[str, Callable[..., Result]] = {}
_loaded = False


def register(*names: str):
    """Register the decorated function under each of ``names``."""

    def deco(fn: Callable[..., Result]) -> Callable[..., Result]:
        for name in names:
            if name in _REGISTRY and _REGISTRY[name] is not fn:
                raise RuntimeError(f"method id {name!r} registered twice")
            _REGISTRY[name] = fn
        return fn

    return deco


def _load() -> None:
    global _loaded
    if not _loaded:
        for mod in METHOD_MODULES:
            importlib.import_module(mod)
        _loaded = True


def method_ids() -> list[str]:
    """Every registered method id, sorted."""
    _load()
    return sorted(_REGISTRY)


def get(method: str) -> Callable[..., Result]:
    _load()
    try:
        return _REGISTRY[method]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise TallyError(f"unknown method {method!r} (known: {known})") from None


def count(ballots: Any, method: str = "irv", seats: int = 1, **options: Any) -> Result:
    """Count ``ballots`` with ``method`` for ``seats`` seats; ``options`` are the method's rule options."""
    return get(method)(ballots, seats=seats, **options)
