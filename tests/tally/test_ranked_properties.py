"""Kernels against the plain-Python reference, and invariances of the result bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tally
from tally import _ranked_engine as _engine
from tests.tally.naive_ranked import naive_irv, naive_stv

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def elections(draw, max_candidates=6, max_rows=30, sentinels=True):
    n = draw(st.integers(1, max_candidates))
    width = draw(st.integers(1, n + 2))
    low = -2 if sentinels else -1
    rows = draw(
        st.lists(st.lists(st.integers(low, n - 1), min_size=width, max_size=width), max_size=max_rows)
    )
    weights = draw(st.lists(st.integers(0, 4), min_size=len(rows), max_size=len(rows)))
    ranks = np.array(rows, dtype=np.int64).reshape(len(rows), width)
    names = [f"C{i}" for i in range(n)]
    return ranks, np.array(weights, dtype=np.int64), names


walk_options = st.fixed_dictionaries(
    {
        "overvote_rule": st.sampled_from(["exhaust_immediately", "always_skip_to_next_rank"]),
        "max_skipped_ranks": st.sampled_from(["unlimited", 0, 1, 2]),
        "exhaust_on_duplicate": st.booleans(),
        "seed": st.sampled_from(["0", "x"]),
        "contest_id": st.sampled_from(["", "mayor"]),
        "excluded": st.sampled_from([None, [], ["C0"]]),
    }
)
irv_options = st.fixed_dictionaries(
    {"elimination": st.sampled_from(["single", "batch"]), "continue_until_two": st.booleans()}
)
stv_options = st.fixed_dictionaries(
    {
        "quota": st.sampled_from(["droop", "hare"]),
        "non_integer_quota": st.booleans(),
        "decimal_places": st.sampled_from([0, 1, 4, 10]),
        "winners_per_round": st.sampled_from(["multiple", "one"]),
    }
)


def _core(result) -> dict:
    d = result.to_dict()
    return {"elected": d["elected"], "rounds": d["rounds"], "ties": d["ties"]}


@SETTINGS
@given(elections(), irv_options, walk_options)
def test_irv_kernel_equals_reference(election, irv_opts, walk_opts):
    ranks, weights, names = election
    ballots = tally.RankedBallots.from_array(ranks, weights, candidates=names)
    opts = {**irv_opts, **walk_opts}
    assert _core(tally.count(ballots, method="irv", **opts)) == naive_irv(ranks, weights, names, opts)


@SETTINGS
@given(elections(), st.integers(1, 4), stv_options, walk_options)
def test_stv_kernel_equals_reference(election, seats, stv_opts, walk_opts):
    ranks, weights, names = election
    if stv_opts["quota"] == "hare":
        stv_opts = {**stv_opts, "non_integer_quota": False}
    ballots = tally.RankedBallots.from_array(ranks, weights, candidates=names)
    opts = {**stv_opts, **walk_opts}
    got = _core(tally.count(ballots, method="stv", seats=seats, **opts))
    assert got == naive_stv(ranks, weights, names, seats, opts)


@pytest.mark.parametrize("method,seats", [("irv", 1), ("stv", 2)], ids=["irv", "stv"])
@SETTINGS
@given(election=elections(), order=st.randoms(use_true_random=False))
def test_shuffling_and_grouping_keep_result_bytes(method, seats, election, order):
    ranks, weights, names = election
    base = tally.count(
        tally.RankedBallots.from_array(ranks, weights, candidates=names), method=method, seats=seats
    )
    perm = list(range(len(ranks)))
    order.shuffle(perm)
    shuffled = tally.RankedBallots.from_array(ranks[perm], weights[perm], candidates=names)
    expanded = tally.RankedBallots.from_array(np.repeat(ranks, weights, axis=0), None, candidates=names)
    assert tally.count(shuffled, method=method, seats=seats).to_json() == base.to_json()
    assert tally.count(expanded.grouped(), method=method, seats=seats).to_json() == base.to_json()
    assert tally.count(expanded, method=method, seats=seats).to_json() == base.to_json()


def test_stv_python_int_fallback_equals_int64():
    rng = np.random.default_rng(5)
    ranks = rng.integers(-1, 6, size=(200, 5))
    ballots = tally.RankedBallots.from_array(ranks, rng.integers(0, 5, 200), candidates=list("ABCDEF"))
    big = tally.count(ballots, method="stv", seats=3, decimal_places=12)
    small = tally.count(ballots, method="stv", seats=3, decimal_places=9)
    assert big.details["arithmetic"] == "python-int"
    assert small.details["arithmetic"] == "int64"
    ref = naive_stv(ballots.ranks, ballots.weights, list("ABCDEF"), 3, big.options)
    assert _core(big) == ref


_SCRIPT = """
import json, sys
import numpy as np
import tally
from tally import _ranked_engine as _engine
rng = np.random.default_rng(11)
out = []
for i in range(6):
    n = 3 + i
    ranks = rng.integers(-2, n, size=(300, n))
    b = tally.RankedBallots.from_array(ranks, rng.integers(0, 3, 300), candidates=[f"c{j}" for j in range(n)])
    out.append(tally.count(b, method="irv", elimination="batch" if i % 2 else "single").to_json())
    opts = {"overvote_rule": "always_skip_to_next_rank"}
    out.append(tally.count(b, method="stv", seats=2 + i % 3, **opts).to_json())
