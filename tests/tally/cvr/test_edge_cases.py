"""Reader rules on small built files: each RCTab reader quirk and each hardening rule, one test each."""

from __future__ import annotations

import json
import zipfile

import pytest

from tally.cvr import read_source
from tally.cvr._guard import check_zip
from tally.cvr.rctab_csv import FIXED
from tally.errors import CvrError
from tally.rctab.model import OVERVOTE, UWI

from . import builders as b
from .conftest import config_for

UWI_SOURCE = {"undeclaredWriteInLabel": "UWI"}


def read(config):
    return [c for s in config.sources for c in read_source(s, config)]


# --- CDF JSON -----------------------------------------------------------------------------------


def test_cdf_json_write_in_selection_is_uwi(tmp_path):
    path = b.cdf_json(tmp_path, [[(1, "w"), (2, "a")]])
    cvrs = read(config_for(path, "cdf", b.NAMES, contestId="Mayor", **UWI_SOURCE))
    assert cvrs[0].rankings == ((1, UWI), (2, "Alice"))
    assert cvrs[0].precinct == ""


def test_cdf_json_overvote_label_candidate_is_overvote_token(tmp_path):
    path = b.cdf_json(tmp_path, [[(1, "c")]])
    config = config_for(path, "cdf", b.NAMES[:2], contestId="Mayor", overvoteLabel="Carol")
    assert read(config)[0].rankings == ((1, OVERVOTE),)


def test_cdf_json_rank_above_max_is_error(tmp_path):
    path = b.cdf_json(tmp_path, [[(1, "a")], [(3, "b")]])
    with pytest.raises(CvrError, match=r"CVR\[1\].*maxRankingsAllowed"):
        read(config_for(path, "cdf", b.NAMES, max_rankings=2, contestId="Mayor"))


def test_cdf_json_cvr_without_contest_is_error(tmp_path):
    path = b.cdf_json(tmp_path, [[(1, "a")]])
    data = json.loads(path.read_text())
    data["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["ContestId"] = "other"
    path.write_text(json.dumps(data))
    with pytest.raises(CvrError, match=r"cvr.json: CVR\[0\]: CVR has no CVRContest"):
        read(config_for(path, "cdf", b.NAMES, contestId="Mayor"))


def test_cdf_json_unknown_contest_name_is_error(tmp_path):
    path = b.cdf_json(tmp_path, [[(1, "a")]])
    with pytest.raises(CvrError, match="contest 'Dog catcher'"):
        read(config_for(path, "cdf", b.NAMES, contestId="Dog catcher"))


def test_cdf_json_unknown_candidate_is_error(tmp_path):
    path = b.cdf_json(tmp_path, [[(1, "b")]])
    with pytest.raises(CvrError, match="unrecognized candidate 'Bob'"):
        read(config_for(path, "cdf", ["Alice", "Carol"], contestId="Mayor"))


def test_cdf_json_rank_on_selection_and_unallocable_positions(tmp_path):
    path = b.cdf_json(tmp_path, [[(1, "a"), (2, "b")]])
    data = json.loads(path.read_text())
    sels = data["CVR"][0]["CVRSnapshot"][0]["CVRContest"][0]["CVRContestSelection"]
    sels[0] = {"ContestSelectionId": "cs-a", "Rank": 3}
    sels[1]["SelectionPosition"][0]["IsAllocable"] = "no"
    path.write_text(json.dumps(data))
    assert read(config_for(path, "cdf", b.NAMES, contestId="Mayor"))[0].rankings == ((3, "Alice"),)


def test_cdf_json_streams_many_cvrs_across_buffer_chunks(tmp_path, monkeypatch):
    from tally.cvr import _jsonstream

    monkeypatch.setattr(_jsonstream, "CHUNK", 4096)
    ballots = [[(1, "abc"[i % 3]), (2, "abc"[(i + 1) % 3])] for i in range(3000)]
    path = b.cdf_json(tmp_path, ballots)
    cvrs = read(config_for(path, "cdf", b.NAMES, contestId="Mayor"))
    assert len(cvrs) == 3000
    assert [c.record_id for c in cvrs[-2:]] == ["cvr.json(2999)", "cvr.json(3000)"]
    names = dict(zip("abc", b.NAMES, strict=True))
    assert [c.rankings for c in cvrs] == [tuple((r, names[x]) for r, x in ballot) for ballot in ballots]


# --- CDF XML -------------------------------------------------------------------------------------


def test_cdf_xml_rules(tmp_path):
    path = b.cdf_xml(tmp_path)
    cvrs = read(config_for(path, "cdf", b.NAMES, contestId="Mayor", **UWI_SOURCE))
    assert len(cvrs) == 1  # the CVR without the contest is skipped
    cvr = cvrs[0]
    assert cvr.rankings == ((1, "Alice"), (3, UWI))  # needs-adjudication and IsAllocable=no skipped
    assert (cvr.record_id, cvr.supplied_id, cvr.precinct) == ("cvr.xml(1)", "u1", "P1")


def test_cdf_xml_missing_required_fields_is_error(tmp_path):
    path = b.cdf_xml(tmp_path, body="<CVR/>")
    with pytest.raises(CvrError, match="required CDF fields missing"):
        read(config_for(path, "cdf", b.NAMES, contestId="Mayor"))


BILLION_LAUGHS = """<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>"""
XXE = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    "doctype", [BILLION_LAUGHS, XXE, "<!DOCTYPE r>"], ids=["billion-laughs", "xxe", "dtd"]
)
def test_cdf_xml_dtd_and_entities_are_refused(tmp_path, doctype):
    path = b.cdf_xml(tmp_path, doctype=doctype)
    with pytest.raises(CvrError, match=r"cvr.xml: XML (DTD|entity|external)"):
        read(config_for(path, "cdf", b.NAMES, contestId="Mayor"))


