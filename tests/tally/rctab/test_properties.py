"""Properties of the RCTab tabulator: CVR order and grouping of identical CVRs never change a report."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.rctab.ballots import build
from tally.rctab.config import parse
from tally.rctab.model import Cvr
from tally.rctab.tabulator import Tabulator

from .helpers import raw_config

NAMES = ["A", "B", "C", "D", "E"]
MODES = {
    "irv": {},
    "irv-batch": {"batchElimination": True, "maxSkippedRanksAllowed": "1"},
    "stv": {"winnerElectionMode": "multiWinnerAllowMultipleWinnersPerRound", "numberOfWinners": "2"},
    "stv-one": {
        "winnerElectionMode": "multiWinnerAllowOnlyOneWinnerPerRound",
        "numberOfWinners": "2",
        "overvoteRule": "exhaustImmediately",
        "decimalPlacesForVoteArithmetic": "3",
    },
    "bottoms-up": {"winnerElectionMode": "bottomsUp", "numberOfWinners": "2"},
}

rank = st.one_of(st.none(), st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), min_size=2, max_size=2))
ballots = st.lists(st.lists(rank, max_size=4), min_size=1, max_size=40)


def _summary(tab) -> list:
    return [
        (
            {k: str(v) for k, v in r.tally.items()},
            {k: str(v) for k, v in r.inactive.items()},
            {s: {t: str(v) for t, v in m.items()} for s, m in r.transfers.items()},
            str(r.threshold),
            r.elected,
            r.eliminated,
        )
        for r in tab.rounds
    ]


def _count(config, cvr_ballots, distinct: bool):
    source = config.sources[0]
    cvrs = []
    for n, ballot in enumerate(cvr_ballots):
        rankings = []
        for k, mark in enumerate(ballot, start=1):
            for name in [] if mark is None else ([mark] if isinstance(mark, str) else mark):
                rankings.append((k, name))
        # a distinct precinct per CVR defeats grouping, so each CVR is counted on its own
        cvrs.append(Cvr(rankings=tuple(rankings), source=source, precinct=f"p{n}" if distinct else ""))
    ballot_set = build(config, cvrs)
    return Tabulator(ballot_set, config.rules, candidate_order=NAMES).run()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mode=st.sampled_from(sorted(MODES)), cast=ballots, order=st.randoms(use_true_random=False))
def test_grouping_and_order_do_not_change_the_count(tmp_path: Path, mode, cast, order):
    config = parse(raw_config(NAMES, tmp_path, **MODES[mode]), tmp_path / "config.json")
    grouped = _count(config, cast, distinct=False)
    shuffled = list(cast)
    order.shuffle(shuffled)
    assert _summary(_count(config, shuffled, distinct=False)) == _summary(grouped)
    assert _summary(_count(config, cast, distinct=True)) == _summary(grouped)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(sorted(MODES)), cast=ballots, precincts=st.lists(st.sampled_from("pq"), max_size=40)
)
def test_slices_add_up_to_the_contest(tmp_path: Path, mode, cast, precincts):
    config = parse(raw_config(NAMES, tmp_path, **MODES[mode]), tmp_path / "config.json")
    source = config.sources[0]
    cvrs = []
    for n, ballot in enumerate(cast):
        rankings = []
        for k, mark in enumerate(ballot, start=1):
            for name in [] if mark is None else ([mark] if isinstance(mark, str) else mark):
                rankings.append((k, name))
        precinct = precincts[n] if n < len(precincts) else "r"
        cvrs.append(Cvr(rankings=tuple(rankings), source=source, precinct=precinct))
    tab = Tabulator(build(config, cvrs), config.rules, candidate_order=NAMES, slices=("precinct",)).run()
    slices = tab.slices["precinct"]
    assert sum(total for _, total, _ in slices.values()) == tab.total
    for k, whole in enumerate(tab.rounds):
        parts = [rounds[k] for rounds, _, _ in slices.values()]
        for key, value in whole.inactive.items():
            assert sum(p.inactive[key] for p in parts) == value
        for name, value in whole.tally.items():
            if not any(name in r.elected for r in tab.rounds[:k]):  # winners are capped at the quota
                assert sum(p.tally[name] for p in parts) == value
