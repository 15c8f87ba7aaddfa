"""Every STV/IRV ballot file of ``expected.json`` counted and checked against its reference.

droop reference counts (glasgow2007/, droop/<variant>/): the elected set (by candidate position), the
quota, and every action of droop's JSON record in order: round number, action, message, each candidate's
state and vote as droop prints it, and the non-transferable total where droop gives one. The rule and
its options come from the folder name (``meek-prf-o6-fixed-p9-d9``), read by ``parse_variant``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tally
from tally.formats import load
from tally.stvrules.variants import parse_variant

from ..conftest import DATA
from .droop_ref import droop_actions, our_actions

ELECTIONS = DATA / "elections"
EXPECTED = json.loads((ELECTIONS / "expected.json").read_text(encoding="utf-8"))
DROOP_FILES = sorted(k for k in EXPECTED if k.startswith(("droop/", "glasgow2007/")))


def _reference(key: str) -> tuple[Path, str]:
    ref = next(r for r in EXPECTED[key]["reference_files"] if r.endswith(".json"))
    stem = Path(key).stem
    return ELECTIONS / ref, Path(ref).stem[len(stem) + 1 :]


@pytest.mark.parametrize("key", DROOP_FILES)
def test_droop_reference_count_reproduced(key):
    exp = EXPECTED[key]
    ref_path, variant = _reference(key)
    method, opts = parse_variant(variant)
    loaded = load(ELECTIONS / key)
    result = tally.count(loaded.ballots, method=method, seats=loaded.seats, **opts)

    ids = sorted(result.candidates.index(n) + 1 for n in result.elected)
    assert ids == sorted(exp["elected_ids"])
    header, theirs = droop_actions(ref_path)
    assert result.details["quota"] == exp["quota"]
    assert result.details["ballots"] == header["nballots"]
    ours = our_actions(result)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        assert a[:3] == b[:3], f"action {i}"
        assert a[3] == b[3], f"action {i} ({b[2]}): candidate states and votes"
        if b[4] is not None:
            assert a[4] == b[4], f"action {i} ({b[2]}): non-transferable votes"
        assert a[5] == b[5], f"action {i} ({b[2]}): quota"
    assert len(ours) == len(theirs)
    assert max(a["round"] for a in result.rounds) == exp["rounds"]
