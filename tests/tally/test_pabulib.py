"""Pabulib files: every entry of expected.json reproduced, reader errors, greedy variants."""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cache

import pytest

from tally import TallyError, count
from tally.formats import load
from tests.conftest import DATA

EXPECTED = json.loads((DATA / "elections" / "expected.json").read_text()) if DATA.is_dir() else {}
PB = sorted(k for k in EXPECTED if k.startswith("pabulib/"))
VARIANTS = {"greedy": "greedy", "greedy-no-skip": "greedy-no-skip", "greedy-threshold": "greedy-threshold"}


@cache
def _load(key):
    return load(DATA / "elections" / key)


def test_corpus_has_the_pabulib_files():
    assert len(PB) == 12


@pytest.mark.parametrize("key", PB, ids=lambda k: k.split("/")[-1][:-3])
def test_pabulib_selection_is_reproduced(key):
    exp = EXPECTED[key]
    loaded = _load(key)
    assert loaded.method is not None
    res = count(loaded.ballots, method=loaded.method)
    assert set(res.elected) == set(exp["elected"])
    assert len(res.elected) == len(exp["elected"])
    # the file's own per-project tally follows from its ballots
    assert {k: int(v) for k, v in exp["project_scores"].items()} == res.details["scores"]
    assert res.details["spent"] <= loaded.ballots.budget or exp.get("selected_marks")
    for pid, mark in (exp.get("selected_marks") or {}).items():
        step = next(r for r in res.rounds if r.get("project") == pid)
        assert mark == "2" and step["outcome"] == "selected from reserve"
    # every greedy variant the corpus checked agrees or differs exactly as recorded
    for variant, verdict in (exp.get("our_check") or {}).items():
        if variant in VARIANTS and (variant != "greedy-threshold" or loaded.ballots.threshold is not None):
            other = count(loaded.ballots, method=VARIANTS[variant])
            assert (set(other.elected) == set(exp["elected"])) == (verdict == "match"), variant


def test_meta_rule_is_the_default_method_and_scores_by_vote_type():
    loaded = _load("pabulib/Poland_Krakow_2021_Bienczyce.pb")
    assert loaded.method == "greedy"
    assert loaded.ballots.vote_type == "ordinal"
    assert int(loaded.ballots.points.max()) == 3


def _write(tmp_path, body, name="x.pb"):
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


GOOD = """META
key;value
budget;10
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes
a;6;2
b;5;2
c;4;1
VOTES
voter_id;vote
1;a,b
2;a,c
3;b
"""


def test_small_file_reads_and_counts(tmp_path):
    loaded = load(_write(tmp_path, GOOD))
    res = count(loaded.ballots, method="greedy", tie_break="project-id")
    assert res.elected == ["a", "c"]
    assert [r["outcome"] for r in res.rounds] == ["selected", "does not fit", "selected"]
    res = count(loaded.ballots, method="greedy-no-skip", tie_break="project-id")
    assert res.elected == ["a"]
    assert res.details["spent"] == Fraction(6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("1;a,b", "1;a,zz"), "line 13: vote for unknown project 'zz'"),
        (("1;a,b", "1;a,a"), "line 13: project 'a' listed twice"),
        (("a;6;2", "a;six;2"), "line 8: cost 'six' is not a number"),
        (("budget;10\n", ""), "META has no budget"),
        (("VOTES\n", "VOTERS\n"), "no VOTES section"),
        (("b;5;2", "b;5"), "line 9: PROJECTS row has 2 fields"),
        (("vote_type;approval", "vote_type;weird"), "vote_type 'weird'"),
        (("rule;greedy", "rule;lottery"), "META rule 'lottery'"),
    ],
    ids=[
        "unknown-project",
        "duplicate",
        "bad-cost",
        "no-budget",
        "no-votes",
        "short-row",
        "vote-type",
        "rule",
    ],
)
def test_reader_errors_name_file_and_line(tmp_path, change, message):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(TallyError) as err:
        load(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_cumulative_needs_points(tmp_path):
    body = GOOD.replace("vote_type;approval", "vote_type;cumulative")
    with pytest.raises(TallyError, match="points column"):
        load(_write(tmp_path, body))
    body = body.replace("voter_id;vote", "voter_id;vote;points").replace("1;a,b", "1;a,b;3,1")
    body = body.replace("2;a,c", "2;a,c;1,1").replace("3;b\n", "3;b;2\n")
    b = load(_write(tmp_path, body)).ballots
    assert count(b, method="greedy").details["scores"] == {"a": 4, "b": 3, "c": 1}


def test_threshold_rule_needs_a_threshold(tmp_path):
    b = load(_write(tmp_path, GOOD)).ballots
    with pytest.raises(TallyError, match="threshold"):
        count(b, method="greedy-threshold")
    assert count(b, method="greedy-threshold", threshold=2, tie_break="project-id").elected == ["a"]


def test_budget_rules_refuse_other_ballots():
    with pytest.raises(TallyError, match="budget ballots"):
        count([[1]], method="greedy")


def test_tally_count_uses_the_meta_rule(tmp_path):
    from click.testing import CliRunner

    from tally.cli import cli

    path = _write(tmp_path, GOOD)
    out = CliRunner().invoke(cli, ["count", str(path), "--json", "-o", "tie_break=project-id"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["elected"] == ["a", "c"]
    assert json.loads(out.output)["method"] == "greedy"
    out = CliRunner().invoke(cli, ["count", str(path), "--method", "equalshares/add1", "--json"])
    assert out.exit_code == 0, out.output
    bad = _write(tmp_path, GOOD.replace("1;a,b", "1;q"), "bad.pb")
    out = CliRunner().invoke(cli, ["count", str(bad)])
    assert out.exit_code == 2
    assert "line 13" in out.output and "Traceback" not in out.output