def test_xml_nesting_depth_is_limited(tmp_path):
    folder = b.hart(tmp_path / "h", [{"Alice": "1"}])
    (folder / "000.xml").write_text("<Cvr>" + "<a>" * 200 + "</a>" * 200 + "</Cvr>")
    with pytest.raises(CvrError, match="000.xml: XML nesting deeper than 64"):
        read(config_for(folder, "hart", b.hart_aliases(), contestId="k1"))


def test_cdf_xml_deep_nesting_is_refused(tmp_path):
    path = b.cdf_xml(tmp_path, body="<a>" * 200 + "</a>" * 200)
    with pytest.raises(CvrError, match="cvr.xml: "):
        read(config_for(path, "cdf", b.NAMES, contestId="Mayor"))


def test_cdf_xml_comment_hiding_a_cvr_end_tag_still_reads(tmp_path):
    path = b.cdf_xml(tmp_path)
    text = path.read_text().replace("<UniqueId>u1</UniqueId>", "<!-- </CVR> --><UniqueId>u1</UniqueId>")
    path.write_text(text)
    cvrs = read(config_for(path, "cdf", b.NAMES, contestId="Mayor", **UWI_SOURCE))
    assert cvrs[0].supplied_id == "u1"


def test_cdf_xml_fast_and_slow_paths_agree(tmp_path, monkeypatch):
    from tally.cvr import _cdf_xml, _xmlchunks

    monkeypatch.setattr(_xmlchunks, "CHUNK", 512)
    path = b.cdf_xml(tmp_path)
    body = path.read_text()
    start = body.index("<CVR>")
    end = body.index("<Election")
    path.write_text(body[:start] + body[start:end] * 40 + body[end:])
    config = config_for(path, "cdf", b.NAMES, contestId="Mayor", **UWI_SOURCE)
    fast = read(config)
    monkeypatch.setattr(_cdf_xml, "_fast_ok", lambda _path: False)
    slow = read(config)
    assert len(fast) == 40
    assert [(c.rankings, c.record_id, c.supplied_id, c.precinct) for c in fast] == [
        (c.rankings, c.record_id, c.supplied_id, c.precinct) for c in slow
    ]


