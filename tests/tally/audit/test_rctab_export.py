import json

import pytest

from tally import TallyError
from tally.audit import AuditConfig, make_records
from tally.audit.rctab_export import OVERVOTE_NAME, cdf_cvr, export, rctab_config

CANDS = ("alice", "bob", "carol")


def cfg(method="irv", **kw):
    return AuditConfig(contest="c1", ballot_type="ranked", method=method, candidates=CANDS, **kw)


def test_rctab_config_declares_rctab_rules_and_the_cdf_source():
    records = make_records(cfg(), [("1", ["alice", "bob"])])
    doc = json.loads(rctab_config(cfg(), records))
    assert doc["tabulatorVersion"] == "2.0.1"
    assert [c["name"] for c in doc["candidates"]] == list(CANDS)
    (source,) = doc["cvrFileSources"]
    assert (source["provider"], source["filePath"], source["contestId"]) == ("cdf", "cvr.json", "c1")
    rules = doc["rules"]
    assert rules["winnerElectionMode"] == "singleWinnerMajority"
    assert rules["tiebreakMode"] == "stopCountingAndAsk"
    assert rules["numberOfWinners"] == "1"


@pytest.mark.parametrize(
    ("options", "key", "value"),
    [
        pytest.param({"quota": "hare"}, "hareQuota", True, id="hare"),
        pytest.param(
            {"winners_per_round": "one"},
            "winnerElectionMode",
            "multiWinnerAllowOnlyOneWinnerPerRound",
            id="one",
        ),
        pytest.param({"decimal_places": 6}, "decimalPlacesForVoteArithmetic", "6", id="decimals"),
        pytest.param(
            {"overvote_rule": "always_skip_to_next_rank"}, "overvoteRule", "alwaysSkipToNextRank", id="ov"
        ),
        pytest.param({"max_skipped_ranks": 1}, "maxSkippedRanksAllowed", "1", id="skipped"),
        pytest.param({"exhaust_on_duplicate": True}, "exhaustOnDuplicateCandidate", True, id="duplicate"),
    ],
)
def test_stv_options_map_to_rctab_rules(options, key, value):
    config = cfg("stv", seats=2, options=options)
    doc = json.loads(rctab_config(config, []))
    assert doc["rules"][key] == value
    assert doc["rules"]["numberOfWinners"] == "2"


def test_cdf_marks_each_rank_and_overvotes_on_their_candidates():
    config = cfg()
    records = make_records(
        config, [("b1", ["bob", None, "alice"]), ("b2", [["alice", "carol"]]), ("b3", [[]])]
    )
    doc = json.loads(cdf_cvr(config, records))
    names = {c["@id"]: c["Name"] for c in doc["Election"][0]["Candidate"]}
    sel = {
        s["@id"]: names[s["CandidateIds"][0]] for s in doc["Election"][0]["Contest"][0]["ContestSelection"]
    }

    def marks(cvr):
        out = []
        for s in cvr["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"]:
            out += [(p["Rank"], sel[s["ContestSelectionId"]]) for p in s["SelectionPosition"]]
        return sorted(out)

    assert [c["BallotPrePrintedId"] for c in doc["CVR"]] == ["b1", "b2", "b3"]
    assert marks(doc["CVR"][0]) == [(1, "bob"), (3, "alice")]
    assert marks(doc["CVR"][1]) == [(1, "alice"), (1, "carol")]
    assert marks(doc["CVR"][2]) == [(1, OVERVOTE_NAME)]
    assert json.loads(rctab_config(config, records))["cvrFileSources"][0]["overvoteLabel"] == OVERVOTE_NAME


def test_methods_without_rctab_counterpart_export_nothing():
    assert export(cfg("meek"), [], "{}") == {}
    with pytest.raises(TallyError, match="no RCTab counterpart"):
        rctab_config(cfg("meek"), [])


def test_exported_cdf_reads_back_through_the_cdf_reader(tmp_path):
    from tally.cvr import read_source
    from tally.rctab.model import OVERVOTE

    from ..cvr.rctab_config import load

    config = cfg()
    ballots = {
        "b1": ["bob", None, "alice"],
        "b2": [["alice", "carol"], "bob"],
        "b3": [[]],
        "b4": [],
        "b5": ["carol"],
    }
    records = make_records(config, ballots.items())
    for name, data in export(config, records, "{}").items():
        (tmp_path / name.removeprefix("rctab/")).write_bytes(data)
    contest = load(tmp_path / "config.json")
    (source,) = contest.sources
    got = {cvr.supplied_id: cvr.rankings for cvr in read_source(source, contest)}
    assert got == {
        "b1": ((1, "bob"), (3, "alice")),
        "b2": ((1, "alice"), (1, "carol"), (2, "bob")),
        "b3": ((1, OVERVOTE),),
        "b4": (),
        "b5": ((1, "carol"),),
    }


def test_tie_outcomes_become_rctab_operator_decisions():
    from tally.audit.rctab_export import tiebreak_decisions

    result = {
        "ties": [
            {"round": 2, "kind": "elimination", "tied": ["bob", "carol"], "selected": "carol", "rule": "x"},
            {"round": 4, "kind": "election", "tied": ["alice", "bob"], "selected": "bob"},
        ]
    }
    assert json.loads(tiebreak_decisions(json.dumps(result))) == [
        {"round": 2, "tied": ["bob", "carol"], "choice": "carol", "kind": "loser"},
        {"round": 4, "tied": ["alice", "bob"], "choice": "bob", "kind": "winner"},
    ]
    assert json.loads(tiebreak_decisions("{}")) == []
