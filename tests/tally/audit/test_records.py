import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally import BLANK, OVERVOTE, RankedBallots, TallyError
from tally.audit import AuditConfig, BallotRecord, canonical_ballot, make_records, read_records, write_records
from tally.audit.records import ballots_from_records, records_from_ranked
from tally.errors import BallotError, ConfigError

CANDS = ("a", "b", "c", "d")


def config(ballot_type="ranked", **kw):
    return AuditConfig(contest="c1", ballot_type=ballot_type, method="irv", candidates=CANDS, **kw)


@pytest.mark.parametrize(
    ("ballot_type", "choices", "expected"),
    [
        pytest.param("ranked", ["b", "a"], ["b", "a"], id="ranked-order-kept"),
        pytest.param("ranked", ["b", "", None], ["b"], id="ranked-trailing-blanks-dropped"),
        pytest.param("ranked", ["", "c"], [None, "c"], id="ranked-skipped-rank"),
        pytest.param("ranked", [["c", "a"], "b"], [["a", "c"], "b"], id="ranked-overvote-sorted"),
        pytest.param("ranked", [["c"]], ["c"], id="ranked-single-mark-list"),
        pytest.param("approval", ["d", "a"], ["a", "d"], id="approval-sorted"),
        pytest.param("budget", ["c", "b"], ["b", "c"], id="budget-approval"),
        pytest.param("budget", {"c": 2, "a": 0}, {"c": 2}, id="budget-points-zero-dropped"),
        pytest.param("quadratic", {"b": -2, "a": 3, "c": 0}, {"a": 3, "b": -2}, id="quadratic"),
        pytest.param("score", {"b": 0, "a": 5}, {"a": 5, "b": 0}, id="score-keeps-zero"),
    ],
)
def test_canonical_ballot_normalises(ballot_type, choices, expected):
    assert canonical_ballot(ballot_type, choices, CANDS) == expected


@pytest.mark.parametrize(
    ("ballot_type", "choices", "message"),
    [
        pytest.param("ranked", ["a", "z"], "'z' is not a candidate", id="unknown-candidate"),
        pytest.param("approval", ["a", "a"], "approved twice", id="approval-repeat"),
        pytest.param("quadratic", {"a": "3"}, "must be an integer", id="quadratic-text"),
        pytest.param("quadratic", {"a": True}, "must be an integer", id="quadratic-bool"),
        pytest.param("budget", {"a": -1}, "must not be negative", id="budget-negative"),
        pytest.param("ranked", "ab", "list of ranks", id="ranked-not-list"),
    ],
)
def test_canonical_ballot_refuses_bad_ballots(ballot_type, choices, message):
    with pytest.raises(BallotError, match=message):
        canonical_ballot(ballot_type, choices, CANDS, record="x1")


def test_records_file_round_trips_and_is_sorted_by_id():
    cfg = config()
    records = make_records(cfg, [("z9", ["a"]), ("a1", ["b", "c"]), ("m5", [None, "d"])])
    assert [r.id for r in records] == ["a1", "m5", "z9"]
    raw = write_records(cfg, records)
    assert raw.splitlines()[1] == b'{"ballot":["b","c"],"id":"a1"}'
    assert read_records(raw, cfg) == records


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(lambda s: s.replace(b'"id":"a1"', b'"id": "a1"'), "not in canonical form", id="spacing"),
        pytest.param(lambda s: s.replace(b'"a1"', b'"n1"'), "out of order", id="unsorted"),
        pytest.param(lambda s: s.replace(b'"count":2', b'"count":3'), "header count", id="count"),
        pytest.param(lambda s: s.replace(b'["b","c"]', b'["b","x"]'), "not a candidate", id="unknown"),
        pytest.param(lambda s: s.replace(b'"c1"', b'"c2"'), "header contest", id="contest"),
        pytest.param(lambda s: s[:-1], "newline", id="no-final-newline"),
        pytest.param(lambda s: s.replace(b'["b","c"]', b'["b",1.5]'), "not an integer", id="float"),
    ],
)
def test_read_records_refuses_non_canonical_files(mutate, message):
    cfg = config()
    raw = write_records(cfg, make_records(cfg, [("a1", ["b", "c"]), ("m5", ["d"])]))
    with pytest.raises(TallyError, match=message):
        read_records(mutate(raw), cfg)


def test_make_records_refuses_repeated_and_bad_ids():
    with pytest.raises(BallotError, match="appears twice"):
        make_records(config(), [("x", ["a"]), ("x", ["b"])])
    with pytest.raises(BallotError, match="ballot id"):
        make_records(config(), [("x/../y", ["a"])])


