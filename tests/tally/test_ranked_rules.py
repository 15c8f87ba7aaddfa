"""Hand-checked IRV and STV cases: each asserts one rule of tally.irv / tally.stv."""

from __future__ import annotations

import hashlib

import pytest

import tally
from tally import TallyError


def ballots(spec: dict[str, int], names: str | None = None) -> tally.RankedBallots:
    rows = list(spec)
    cands = list(names) if names else None
    return tally.RankedBallots.from_rankings(
        [list(r) for r in rows], candidates=cands, weights=list(spec.values())
    )


def test_irv_eliminates_lowest_and_elects_majority():
    r = tally.count(ballots({"AB": 5, "BC": 4, "CA": 3}), method="irv")
    assert r.elected == ["A"]
    assert [x["eliminated"] for x in r.rounds] == [["C"], []]
    assert r.rounds[0]["transfers"] == {"C": {"A": 3}}
    assert r.rounds[0]["threshold"] == 7


def test_irv_threshold_uses_active_ballots_only():
    r = tally.count(ballots({"A": 4, "B": 3, "C": 2, "CB": 1}), method="irv")
    assert r.rounds[1]["active"] == 8
    assert r.rounds[1]["threshold"] == 5
    assert r.rounds[1]["inactive"]["exhausted_choices"] == 2
    assert r.rounds[0]["transfers"] == {"C": {"B": 1, "exhausted": 2}}


def test_irv_batch_elimination_removes_hopeless_group():
    r = tally.count(ballots({"A": 10, "B": 9, "CA": 3, "DB": 2, "E": 1}), method="irv", elimination="batch")
    assert r.rounds[0]["eliminated"] == ["C", "D", "E"]


def test_irv_continue_until_two_keeps_counting_after_the_winner():
    r = tally.count(ballots({"A": 6, "BC": 2, "C": 2, "D": 1}), method="irv", continue_until_two=True)
    assert r.elected == ["A"]
    assert r.rounds[0]["elected"] == ["A"]
    assert len(r.rounds[-1]["tally"]) == 2
    assert r.rounds[-1]["threshold"] == r.rounds[0]["threshold"]


def test_irv_tie_for_last_is_broken_by_declared_seed():
    b = ballots({"A": 3, "B": 2, "C": 2})
    r = tally.count(b, method="irv", seed="s", contest_id="k")
    key = {n: hashlib.sha256(f"s\x00k\x001\x00{n}".encode()).digest() for n in "BC"}
    loser = min("BC", key=key.__getitem__)
    assert r.rounds[0]["eliminated"] == [loser]
    assert r.ties == [
        {
            "round": 1,
            "kind": "elimination",
            "tied": ["B", "C"],
            "rule": "sha256(seed|contest_id|round|name) ascending, first selected",
            "order": sorted("BC", key=key.__getitem__),
            "selected": loser,
            "votes": 2,
        }
    ]


def test_irv_two_way_final_tie_elects_by_tie_break():
    r = tally.count(ballots({"A": 2, "B": 2}), method="irv")
    assert len(r.elected) == 1 and r.ties[0]["kind"] == "election"


@pytest.mark.parametrize(
    "rule,category",
    [("exhaust_immediately", "overvotes"), ("always_skip_to_next_rank", None)],
    ids=["exhaust", "skip"],
)
def test_overvote_rules(rule, category):
    b = tally.RankedBallots.from_array([[-2, 0], [1, -1], [1, -1]], candidates=["A", "B"])
    r = tally.count(b, method="irv", overvote_rule=rule)
    if category:
        assert r.rounds[0]["inactive"]["overvotes"] == 1
    else:
        assert r.rounds[0]["tally"] == {"A": 1, "B": 2}


def test_skipped_ranks_limit():
    b = tally.RankedBallots.from_array([[-1, -1, 0], [-1, 0, -1], [1, -1, -1]], candidates=["A", "B"])
    r = tally.count(b, method="irv", max_skipped_ranks=1)
    assert r.rounds[0]["inactive"]["skipped_rankings"] == 1
    assert r.rounds[0]["tally"] == {"A": 1, "B": 1}


def test_duplicate_exhausts_only_when_reached():
    b = tally.RankedBallots.from_array(
        [[0, 0, 1], [0, 0, 1], [1, -1, -1], [1, -1, -1], [2, -1, -1]], candidates=["A", "B", "C"]
    )
    r = tally.count(b, method="irv", exhaust_on_duplicate=True)
    assert r.rounds[0]["tally"] == {"A": 2, "B": 2, "C": 1}


