"""The round loop's edge rules (rctab-rules.md §5) on tiny hand-made contests."""

from __future__ import annotations

import pytest

from tally.errors import CvrError, TieBreakError
from tally.rctab.model import UWI
from tally.rctab.tiebreak import Decisions

from .helpers import tabulate, tallies

ABC = ["A", "B", "C"]


def test_majority_winner_in_round_one(tmp_path):
    tab = tabulate(ABC, [["A"]] * 3 + [["B"]] * 2, tmp_path)
    assert tab.winners == ["A"] and len(tab.rounds) == 1
    assert str(tab.rounds[0].threshold) == "3"


def test_lowest_is_eliminated_and_transfers_are_recorded(tmp_path):
    tab = tabulate(ABC, [["A"]] * 2 + [["B"]] * 2 + [["C", "B"]], tmp_path)
    assert tab.rounds[0].eliminated == ["C"]
    assert {k: str(v) for k, v in tab.rounds[0].transfers["C"].items()} == {"B": "1"}
    assert tab.winners == ["B"]


def test_final_two_way_tie_elects_by_tiebreak(tmp_path):
    tab = tabulate(["A", "B"], [["A"], ["B"]], tmp_path)
    assert tab.winners == ["A"]  # useCandidateOrder: winner is the first listed
    assert (1, "A") in tab.tied_decisions


def test_loser_tiebreak_with_candidate_order_takes_the_last_listed(tmp_path):
    tab = tabulate(ABC, [["A"]] * 2 + [["B"]] + [["C"]], tmp_path)
    assert tab.rounds[0].eliminated == ["C"]
    assert tab.tiebreaks[0]["tied"] == ["B", "C"]


@pytest.mark.parametrize(
    ("rule", "category"),
    [
        ("exhaustImmediately", "overvotes"),
        ("alwaysSkipToNextRank", None),
        ("exhaustIfMultipleContinuing", "overvotes"),
    ],
    ids=["exhaust", "skip", "multiple-continuing"],
)
def test_overvote_rules(tmp_path, rule, category):
    tab = tabulate(ABC, [[["A", "B"], "C"]] + [["A"]] * 2, tmp_path, overvoteRule=rule)
    first = tab.rounds[0]
    if category:
        assert str(first.inactive[category]) == "1"
    else:
        assert str(first.tally["C"]) == "1"


def test_overvote_at_last_rank_with_skip_is_exhausted_not_overvote(tmp_path):
    tab = tabulate(["B", "C", "A"], [["A", ["B", "C"]], ["B"], ["C"], ["C"]], tmp_path)
    assert tab.rounds[0].eliminated == ["A"]
    last = tab.rounds[1]
    assert str(last.inactive["overvotes"]) == "0"
    assert str(last.inactive["exhaustedChoices"]) == "1"


def test_exhaust_if_multiple_continuing_counts_the_single_continuing_mark(tmp_path):
    ballots = [["C"], [["A", "C"]], ["A"], ["A"], ["B"], ["B"], ["B"]]
    tab = tabulate(ABC, ballots, tmp_path, overvoteRule="exhaustIfMultipleContinuing")
    assert str(tab.rounds[0].inactive["overvotes"]) == "1"
    # once C is gone the overvoted rank has one continuing mark left; walks restart only for C's ballots
    assert tab.rounds[0].eliminated == ["C"]


def test_skipped_ranks_beyond_the_limit_exhaust(tmp_path):
    tab = tabulate(ABC, [[None, None, "A"], ["A"], ["B"]], tmp_path, maxSkippedRanksAllowed="1")
    assert str(tab.rounds[0].inactive["skippedRankings"]) == "1"


def test_blank_first_rank_counts_as_a_skip(tmp_path):
    tab = tabulate(ABC, [[None, "A"], ["B"], ["B"]], tmp_path, maxSkippedRanksAllowed="0")
    assert str(tab.rounds[0].inactive["skippedRankings"]) == "1"


def test_duplicate_exhausts_only_when_the_walk_reaches_it(tmp_path):
    ballots = [["C", "C", "A"], ["A"], ["A"], ["B"], ["B"]]
    tab = tabulate(ABC, ballots, tmp_path, exhaustOnDuplicateCandidate=True)
    assert str(tab.rounds[0].inactive["repeatedRankings"]) == "0"
    assert str(tab.rounds[1].inactive["repeatedRankings"]) == "1"


def test_undervotes_are_not_inactive(tmp_path):
    tab = tabulate(ABC, [[], ["A"], ["A"]], tmp_path)
    assert tab.undervotes == 1 and tab.total == 3
    assert all(str(v) == "0" for v in tab.rounds[0].inactive.values())


def test_excluded_candidates_are_passed_over(tmp_path):
    tab = tabulate(["-A", "B", "C"], [["A", "B"], ["C"], ["B"]], tmp_path)
    assert "A" not in tab.rounds[0].tally
    assert str(tab.rounds[0].tally["B"]) == "2"


def test_uwi_is_dropped_first_and_blocks_winners(tmp_path):
    tab = tabulate(["A", "B"], [[UWI]] * 5 + [["A"]] * 3 + [["B"]], tmp_path, uwi_label="UWI")
    assert tab.rounds[0].eliminated == ["Undeclared Write-ins"] and not tab.rounds[0].elected


