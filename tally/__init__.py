"""tally: exact, fast, reproducible vote counting.

Public API: ballot sets (``RankedBallots``, ``Candidates``), ``count(ballots, method=..., seats=...)``
returning a ``Result``, and the error types. The package imports no web or database code.
"""

from .ballots import BLANK, OVERVOTE, Candidates, RankedBallots
from .errors import BallotError, ConfigError, CvrError, TallyError, TieBreakError
from .methods import count, method_ids
from .result import Result

__version__ = "0.1.0"

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
