"""Cast-vote-record readers, one module per vendor format.

Each module defines ``read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]``: it streams the
records of one ``cvrFileSources`` entry, raising ``CvrError`` (file, record, rule broken) for anything
malformed. ``read_source`` picks the module from the source's provider.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from ..errors import CvrError
from ..rctab.model import ContestConfig, Cvr, CvrSource

PROVIDERS = {
    "ess": "ess",
    "cdf": "cdf",
    "genericCsv": "generic_csv",
    "dominion": "dominion",
    "clearBallot": "clear_ballot",
    "hart": "hart",
    "rctabCsv": "rctab_csv",  # RCTab's own CVR CSV (rctab_cvr.csv), as written by `tally convert`
}


def read_source(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    """Stream the CVRs of one source with the reader its provider names."""
    module = PROVIDERS.get(source.provider)
    if module is None:
        known = ", ".join(sorted(PROVIDERS))
        message = f"unknown CVR provider {source.provider!r} (known: {known})"
        raise CvrError(message, file=str(source.file_path))
    return importlib.import_module(f"{__name__}.{module}").read(source, config)
