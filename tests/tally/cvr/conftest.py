"""Fixtures for the CVR reader tests: RCTab cases and a way to build a config around any CVR file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tally.rctab.model import CandidateConfig

from ...conftest import DATA
from .rctab_config import load, make_config, source_from

RCTAB = DATA / "rctab"


def case_config(case: str):
    return load(RCTAB / case / f"{case}_config.json")


@pytest.fixture
def rctab_case():
    return case_config


def config_for(path: Path, provider: str, names, max_rankings=None, **source):
    """A config with one ``provider`` source at ``path``; ``names`` are names or (name, aliases) pairs."""
    raw = {"provider": provider, "filePath": str(path), **source}
    src = source_from(raw, path.parent)
    cands = [CandidateConfig(n) if isinstance(n, str) else CandidateConfig(n[0], tuple(n[1])) for n in names]
    return make_config(path.parent / "config.json", [src], cands, max_rankings)