def test_cdf_wrong_extension_is_error(tmp_path):
    path = tmp_path / "cvr.txt"
    path.write_text("{}")
    with pytest.raises(CvrError, match=r"\.json or \.xml"):
        read(config_for(path, "cdf", b.NAMES, contestId="Mayor"))


# --- Dominion ------------------------------------------------------------------------------------


def dominion_config(folder, **kw):
    return config_for(folder, "dominion", b.dominion_aliases(), contestId="7", **kw)


def test_dominion_modified_outstack_ambiguous(tmp_path):
    folder = b.dominion(
        tmp_path / "d",
        [
            b.session(1, [(1, 1), (2, 2)]),
            b.session(2, [(1, 1)], current=False, modified=[(1, 3)]),
            b.session(3, [(1, 2)], current=False),  # not current, no modification: skipped
            b.session(4, [(1, 2)], outstack=[7]),  # outstack condition 7: skipped
            b.session(5, [(1, 2, True), (2, 3)]),  # ambiguous mark skipped
            b.session(6, [(1, 9)]),
        ],
    )
    cvrs = read(dominion_config(folder, undeclaredWriteInLabel="9"))
    assert [c.supplied_id for c in cvrs] == ["1", "2", "5", "6"]
    assert [c.rankings for c in cvrs] == [((1, "1"), (2, "2")), ((1, "3"),), ((2, "3"),), ((1, UWI),)]
    assert (cvrs[0].precinct, cvrs[0].precinct_portion, cvrs[0].tabulator_id, cvrs[0].batch_id) == (
        "Precinct 1",
        "PP 1",
        "5",
        "2",
    )


def test_dominion_rank_above_num_of_ranks_is_error(tmp_path):
    folder = b.dominion(tmp_path / "d", [b.session(1, [(1, 1)]), b.session(2, [(3, 2)])], num_ranks=2)
    with pytest.raises(CvrError, match=r"Sessions\[1\].*NumOfRanks"):
        read(dominion_config(folder))


def test_dominion_candidate_not_in_manifest_is_error(tmp_path):
    folder = b.dominion(tmp_path / "d", [b.session(1, [(1, 4)])])
    with pytest.raises(CvrError, match="candidate id '4' is not listed"):
        read(dominion_config(folder))


def test_dominion_numbered_files_sorted_by_path(tmp_path):
    folder = b.dominion(tmp_path / "d", [])
    (folder / "CvrExport.json").unlink()
    for n, rec in ((2, 20), (1, 10), (10, 100)):
        (folder / f"CvrExport_{n}.json").write_text(json.dumps({"Sessions": [b.session(rec, [(1, 1)])]}))
    assert [c.supplied_id for c in read(dominion_config(folder))] == ["10", "100", "20"]


def test_dominion_missing_manifest_is_error(tmp_path):
    folder = b.dominion(tmp_path / "d", [b.session(1, [(1, 1)])])
    (folder / "CandidateManifest.json").unlink()
    with pytest.raises(CvrError, match="missing CandidateManifest.json"):
        read(dominion_config(folder))


# --- Clear Ballot, Hart, generic CSV, RCTab CSV ----------------------------------------------------


def test_clear_ballot_quoted_commas_and_ranks_above_limit_dropped(tmp_path):
    path = b.clear_ballot(tmp_path, [[1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1, 0, 0]])
    config = config_for(path, "clearBallot", b.NAMES, max_rankings=2, contestId="Mayor, City")
    cvrs = read(config)
    assert cvrs[0].rankings == ((1, "Alice"), (2, "Bob"))  # rank-3 column dropped
    assert cvrs[1].rankings == ()
    assert (cvrs[0].supplied_id, cvrs[0].precinct, cvrs[0].tabulator_id) == ("B1+1", "P1", "SC-1")


def test_clear_ballot_bad_cell_is_error(tmp_path):
    path = b.clear_ballot(tmp_path, [[1, 0, 0, 0, 2, 0, 0, 0, 0]])
    with pytest.raises(CvrError, match="line 2.*not 0 or 1"):
        read(config_for(path, "clearBallot", b.NAMES, contestId="Mayor, City"))