print(json.dumps(out))
"""


def test_jit_and_disabled_jit_give_identical_bytes():
    outputs = []
    for flag in ("0", "1"):
        env = {**os.environ, "NUMBA_DISABLE_JIT": flag}
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 12


@pytest.mark.parametrize("limit", [1, 2 * 3**1, 2 * 8**2], ids=["no-prefix", "short-prefix", "two-ranks"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(election=elections(), seats=st.integers(1, 3), walk_opts=walk_options)
def test_prefix_length_does_not_change_the_result(limit, election, seats, walk_opts):
    ranks, weights, names = election
    ballots = tally.RankedBallots.from_array(ranks, weights, candidates=names)
    default = [
        tally.count(ballots, method=m, seats=s, **walk_opts).to_json()
        for m, s in (("irv", 1), ("stv", seats))
    ]
    saved = _engine.KEY_LIMIT
    _engine.KEY_LIMIT = limit
    try:
        short = [
            tally.count(ballots, method=m, seats=s, **walk_opts).to_json()
            for m, s in (("irv", 1), ("stv", seats))
        ]
    finally:
        _engine.KEY_LIMIT = saved
    assert short == default


@pytest.mark.parametrize("blocks", [2, 3], ids=["two-blocks", "three-blocks"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    election=elections(max_rows=40),
    seats=st.integers(1, 3),
    walk_opts=walk_options,
    prefix=st.sampled_from(["none", "one-rank"]),
)
def test_row_blocks_in_threads_do_not_change_the_result(blocks, election, seats, walk_opts, prefix):
    """The passes over the rows run on row blocks, and the stored rows are walked in parts, in threads:
    the same bytes as in one piece (with a short prefix, so that most rows are stored and walked)."""
    ranks, weights, names = election
    ballots = tally.RankedBallots.from_array(ranks, weights, candidates=names)
    key_limit = 1 if prefix == "none" else 2 * (len(names) + 2)  # one group, or one per first rank
    runs = [("irv", 1, {}), ("stv", seats, {"decimal_places": 4})]
    default = [tally.count(ballots, method=m, seats=s, **o, **walk_opts).to_json() for m, s, o in runs]
    saved = _engine.BLOCKS, _engine.BLOCK_ROWS, _engine.THREAD_ROWS, _engine.KEY_LIMIT
    _engine.BLOCKS, _engine.BLOCK_ROWS, _engine.THREAD_ROWS, _engine.KEY_LIMIT = blocks, 1, 1, key_limit
    try:
        assert len(_engine.row_blocks(len(ranks))) == max(1, min(blocks, len(ranks)))
        split = [tally.count(ballots, method=m, seats=s, **o, **walk_opts).to_json() for m, s, o in runs]
    finally:
        _engine.BLOCKS, _engine.BLOCK_ROWS, _engine.THREAD_ROWS, _engine.KEY_LIMIT = saved
    assert split == default