def test_undervotes_are_not_inactive():
    b = tally.RankedBallots.from_array([[-1, -1], [0, -1]], candidates=["A"])
    r = tally.count(b, method="irv")
    assert r.details["undervotes"] == 1 and r.rounds[0]["active"] == 1


def test_stv_fractional_surplus_truncates_per_ballot():
    # RCTab whole_threshold example: T = 9, Q = 8 -> f = 0.1111, each ballot moves 0.1111.
    b = ballots({"AB": 9, "B": 4, "C": 6, "D": 4}, "ABCD")
    r = tally.count(b, method="stv", seats=2)
    assert r.to_dict()["quota"] == "8.0000"
    first = r.to_dict()["rounds"][0]
    assert first["elected"] == ["A"]
    assert first["transfers"]["A"] == {"B": "0.9999", "residual surplus": "0.0001"}
    assert r.to_dict()["rounds"][1]["tally"]["A"] == "8.0000"


def test_stv_quota_variants():
    b = ballots({"A": 10, "B": 9, "C": 10})
    assert tally.count(b, method="stv", seats=2).to_dict()["quota"] == "10.0000"
    assert tally.count(b, method="stv", seats=2, quota="hare").to_dict()["quota"] == "15.0000"
    r = tally.count(b, method="stv", seats=3, non_integer_quota=True, decimal_places=2)
    assert r.to_dict()["quota"] == "7.26"


def test_stv_final_round_surplus_is_reported():
    r = tally.count(ballots({"AB": 10, "B": 3, "C": 1}), method="stv", seats=1)
    last = r.to_dict()["rounds"][-1]
    assert last["inactive"]["final_round_surplus"] == "2.0000"
    assert r.to_dict()["rounds"][0]["transfers"]["A"] == {"exhausted": "2.0000"}


def test_stv_one_winner_per_round():
    b = ballots({"AC": 6, "BC": 5, "C": 1, "D": 1})
    many = tally.count(b, method="stv", seats=2)
    one = tally.count(b, method="stv", seats=2, winners_per_round="one")
    assert many.rounds[0]["elected"] == ["A", "B"]
    assert one.rounds[0]["elected"] == ["A"] and one.elected == ["A", "B"]


@pytest.mark.parametrize(
    "method,options,message",
    [
        ("irv", {"quota": "droop"}, "no option 'quota'"),
        ("stv", {"quota": "hare", "non_integer_quota": True}, "cannot be combined"),
        ("stv", {"decimal_places": 21}, "between 0 and 20"),
        ("irv", {"max_skipped_ranks": -1}, "at least 0"),
        ("irv", {"overvote_rule": "exhaustIfMultipleContinuing"}, "overvote_rule must be one of"),
    ],
    ids=["irv-quota", "hare-nonint", "decimals", "skips", "overvote"],
)
def test_bad_options_raise_tally_error(method, options, message):
    with pytest.raises(TallyError, match=message):
        tally.count(ballots({"A": 1}), method=method, **options)


def test_result_json_has_no_floats_and_echoes_every_option():
    r = tally.count(ballots({"AB": 3, "BA": 2}), method="stv", seats=1)
    text = r.to_json()
    assert '"decimal_places":4' in text and '"winners_per_round":"multiple"' in text
    assert set(r.options) == {
        "seats",
        "quota",
        "non_integer_quota",
        "decimal_places",
        "winners_per_round",
        "overvote_rule",
        "max_skipped_ranks",
        "exhaust_on_duplicate",
        "seed",
        "contest_id",
        "excluded",
    }


def test_excluded_candidates_are_passed_over_and_never_shown():
    r = tally.count(ballots({"AB": 3, "BA": 2, "CB": 2}), method="irv", excluded=["C"])
    assert r.rounds[0]["tally"] == {"A": 3, "B": 4}
    assert r.elected == ["B"] and r.options["excluded"] == ["C"]


def test_withdrawn_candidates_of_a_ballot_file_are_excluded_by_default():
    from tally.profile import RankedProfile

    b = ballots({"AB": 3, "BA": 2, "CB": 2})
    profile = RankedProfile(b.ranks, b.weights, b.candidates, withdrawn=(2,))
    assert tally.count(profile, method="stv", seats=1).options["excluded"] == ["C"]
    assert tally.count(profile, method="irv", excluded=[]).rounds[0]["tally"]["C"] == 2