def test_ranked_records_build_the_ballot_matrix():
    cfg = config()
    records = make_records(cfg, [("1", ["b", "a"]), ("2", [None, "c"]), ("3", [["a", "b"], "d"])])
    ballots = ballots_from_records(cfg, records)
    assert ballots.candidates.names == CANDS
    assert ballots.ranks.tolist() == [[1, 0], [BLANK, 2], [OVERVOTE, 3]]
    assert ballots.weights.tolist() == [1, 1, 1]


def test_records_from_ranked_ignore_row_order_and_expand_weights():
    one = RankedBallots.from_rankings([["a", "b"], ["c"]], candidates=CANDS, weights=[2, 1])
    two = RankedBallots.from_rankings([["c"], ["a", "b"]], candidates=CANDS, weights=[1, 2])
    recs = records_from_ranked(one)
    assert recs == records_from_ranked(two)
    assert [r.ballot for r in recs] == [["a", "b"], ["a", "b"], ["c"]]
    assert [r.id for r in recs] == ["b000001", "b000002", "b000003"]
    back = ballots_from_records(config(), recs)
    assert back.grouped().weights.tolist() == one.grouped().weights.tolist()


def test_approval_records_build_the_approval_matrix():
    cfg = config("approval")
    ballots = ballots_from_records(cfg, make_records(cfg, [("1", ["a", "c"]), ("2", []), ("3", ["d"])]))
    assert ballots.approvals.tolist() == [
        [True, False, True, False],
        [False] * 4,
        [False, False, False, True],
    ]
    assert ballots.candidates.names == CANDS


@pytest.mark.parametrize("ballot_type", ["score", "quadratic"])
def test_integer_records_build_the_score_matrix(ballot_type):
    cfg = config(ballot_type)
    ballots = ballots_from_records(cfg, make_records(cfg, [("1", {"b": 3, "d": -2}), ("2", {"a": 1})]))
    assert ballots.scores.tolist() == [[0, 3, 0, -2], [1, 0, 0, 0]]
    assert ballots.weights.tolist() == [1, 1]


def test_config_refuses_floats_and_duplicates():
    with pytest.raises(ConfigError, match="float"):
        config(options={"x": 0.5})
    with pytest.raises(ConfigError, match="appears twice"):
        AuditConfig(contest="c", ballot_type="ranked", method="irv", candidates=["a", "a"])


def test_config_hash_changes_with_any_field():
    base = config()
    assert base.sha256() == config().sha256()
    assert base.sha256() != config(seed="s").sha256()
    assert base.sha256() != config(seats=2).sha256()
    assert AuditConfig.from_json_bytes(base.to_json_bytes()) == base


_ranked = st.lists(
    st.one_of(
        st.sampled_from(CANDS),
        st.none(),
        st.lists(st.sampled_from(CANDS), min_size=2, max_size=4, unique=True),
        st.just([]),
    ),
    max_size=6,
)
_ids = st.text(alphabet="abcXYZ019._:-", min_size=1, max_size=12)


@given(st.dictionaries(_ids, _ranked, max_size=8))
def test_ranked_record_encoding_round_trips(ballots):
    cfg = config()
    records = make_records(cfg, ballots.items())
    assert read_records(write_records(cfg, records), cfg) == records
    matrix = ballots_from_records(cfg, records)
    assert matrix.ranks.shape[0] == len(records)


@given(
    st.sampled_from(["approval", "budget", "quadratic", "score"]),
    st.dictionaries(_ids, st.dictionaries(st.sampled_from(CANDS), st.integers(-5, 5)), max_size=6),
)
def test_other_record_encodings_round_trip(ballot_type, ballots):
    cfg = config(ballot_type)
    if ballot_type == "approval":
        ballots = {k: sorted(v) for k, v in ballots.items()}
    elif ballot_type == "budget":
        ballots = {k: {c: abs(n) for c, n in v.items()} for k, v in ballots.items()}
    records = make_records(cfg, ballots.items())
    assert read_records(write_records(cfg, records), cfg) == records
    assert all(isinstance(r, BallotRecord) for r in records)


def test_int8_matrix_for_small_contests():
    cfg = config()
    ballots = ballots_from_records(cfg, make_records(cfg, [("1", ["a"])]))
    assert ballots.ranks.dtype == np.int8


@given(_ranked)
def test_canonical_ballot_is_idempotent(ranks):
    once = canonical_ballot("ranked", ranks, CANDS)
    assert canonical_ballot("ranked", once, CANDS) == once
