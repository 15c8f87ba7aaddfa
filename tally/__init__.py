"""tally: exact, fast, reproducible vote counting.

Public API: ballot sets (``RankedBallots``, ``Candidates``), ``count(ballots, method=..., seats=...)``
returning a ``Result``, and the error types. The package imports no web or database code.

The names (and submodules) are imported on first access, so ``import tally.cli`` does not import
numpy: the ``tally`` console script sets numpy's start-up options first (see ``tally.cli.main``).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ballots import BLANK, OVERVOTE, Candidates, RankedBallots
    from .errors import BallotError, ConfigError, CvrError, TallyError, TieBreakError
    from .methods import count, method_ids
    from .result import Result

__version__ = "0.1.0"

# public name -> the submodule that defines it
_HOMES = {
    "BLANK": "ballots",
    "OVERVOTE": "ballots",
    "Candidates": "ballots",
    "RankedBallots": "ballots",
    "BallotError": "errors",
    "ConfigError": "errors",
    "CvrError": "errors",
    "TallyError": "errors",
    "TieBreakError": "errors",
    "count": "methods",
    "method_ids": "methods",
    "Result": "result",
}

__all__ = [
    "BLANK",
    "OVERVOTE",
    "BallotError",
    "Candidates",
    "ConfigError",
    "CvrError",
    "RankedBallots",
    "Result",
    "TallyError",
    "TieBreakError",
    "__version__",
    "count",
    "method_ids",
]


def __getattr__(name: str) -> Any:
    """A public name from its submodule, or a submodule (``tally.ballots``) not imported yet."""
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f".{home}", __name__), name)
        globals()[name] = value
        return value
    if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f".{name}", __name__)


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
