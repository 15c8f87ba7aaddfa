"""Budget records: built into tally's budget ballot set with the config's costs and budget, certified and
verified end to end."""

import pytest

from tally import TallyError
from tally.audit import AuditConfig, certify, generate_key, make_records, verify_package
from tally.audit.package import read_package, write_package
from tally.audit.records import ballots_from_records

RULES = {"costs": {"p1": 50, "p2": 30, "p3": 40}, "budget": 80}


def config(method="greedy", **rules):
    return AuditConfig(
        contest="pb-2026",
        ballot_type="budget",
        method=method,
        candidates=("p1", "p2", "p3"),
        seed="s",
        ballot_rules={**RULES, **rules},
    )


def test_budget_records_carry_costs_budget_and_points():
    cfg = config()
    ballots = ballots_from_records(cfg, make_records(cfg, [("v1", ["p1", "p2"]), ("v2", ["p3"])]))
    assert ballots.points.tolist() == [[1, 1, 0], [0, 0, 1]]
    assert [int(c) for c in ballots.costs] == [50, 30, 40]
    assert int(ballots.budget) == 80
    assert ballots.vote_type == "approval"


@pytest.mark.parametrize(
    ("method", "ballots"),
    [
        pytest.param(
            "greedy", {"v1": ["p1", "p2"], "v2": ["p2"], "v3": ["p3", "p2"], "v4": ["p1"]}, id="greedy"
        ),
        pytest.param(
            "equalshares", {"v1": {"p1": 2, "p2": 1}, "v2": {"p2": 3}, "v3": {"p3": 1}}, id="mes-points"
        ),
    ],
)
def test_budget_contest_certifies_verifies_and_detects_a_change(method, ballots):
    cfg = config(method)
    cert = certify(cfg, make_records(cfg, ballots.items()), generate_key())
    assert verify_package(cert.package).ok
    files = read_package(cert.package)
    files["config.json"] = config(method, budget=90).to_json_bytes()
    lines = [c.line() for c in verify_package(write_package(files)).differences()]
    assert any(line.startswith("DIFFERS config.json: hash differs") for line in lines)


def test_budget_rules_without_costs_are_refused():
    cfg = AuditConfig(
        contest="pb", ballot_type="budget", method="greedy", candidates=("p1",), ballot_rules={}
    )
    with pytest.raises(TallyError, match="ballot_rules needs 'budget' and 'costs'"):
        ballots_from_records(cfg, make_records(cfg, [("v1", ["p1"])]))


def test_quadratic_contest_certifies_verifies_and_rechecks_credits():
    cfg = AuditConfig(
        contest="q-2026",
        ballot_type="quadratic",
        method="quadratic",
        candidates=("x", "y", "z"),
        seed="s",
        ballot_rules={"credits": 9, "allow_negative": True},
    )
    cert = certify(
        cfg,
        make_records(cfg, [("v1", {"x": 2, "y": -2}), ("v2", {"y": 3}), ("v3", {"z": 1})]),
        generate_key(),
    )
    assert cert.result.elected == ["x"]  # net votes x 2, y -2 + 3 = 1, z 1
    assert verify_package(cert.package).ok
    with pytest.raises(TallyError, match="v1|ballot 1|budget|credit"):
        certify(cfg, make_records(cfg, [("v1", {"x": 3, "y": 1})]), generate_key())
