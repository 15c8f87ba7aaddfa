"""RCTab config loading: string or int numbers, blanks, migration, every error at once."""

from __future__ import annotations

import json

import pytest

from tally.errors import ConfigError
from tally.rctab.config import load, parse

from .helpers import raw_config


def test_numbers_as_strings_or_ints_and_blanks(tmp_path):
    raw = raw_config(["A", "B"], tmp_path, numberOfWinners=1, randomSeed="", stopTabulationEarlyAfterRound="")
    config = parse(raw, tmp_path / "c.json")
    assert config.rules.number_of_winners == 1
    assert config.rules.random_seed is None and config.rules.stop_after_round is None
    assert config.rules.max_rankings is None and config.rules.max_skipped_ranks is None


def test_unknown_keys_are_ignored(tmp_path):
    raw = raw_config(["A"], tmp_path, somethingNew="x")
    raw["futureField"] = {"a": 1}
    assert parse(raw, tmp_path / "c.json").candidates[0].name == "A"


def test_relative_cvr_path_is_resolved_against_the_config_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cvr.xlsx").write_bytes(b"")
    raw = raw_config(["A"], tmp_path)
    raw["cvrFileSources"][0]["filePath"] = "cvr.xlsx"
    path = tmp_path / "sub" / "config.json"
    path.write_text(json.dumps(raw))
    assert load(path).sources[0].file_path == tmp_path / "sub" / "cvr.xlsx"


def test_old_enum_names_and_labels_are_migrated(tmp_path):
    raw = raw_config(["A", "B"], tmp_path, winnerElectionMode="singleSeatContinueUntilTwoCandidatesRemain")
    raw["tabulatorVersion"] = "1.0.1"
    raw["rules"]["tiebreakMode"] = "usePermutationInConfig"
    raw["rules"]["overvoteLabel"] = "OV"
    raw["rules"]["undervoteLabel"] = "UV"
    del raw["cvrFileSources"][0]["undeclaredWriteInLabel"]
    raw["rules"]["undeclaredWriteInLabel"] = "WI"
    raw["candidates"][0]["code"] = "a1"
    config = parse(raw, tmp_path / "c.json")
    assert config.rules.winner_election_mode == "singleWinnerMajority"
    assert config.rules.continue_until_two
    assert config.rules.tiebreak_mode == "useCandidateOrder"
    source = config.sources[0]
    assert (source.overvote_label, source.skipped_rank_label, source.undeclared_write_in_label) == (
        "OV",
        "UV",
        "WI",
    )
    assert config.candidates[0].aliases == ("a1",)
    assert config.uwi_enabled


def test_every_error_is_reported_at_once(tmp_path):
    raw = raw_config(
        ["A", "A"],
        tmp_path,
        tiebreakMode="nope",
        decimalPlacesForVoteArithmetic="0",
        maxRankingsAllowed="0",
        hareQuota=True,
        nonIntegerWinningThreshold=True,
    )
    with pytest.raises(ConfigError) as info:
        parse(raw, tmp_path / "c.json")
    text = "\n".join(info.value.errors)
    for part in (
        "tiebreakMode",
        "decimalPlaces",
        "maxRankingsAllowed",
        "cannot both be true",
        "more than once",
    ):
        assert part in text
    assert info.value.file == str(tmp_path / "c.json")


def test_random_modes_need_a_seed(tmp_path):
    with pytest.raises(ConfigError, match="randomSeed is required"):
        parse(raw_config(["A"], tmp_path, tiebreakMode="random"), tmp_path / "c.json")


def test_mode_must_fit_number_of_winners(tmp_path):
    with pytest.raises(ConfigError, match="must be 1"):
        parse(raw_config(["A", "B"], tmp_path, numberOfWinners="2"), tmp_path / "c.json")


def test_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{nope")
    with pytest.raises(ConfigError, match="not valid JSON") as info:
        load(path)
    assert str(path) in str(info.value)
