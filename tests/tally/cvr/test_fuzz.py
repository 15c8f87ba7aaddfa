"""Hostile-input fuzzing of every reader: a read either succeeds or fails with a CvrError naming the file.

Each seed is a small valid file set; hypothesis truncates it, flips and inserts bytes, swaps JSON values
for values of other types, drops JSON members, makes CSV rows ragged and puts unknown candidate codes in.
No other exception type may escape a reader.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.cvr import read_source
from tally.errors import CvrError

from . import builders as b
from .conftest import config_for

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _seeds(root: Path):
    ballots = [[(1, "a"), (2, "b")], [(1, "c"), (1, "a"), (3, "w")], [(2, "b")]]
    uwi = {"undeclaredWriteInLabel": "UWI"}
    out = {}
    d = root / "cdf_json"
    d.mkdir()
    p = b.cdf_json(d, ballots)
    out["cdf_json"] = (p, config_for(p, "cdf", b.NAMES, max_rankings=4, contestId="Mayor", **uwi))
    d = root / "cdf_xml"
    d.mkdir()
    p = b.cdf_xml(d)
    out["cdf_xml"] = (p, config_for(p, "cdf", b.NAMES, max_rankings=4, contestId="Mayor", **uwi))
    folder = b.dominion(
        root / "dominion",
        [b.session(1, [(1, 1), (2, 2)]), b.session(2, [(1, 3)], current=False, modified=[(1, 9)])],
    )
    cfg = config_for(folder, "dominion", b.dominion_aliases(), contestId="7", undeclaredWriteInLabel="9")
    out["dominion"] = (folder / "CvrExport.json", cfg)
    out["dominion_manifest"] = (folder / "CandidateManifest.json", cfg)
    d = root / "cb"
    d.mkdir()
    p = b.clear_ballot(d, [[1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 1, 0, 0, 0, 0, 0, 0, 0]])
    out["clear_ballot"] = (p, config_for(p, "clearBallot", b.NAMES, contestId="Mayor, City"))
    folder = b.hart(root / "hart", [{"Alice": "100", "Bob": "010"}, {"Carol": "1"}])
    out["hart"] = (folder / "000.xml", config_for(folder, "hart", b.hart_aliases(), contestId="k1"))
    d = root / "generic"
    d.mkdir()
    p = b.generic_csv(d, [["r1", "p1", "1", "2", ""], ["r2", "p2", "", "1", "2"]])
    out["generic_csv"] = (
        p,
        config_for(
            p, "genericCsv", b.NAMES, firstVoteColumnIndex="3", idColumnIndex="1", precinctColumnIndex="2"
        ),
    )
    d = root / "rctab"
    d.mkdir()
    p = d / "r.csv"
    from tally.cvr.rctab_csv import FIXED

    p.write_text(
        ",".join([*FIXED, "Rank 1", "Rank 2"]) + "\n"
        "a,cdf,,a(1),,,1,,,Alice,Bob\n"
        "a,cdf,,a(2),,,2,,,Alice|Carol,undervote\n"
    )
    out["rctab_csv"] = (p, config_for(p, "rctabCsv", b.NAMES))
    return out


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return _seeds(tmp_path_factory.mktemp("seeds"))


def outcome(target: Path, config, data: bytes) -> None:
    """Write ``data`` over ``target``, read every source, restore ``target``; only CvrError may escape."""
    original = target.read_bytes()
    target.write_bytes(data)
    try:
        for source in config.sources:
            for cvr in read_source(source, config):
                assert isinstance(cvr.rankings, tuple)
    except CvrError as err:
        assert err.file, f"error names no file: {err}"
        assert target.parent.name in err.file or target.name in err.file, str(err)
        assert str(err).startswith(err.file)
    finally:
        target.write_bytes(original)


KINDS = [
    "cdf_json",
    "cdf_xml",
    "dominion",
    "dominion_manifest",
    "clear_ballot",
    "hart",
    "generic_csv",
    "rctab_csv",
]


@pytest.mark.parametrize("kind", KINDS)
def test_seed_reads_cleanly(seeds, kind):
    target, config = seeds[kind]
    cvrs = [c for s in config.sources for c in read_source(s, config)]
    assert cvrs


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_truncation_byte_flips_and_insertions(seeds, kind, data):
    target, config = seeds[kind]
    raw = bytearray(target.read_bytes())
    cut = data.draw(st.integers(0, len(raw)), label="cut")
    if data.draw(st.booleans(), label="truncate"):
        raw = raw[:cut]
    for _ in range(data.draw(st.integers(0, 4), label="flips")):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans(), label="insert"):
        at = data.draw(st.integers(0, len(raw)))
        raw[at:at] = data.draw(st.binary(max_size=16))
    outcome(target, config, bytes(raw))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@pytest.mark.parametrize("kind", ["cdf_json", "dominion", "dominion_manifest"])
@FUZZ
@given(data=st.data())
def test_wrong_json_types_and_missing_members(seeds, kind, data):
    target, config = seeds[kind]
    doc = json.loads(target.read_bytes())
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths), label="path")
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans(), label="delete") and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES, label="value")
    outcome(target, config, json.dumps(doc).encode())


@pytest.mark.parametrize("kind", ["clear_ballot", "generic_csv", "rctab_csv"])
@FUZZ
@given(data=st.data())
def test_ragged_rows_and_unknown_names(seeds, kind, data):
    target, config = seeds[kind]
    lines = target.read_text().splitlines()
    row = data.draw(st.integers(0, len(lines) - 1), label="row")
    cells = lines[row].split(",")
    action = data.draw(st.sampled_from(["drop", "add", "replace"]), label="action")
    if action == "drop" and cells:
        del cells[data.draw(st.integers(0, len(cells) - 1))]
    elif action == "add":
        cells.insert(data.draw(st.integers(0, len(cells))), data.draw(st.text(max_size=6)))
    else:
        at = data.draw(st.integers(0, len(cells) - 1))
        cells[at] = data.draw(st.sampled_from(["Zed", "99", "-1", "1.5", "", '"', "Alice|Zed", "overvote"]))
    lines[row] = ",".join(cells)
    outcome(target, config, ("\n".join(lines) + "\n").encode())


@FUZZ
@given(code=st.integers(-5, 50), rank=st.integers(-3, 12))
def test_dominion_unknown_candidate_codes_and_ranks(seeds, code, rank):
    target, config = seeds["dominion"]
    doc = json.loads(target.read_bytes())
    mark = doc["Sessions"][0]["Original"]["Cards"][0]["Contests"][0]["Marks"][0]
    mark["CandidateId"], mark["Rank"] = code, rank
    outcome(target, config, json.dumps(doc).encode())


@FUZZ
@given(code=st.text(max_size=10), value=st.text(alphabet="012x ", max_size=6))
def test_hart_unknown_codes_and_values(seeds, code, value):
    target, config = seeds["hart"]
    text = target.read_text().replace("<Id>alice</Id>", f"<Id>{_xml_escape(code)}</Id>", 1)
    text = text.replace("<Value>100</Value>", f"<Value>{value}</Value>", 1)
    outcome(target, config, text.encode())


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


XML_ATTACKS = {
    "billion-laughs": '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    "external-entity": '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    "external-dtd": '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">',
    "parameter-entity": '<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
}


@pytest.mark.parametrize("kind", ["cdf_xml", "hart"])
@pytest.mark.parametrize("attack", sorted(XML_ATTACKS))
def test_xml_bombs_are_refused(seeds, kind, attack):
    target, config = seeds[kind]
    text = target.read_text()
    head, sep, rest = text.partition("?>")
    bomb = head + sep + XML_ATTACKS[attack] + rest
    original = target.read_bytes()
    target.write_text(bomb)
    try:
        with pytest.raises(CvrError, match=r"XML (DTD|entity|external)") as err:
            for source in config.sources:
                list(read_source(source, config))
        assert target.name in str(err.value)
    finally:
        target.write_bytes(original)
