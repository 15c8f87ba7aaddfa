"""``tally count`` with STV rules: droop variant names, the STV flags, seats from the BLT header."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tally.cli import cli
from tally.errors import TallyError
from tally.stvrules.variants import parse_variant, split_method

from ..conftest import DATA

DROOP = DATA / "elections" / "droop"


@pytest.mark.parametrize(
    ("name", "rule", "opts"),
    [
        (
            "meek-prf-o6-fixed-p9-d9",
            "meek-prf",
            {"omega": 6, "arithmetic": "fixed", "precision": 9, "display": 9},
        ),
        (
            "wigm-prf-batch-fixed-p4-d4",
            "wigm-prf-batch",
            {"arithmetic": "fixed", "precision": 4, "display": 4},
        ),
        (
            "meek-o9-guarded-p18-g9-d18",
            "meek",
            {"omega": 9, "arithmetic": "guarded", "precision": 18, "guard": 9, "display": 18},
        ),
        ("warren-o10-rational-d12", "warren", {"omega": 10, "arithmetic": "rational", "display": 12}),
        ("scottish-stv", "scottish-stv", {}),
        ("wigm-integer", "wigm", {"arithmetic": "fixed", "precision": 0}),
        ("cfer-batch", "cfer-batch", {}),
    ],
)
def test_droop_variant_names_split_into_rule_and_options(name, rule, opts):
    assert parse_variant(name) == (rule, opts)


@pytest.mark.parametrize("name", ["meek-x9", "meek-p9-p8", "stv-fixed-p5", "meek-prf-o6-fixed-p9-dd"])
def test_unreadable_variant_names_are_refused(name):
    with pytest.raises(TallyError):
        parse_variant(name)


def test_flags_add_to_a_variant_but_may_not_contradict_it():
    assert split_method("meek-o6", arithmetic="rational", precision=None) == (
        "meek",
        {"omega": 6, "arithmetic": "rational"},
    )
    with pytest.raises(TallyError, match="contradicts"):
        split_method("meek-o6-fixed-p9", precision=8)


def test_count_command_reads_variant_name_and_seats_from_blt_header():
    path = DROOP / "meek-prf-o6-fixed-p9-d9" / "SC.blt"
    out = CliRunner().invoke(cli, ["count", str(path), "--method", "meek-prf-o6-fixed-p9-d9", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["method"] == "meek-prf"
    assert d["options"]["seats"] == 4
    assert sorted(d["elected"]) == sorted(
        ["Pat LaMarche", "Rebecca Rotzler", "Kristen Olsen", "Steve Kramer"]
    )
    assert d["rounds"][-1]["msg"] == "Count Complete"


def test_count_command_stv_flags_and_seats_override():
    path = DROOP / "wigm-rational-d12" / "42.blt"
    args = [
        "count",
        str(path),
        "--method",
        "wigm",
        "--arithmetic",
        "rational",
        "--display",
        "3",
        "--seats",
        "1",
    ]
    out = CliRunner().invoke(cli, [*args, "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["elected"] == ["Castor"]
    assert d["quota"] == "3.000"
    text = CliRunner().invoke(cli, args)
    assert "Action: Count Complete" in text.output and "Elected: Castor" in text.output


def test_count_command_refuses_a_fixed_rule_option_in_one_line():
    path = DROOP / "scotland-fixed-p5-d5" / "42.blt"
    out = CliRunner().invoke(cli, ["count", str(path), "--method", "scotland", "--precision", "4"])
    assert out.exit_code == 2
    assert "scotland" in out.output and "precision" in out.output
    assert "Traceback" not in out.output
