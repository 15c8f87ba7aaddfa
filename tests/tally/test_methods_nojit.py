"""Results are byte-identical with and without the numba JIT (NUMBA_DISABLE_JIT=1 in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = r"""
import json, sys
import numpy as np
from tally import RankedBallots, count
from tally.ballot_types import ApprovalBallots, ScoreBallots
from tally.budget import BudgetBallots

rng = np.random.default_rng(7)
ranked = RankedBallots.from_array(rng.integers(-2, 5, size=(60, 4)), candidates=list("abcde"))
app = ApprovalBallots.from_array(rng.random((50, 6)) < 0.4, rng.integers(1, 3, size=50))
votes = ScoreBallots.from_array(rng.integers(-2, 3, size=(40, 5)))
budget = BudgetBallots.from_arrays((rng.random((50, 6)) < 0.4).astype(int), list("uvwxyz"),
                                   [3, 5, 2, 7, 4, 6], 12)
runs = [(m, ranked, 2, {}) for m in ("condorcet", "schulze", "ranked-pairs", "copeland", "minimax")]
runs += [(m, app, 3, {}) for m in ("approval", "sav", "seq-pav", "pav", "seq-phragmen", "equal-shares")]
runs += [("quadratic", votes, 1, {"budget": 20, "allow_negative": True})]
pb_rules = ("greedy", "greedy-no-skip", "equalshares/add1", "equalshares/add1-comparison",
            "equalshares/utilitarian")
runs += [(m, budget, 1, {}) for m in pb_rules]
json.dump({m: count(b, method=m, seats=s, **o).to_json() for m, b, s, o in runs}, sys.stdout)
"""


def _run(disable_jit: bool) -> dict:
    env = dict(os.environ)
    env.pop("NUMBA_DISABLE_JIT", None)
    if disable_jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout)


def test_results_are_identical_with_and_without_jit():
    jit, plain = _run(False), _run(True)
    assert len(jit) == 17
    for method, text in jit.items():
        assert plain[method] == text, method