def test_hart_value_digits_signature_files_ignored(tmp_path):
    folder = b.hart(tmp_path / "h", [{"Alice": "100", "Bob": "011"}, {"Alice": "1", "Carol": "1"}])
    (folder / "000.xml.sig.xml").write_text("not xml at all <<<")
    cvrs = read(config_for(folder, "hart", b.hart_aliases(), contestId="k1"))
    assert cvrs[0].rankings == ((1, "alice"), (2, "bob"), (3, "bob"))
    assert [s for r, s in cvrs[1].rankings if r == 1] == ["alice", "carol"]
    assert (cvrs[1].supplied_id, cvrs[1].precinct, cvrs[1].precinct_portion, cvrs[1].batch_id) == (
        "g1",
        "P1",
        "ps1",
        "4",
    )


def test_hart_bad_value_is_error(tmp_path):
    folder = b.hart(tmp_path / "h", [{"Alice": "1x"}])
    with pytest.raises(CvrError, match="000.xml.*0/1 digits"):
        read(config_for(folder, "hart", b.hart_aliases(), contestId="k1"))


def test_generic_csv_ragged_row_and_bad_rank(tmp_path):
    path = b.generic_csv(tmp_path, [["r1", "p", "1", "2", "", "3"]])
    with pytest.raises(CvrError, match="row 1.*beyond the header"):
        read(config_for(path, "genericCsv", b.NAMES, firstVoteColumnIndex="3", idColumnIndex="1"))
    path = b.generic_csv(tmp_path, [["r1", "p", "1", "x", ""]])
    with pytest.raises(CvrError, match="'x' is not a whole number"):
        read(config_for(path, "genericCsv", b.NAMES, firstVoteColumnIndex="3"))


def test_rctab_csv_reads_names_overvotes_and_ids(tmp_path):
    path = tmp_path / "r.csv"
    head = ",".join(FIXED)
    path.write_text(
        head + ",Rank 1,Rank 2,Rank 3\na.json,cdf,,a.json(1),t,b,v,p,pp,Alice|Bob,undervote,overvote\n"
    )
    cvr = read(config_for(path, "rctabCsv", b.NAMES))[0]
    assert cvr.rankings == ((1, "Alice"), (1, "Bob"), (3, OVERVOTE))
    assert (cvr.record_id, cvr.tabulator_id, cvr.batch_id, cvr.supplied_id) == ("a.json(1)", "t", "b", "v")


# --- files and zips ------------------------------------------------------------------------------


def test_missing_file_is_error(tmp_path):
    with pytest.raises(CvrError, match="cannot read CVR file"):
        read(config_for(tmp_path / "nope.csv", "genericCsv", b.NAMES, firstVoteColumnIndex="1"))


def test_not_utf8_is_error(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(b"id,Alice\n1,\xff\xfe\n")
    with pytest.raises(CvrError, match="not valid UTF-8"):
        read(config_for(path, "genericCsv", b.NAMES, firstVoteColumnIndex="2"))


def test_zip_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "cvr.xlsx"
    path.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(CvrError, match="not a valid zip"):
        check_zip(path)


def test_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024**2))
    with pytest.raises(CvrError, match="zip bomb"):
        check_zip(path)


def test_json_nesting_depth_is_limited(tmp_path):
    folder = b.dominion(
        tmp_path / "d", [b.session(1, [(1, 1)]), b.session(2, [(1, 1)]), b.session(3, [(1, 2)])]
    )
    text = (folder / "CvrExport.json").read_text()
    deep = '"Deep":' + "[" * 5000 + "1" + "]" * 5000 + ","
    (folder / "CvrExport.json").write_text(text.replace('"RecordId": 2,', '"RecordId": 2,' + deep))
    assert deep in (folder / "CvrExport.json").read_text()
    with pytest.raises(CvrError, match=r"CvrExport.json: .*nested deeper than 64"):
        read(dominion_config(folder))