def test_batch_elimination_removes_all_that_cannot_catch_up(tmp_path):
    ballots = [["A"]] * 10 + [["B"]] * 8 + [["C"]] * 2 + [["D"]] * 1
    tab = tabulate(["A", "B", "C", "D"], ballots, tmp_path, batchElimination=True)
    assert sorted(tab.rounds[0].eliminated) == ["C", "D"]


def test_stv_surplus_is_truncated_and_residual_recorded(tmp_path):
    ballots = [["A", "B"]] * 9 + [["B"]] * 3 + [["C"]] * 4 + [["D"]] * 1
    tab = tabulate(
        ["A", "B", "C", "D"],
        ballots,
        tmp_path,
        winnerElectionMode="multiWinnerAllowMultipleWinnersPerRound",
        numberOfWinners="2",
    )
    first = tab.rounds[0]
    assert str(first.threshold) == "6" and first.elected == ["A"]
    # f = trunc4(3/9) = 0.3333; each of 9 ballots moves 0.3333 and keeps 0.6667
    assert str(tab.rounds[1].tally["B"]) == "5.9997"
    assert str(tab.rounds[1].tally["A"]) == "6"
    assert str(first.transfers["A"]["residual surplus"]) == "0.0003"


def test_non_integer_threshold(tmp_path):
    ballots = [["A"]] * 10 + [["B"]] * 10 + [["C"]] * 9
    tab = tabulate(
        ABC,
        ballots,
        tmp_path,
        winnerElectionMode="multiWinnerAllowMultipleWinnersPerRound",
        numberOfWinners="3",
        nonIntegerWinningThreshold=True,
    )
    assert str(tab.rounds[0].threshold) == "7.2501"


def test_hare_quota_is_ceiling(tmp_path):
    ballots = [["A"]] * 10 + [["B"]] * 10 + [["C"]] * 9
    tab = tabulate(
        ABC,
        ballots,
        tmp_path,
        winnerElectionMode="multiWinnerAllowMultipleWinnersPerRound",
        numberOfWinners="2",
        hareQuota=True,
    )
    assert str(tab.rounds[0].threshold) == "15"


def test_percentage_threshold_scale(tmp_path):
    ballots = [["A"]] * 12 + [["B"]] * 10 + [["C"]] * 4
    tab = tabulate(
        ABC,
        ballots,
        tmp_path,
        winnerElectionMode="bottomsUpUsingPercentageThreshold",
        numberOfWinners="0",
        multiSeatBottomsUpPercentageThreshold="15",
    )
    assert str(tab.rounds[0].threshold) == "3.90"
    assert tab.winners == ["A", "B", "C"]  # every tally strictly above 3.90


def test_stop_tabulation_early(tmp_path):
    ballots = [["A"]] * 3 + [["B"]] * 2 + [["C"]] * 2 + [["D"]]
    tab = tabulate(["A", "B", "C", "D"], ballots, tmp_path, stopTabulationEarlyAfterRound="1")
    assert len(tab.rounds) == 1 and tab.winners == []


def test_continue_until_two_keeps_counting_after_the_winner(tmp_path):
    ballots = [["A"]] * 6 + [["B"]] * 2 + [["C", "A"]] * 1 + [["D"]] * 1
    tab = tabulate(["A", "B", "C", "D"], ballots, tmp_path, continueUntilTwoCandidatesRemain=True)
    assert tab.winners == ["A"]
    assert list(tab.rounds[-1].tally) == ["A", "B"]
    assert tallies(tab)[-1]["A"] == "7"


def test_random_tiebreak_uses_java_random(tmp_path):
    tab = tabulate(ABC, [["A"]] * 2 + [["B"]] + [["C"]], tmp_path, tiebreakMode="random", randomSeed="0")
    # new Random(0).nextDouble() = 0.7309... -> index 1 of [B, C]
    assert tab.rounds[0].eliminated == ["C"]


def test_ask_mode_without_decisions_names_the_tied(tmp_path):
    with pytest.raises(TieBreakError, match="B, C"):
        tabulate(ABC, [["A"]] * 2 + [["B"]] + [["C"]], tmp_path, tiebreakMode="stopCountingAndAsk")


def test_ask_mode_takes_the_decision_file_entry(tmp_path):
    decisions = Decisions([{"round": 1, "tied": ["C", "B"], "choice": "B"}])
    tab = tabulate(
        ABC, [["A"]] * 2 + [["B"]] + [["C"]], tmp_path, tiebreakMode="stopCountingAndAsk", decisions=decisions
    )
    assert tab.rounds[0].eliminated == ["B"]
    assert tab.tiebreaks == [
        {
            "pass": 1,
            "round": 1,
            "kind": "loser",
            "tied": ["B", "C"],
            "rule": "stopCountingAndAsk",
            "selected": "B",
        }
    ]


def test_previous_round_counts_break_a_later_tie(tmp_path):
    # round 1: A 4, B 3, C 2, D 1 -> D out, its ballot to C; round 2: B 3, C 3 tied; round 1 has C lower
    ballots = [["A"]] * 4 + [["B"]] * 3 + [["C"]] * 2 + [["D", "C"]]
    tab = tabulate(
        ["A", "B", "C", "D"], ballots, tmp_path, tiebreakMode="previousRoundCountsThenRandom", randomSeed="1"
    )
    assert tab.rounds[1].eliminated == ["C"]


def test_unknown_candidate_is_a_cvr_error(tmp_path):
    with pytest.raises(CvrError, match="'Z'"):
        tabulate(ABC, [["Z"]], tmp_path)
