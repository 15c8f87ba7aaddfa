"""Every reader on the RCTab test cases' real CVR files: counts, ids and rankings as RCTab reads them."""

from __future__ import annotations

import json

import pytest

from tally.cvr import read_source
from tally.errors import CvrError
from tally.rctab.model import OVERVOTE, UWI

from .conftest import RCTAB, case_config

CASES = [
    "aliases_cdf_json",
    "clear_ballot_kansas_primary",
    "conversions_from_cdf",
    "dominion_alaska",
    "dominion_multi_file",
    "generic_csv_test",
    "hart_travis_county_officers",
    "nist_xml_cdf_2",
    "test_set_0_skipped_first_choice",
    "test_set_1_exhaust_at_overvote",
    "test_set_2_overvote_skip_to_next",
    "test_set_3_skipped_choice_exhaust",
    "test_set_6_duplicate_exhaust",
    "test_set_multi_winner_fractional_threshold",
    "unisyn_xml_cdf_city_chief_of_police",
    "unisyn_xml_cdf_city_mayor",
    "unisyn_xml_cdf_county_coroner",
]


def read_all(config):
    return [cvr for source in config.sources for cvr in read_source(source, config)]


@pytest.mark.parametrize("case", CASES)
def test_reads_every_ballot_and_undervote_of_case(case):
    config = case_config(case)
    cvrs = read_all(config)
    summary = json.loads(
        (RCTAB / case / f"{case}_expected_detailed_report.json").read_text()
        if (RCTAB / case / f"{case}_expected_detailed_report.json").exists()
        else (RCTAB / "aliases_cdf_json" / "aliases_cdf_json_expected_detailed_report.json").read_text()
    )["summary"]
    assert len(cvrs) == int(summary["totalNumBallots"])
    assert sum(1 for c in cvrs if not c.rankings) == summary["undervotes"]
    for cvr in cvrs:
        assert list(cvr.rankings) == sorted(cvr.rankings, key=lambda p: p[0])
        assert all(config.name_for(s) is not None for _, s in cvr.rankings)


def test_cdf_json_ids_and_overvote():
    config = case_config("test_set_1_exhaust_at_overvote")
    cvrs = read_all(config)
    first = cvrs[0]
    assert first.record_id == "test_set_1_exhaust_at_overvote_cvr.json(1)"
    assert first.supplied_id == "1"
    assert [s for r, s in first.rankings if r == 1] == ["Candidate A Name", "Candidate B Name"]
    assert cvrs[-1].record_id.endswith("(15)")


def test_cdf_json_repeated_candidate_keeps_both_ranks():
    cvrs = read_all(case_config("aliases_cdf_json"))
    assert cvrs[0].rankings == (
        (1, "Candidate D Name File 1"),
        (2, "Candidate D Name File 1"),
        (3, "Candidate A Name File 1"),
    )
    assert cvrs[15].record_id == "cdf_json_file2_cvr.json(1)"


def test_cdf_xml_skips_needs_adjudication_and_unallocable():
    cvrs = read_all(case_config("nist_xml_cdf_2"))
    assert len(cvrs) == 1
    assert cvrs[0].rankings == ()
    assert cvrs[0].record_id == "nist_xml_cdf_2.xml(1)"


def test_cdf_xml_precinct_from_gpunit_and_unique_id():
    cvr = read_all(case_config("unisyn_xml_cdf_city_mayor"))[0]
    assert cvr.supplied_id == "2526"
    assert cvr.precinct == "Precinct 1"
    assert cvr.rankings == ((1, "Karen Petersen"), (2, "Jon Miller"), (3, "Jerry Meyer"))


def test_dominion_ids_and_write_in_label():
    cvr = read_all(case_config("dominion_alaska"))[0]
    assert (cvr.tabulator_id, cvr.batch_id, cvr.supplied_id, cvr.record_id) == ("42", "1", "1", "")
    assert cvr.precinct_portion == "Precinct 1"
    assert cvr.precinct == ""
    assert cvr.extra == {"contest_id": "1", "ballot_type_id": "1"}
    assert cvr.rankings == ((1, "9"), (2, "1"), (3, UWI), (4, "8"), (5, "7"))


def test_dominion_multi_file_reads_every_numbered_file_in_path_order():
    cvrs = read_all(case_config("dominion_multi_file"))
    assert len(cvrs) == 25
    firsts = [c.rankings[0][1] for c in cvrs if c.rankings]
    assert sorted(firsts) == sorted(["27"] * 9 + ["28"] * 4 + ["29"] + ["30"] * 3)


def test_clear_ballot_reads_rank_columns_and_ids():
    cvr = read_all(case_config("clear_ballot_kansas_primary"))[0]
    assert cvr.supplied_id == "ED-004+10003"
    assert cvr.tabulator_id == "Don-DeFord"
    assert cvr.precinct == "1"
    assert cvr.rankings[0] == (1, "Amy Klobuchar")


def test_hart_reads_value_digits_as_ranks_and_sets_ids():
    cvrs = read_all(case_config("hart_travis_county_officers"))
    by_id = {c.supplied_id: c for c in cvrs}
    cvr = by_id["e84522d1-adce-43df-8b49-13adb8bcc2e1"]
    assert cvr.batch_id == "1"
    assert cvr.precinct == "1032"
    assert cvr.precinct_portion == "af0ca8d7-e3dc-4f66-8ceb-37ccd3c8e915"
    assert [r for r, _ in cvr.rankings] == [1, 1, 1]  # three options marked at rank 1: an overvote


def test_generic_csv_columns_and_write_in():
    cvrs = read_all(case_config("generic_csv_test"))
    assert (cvrs[0].record_id, cvrs[0].supplied_id, cvrs[0].precinct, cvrs[0].batch_id) == (
        "1",
        "R_3QEQ85E7gV2DuyG",
        "p1",
        "b1",
    )
    assert cvrs[0].rankings == ((1, "Cucumber"), (2, "Broccoli"))
    assert (2, UWI) in cvrs[2].rankings or (4, UWI) in cvrs[2].rankings
    assert cvrs[-1].precinct == "" and cvrs[-1].batch_id == ""


def test_max_ranking_enforcement_fails_naming_file_and_row():
    config = case_config("max_ranking_enforcement")
    with pytest.raises(CvrError) as err:
        read_all(config)
    assert "max_ranking_enforcement_cvr.csv" in str(err.value)
    assert "row 1" in str(err.value)
    assert "maxRankingsAllowed" in str(err.value)


def test_overvote_token_is_the_model_constant():
    assert OVERVOTE == "overvote"
