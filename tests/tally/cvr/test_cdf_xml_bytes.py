"""The CDF XML reader's byte path (``_cdf_xml_bytes``) against its tree path, and the hardened libxml2 parse.

The byte path may only read what a tree would say: generated reports mix CVRs in the proved shape with
every construct that must send a piece to the tree (comments, entity references, namespace prefixes,
CRLF line ends, whitespace in ids, nested holders, repeated or missing fields, several snapshots and
contests), cut into small pieces, and the result (or the error) must equal the tree path's.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.cvr import _cdf_xml, _cdf_xml_bytes, _xmlchunks, read_source
from tally.cvr._xmlchunks import Validator, XmlRefused, _Fallback, parse_piece
from tally.errors import CvrError

from . import builders as b
from .conftest import config_for

NS = "NIST_V0_cast_vote_records.xsd"
METADATA = (
    '<Election ObjectId="e1">'
    + "".join(
        f'<Candidate ObjectId="c-{c}"><Name>{n}</Name></Candidate>'
        for c, n in zip("abc", b.NAMES, strict=True)
    )
    + '<Contest ObjectId="k1"><Name>Mayor</Name>'
    + "".join(
        f'<ContestSelection ObjectId="cs-{c}"><CandidateIds>c-{c}</CandidateIds></ContestSelection>'
        for c in "abc"
    )
    + '</Contest></Election><GpUnit ObjectId="g1"><Name>P1</Name></GpUnit><GpUnit ObjectId="g 2"/>'
    '<Party ObjectId="p"/><ReportGeneratingDeviceIds>rd</ReportGeneratingDeviceIds>'
    "<ReportingDevice ObjectId='rd'/>"
)

ws = st.sampled_from(["", "\n", "\n    ", "\r\n  ", "\t", " "])
ids = st.sampled_from(["s1", "s 2", "s\t2", ""])


# Less usual parts (a comment, unknown or repeated fields, a character reference, an empty element): one
# of them goes into a CVR now and then, so that both paths meet them.
ODD_PARTS = (
    "<!-- a comment -->",
    "<BallotImage><Location>x.png</Location></BallotImage>",
    "<UniqueId>again</UniqueId>",
    "<Extra><Deep><Deeper>x</Deeper></Deep></Extra>",
    "<UniqueId>&#x75;9</UniqueId>",
    "<ElectionId/>",
)


@st.composite
def position(draw):
    parts = []
    if draw(st.booleans()):
        parts.append(f"<Rank>{draw(st.sampled_from(['1', '2', '3', '12', ' 2 ', 'x']))}</Rank>")
    if draw(st.integers(0, 4)) == 0:
        text = "Zed &amp; co" if draw(st.integers(0, 5)) == 0 else "Zed"
        parts.append(f"<CVRWriteIn><Text>{text}</Text></CVRWriteIn>")
    for name in ("HasIndication", "IsAllocable"):
        if draw(st.booleans()):
            parts.append(f"<{name}>{draw(st.sampled_from(['yes', 'no', 'unknown']))}</{name}>")
    draw(st.randoms()).shuffle(parts)
    return "<SelectionPosition>" + draw(ws).join(parts) + "</SelectionPosition>"


@st.composite
def selection(draw):
    parts = [
        f"<ContestSelectionId>{draw(st.sampled_from(['cs-a', 'cs-b', 'cs-c', 'cs-x']))}</ContestSelectionId>"
    ]
    if draw(st.integers(0, 5)) == 0:
        parts.append("<Status>needs-adjudication</Status>")
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"<Rank>{draw(st.sampled_from(['1', '2', '4']))}</Rank>")
    parts += draw(st.lists(position(), max_size=2))
    return "<CVRContestSelection>" + draw(ws).join(parts) + "</CVRContestSelection>"


@st.composite
def contest(draw):
    if draw(st.integers(0, 12)) == 0:
        return "<CVRContest/>"
    parts = [f"<ContestId>{draw(st.sampled_from(['k1', 'k1', 'k2', 'k1 ']))}</ContestId>"]
    parts += draw(st.lists(selection(), max_size=3))
    if draw(st.booleans()):
        parts.append("<Undervotes>0</Undervotes>")
    return "<CVRContest>" + draw(ws).join(parts) + "</CVRContest>"


@st.composite
def cvr(draw):
    snapshots = []
    for _ in range(draw(st.integers(1, 3))):
        attrs = f' ObjectId="{draw(ids)}"' if draw(st.integers(0, 8)) else ""
        if draw(st.integers(0, 5)) == 0:
            attrs += ' Note="a/>b"'
        body = draw(ws).join(draw(st.lists(contest(), min_size=1, max_size=2)))
        snapshots.append(f"<CVRSnapshot{attrs}>{body}<Type>original</Type></CVRSnapshot>")
    parts = [*snapshots]
    if draw(st.integers(0, 8)):
        parts.append(f"<CurrentSnapshotId>{draw(ids)}</CurrentSnapshotId>")
    if draw(st.booleans()):
        parts.append(f"<UniqueId>{draw(st.sampled_from(['u1', 'u 2', '', 'ü7']))}</UniqueId>")
    if draw(st.booleans()):
        parts.append(
            f"<BallotStyleUnitId>{draw(st.sampled_from(['g1', 'g 2', 'g1', 'nowhere']))}</BallotStyleUnitId>"
        )
    odd = draw(st.integers(0, 30))
    if odd < len(ODD_PARTS):
        parts.append(ODD_PARTS[odd])
    draw(st.randoms()).shuffle(parts)
    return "<CVR>" + draw(ws).join(parts) + "</CVR>"


def read(path):
    config = config_for(path, "cdf", b.NAMES, contestId="Mayor", undeclaredWriteInLabel="UWI")
    return [c for s in config.sources for c in read_source(s, config)]


def _prefixed(xml: str, prefix: str) -> str:
    if not prefix:
        return xml
    return xml.replace("</", "\0").replace("<", "<" + prefix).replace("\0", "</" + prefix)


def _outcome(config):
    try:
        return [
            (c.rankings, c.record_id, c.supplied_id, c.precinct)
            for s in config.sources
            for c in read_source(s, config)
        ]
    except CvrError as err:
        return str(err)


def _fast_and_tree(config, chunk):
    """The outcome with pieces of ``chunk`` bytes, by the byte path and with the byte path disabled."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_xmlchunks, "CHUNK", chunk)
        fast = _outcome(config)
        mp.setattr(_cdf_xml_bytes.Scanner, "scan", lambda self, piece, at: (([], [], []), at, 0))
        return fast, _outcome(config)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    cvrs=st.lists(cvr(), min_size=1, max_size=12),
    prefix=st.sampled_from(["", "cdf:"]),
    chunk=st.sampled_from([256, 700, 4 * 1024 * 1024]),
    gap=ws,
)
def test_byte_path_reads_what_the_tree_path_reads(tmp_path_factory, cvrs, prefix, chunk, gap):
    folder = tmp_path_factory.mktemp("bytes")
    declare = f'xmlns:cdf="{NS}"' if prefix else f'xmlns="{NS}"'
    body = gap.join(_prefixed(c, prefix) for c in cvrs) + gap + _prefixed(METADATA, prefix)
    path = folder / "cvr.xml"
    path.write_bytes(
        (f'<?xml version="1.0" encoding="UTF-8"?>\n<{prefix}CastVoteRecordReport {declare}>{gap}'
         f"{body}</{prefix}CastVoteRecordReport>\n").encode()
    )  # fmt: skip
    config = config_for(path, "cdf", b.NAMES, max_rankings=3, contestId="Mayor", undeclaredWriteInLabel="UWI")
    fast, tree = _fast_and_tree(config, chunk)
    assert fast == tree


def test_byte_path_is_taken_for_plain_cvrs(tmp_path, monkeypatch):
    path = b.cdf_xml(tmp_path)
    body = path.read_text()
    start, end = body.index("<CVR>"), body.index("<Election")
    path.write_text(body[:start] + body[start:end] * 50 + body[end:])
    calls = []
    original = _xmlchunks.parse_piece

    def counting(text):
        calls.append(len(text))
        return original(text)

    monkeypatch.setattr(_cdf_xml, "parse_piece", counting)
    assert len(read(path)) == 50
    # one small tree per distinct contest (cache miss) and one for the trailing metadata
    assert len(calls) == 2


@pytest.mark.parametrize("markup", [b"<?pi </CVR> ?>", b"<!-- </CVR> -->", b"<![CDATA[</CVR>]]>"])
@pytest.mark.parametrize("where", ["in a CVR", "between CVRs"])
def test_a_cvr_end_tag_hidden_in_markup_is_no_cut(tmp_path, markup, where):
    """A ``</CVR>`` inside a processing instruction, comment or CDATA section is no element end: when
    it is the last one in a chunk, the piece cut after it is parsed and falls back (pass 1 parses every
    piece holding ``<?`` or ``<!``), so the document reads as the tree reads it."""
    path = b.cdf_xml(tmp_path)
    body = path.read_bytes()
    start, end = body.index(b"<CVR>"), body.index(b"<Election")
    cvrs = [body[start:end]] * 12
    if where == "between CVRs":
        cvrs[5] += markup
    elif markup.startswith(b"<!["):  # CDATA is text: inside an element of text
        cvrs[5] = cvrs[5].replace(b"<UniqueId>u1", b"<UniqueId>u1" + markup)
    else:
        cvrs[5] = cvrs[5].replace(b"<UniqueId>u1</UniqueId>", b"<UniqueId>u1</UniqueId>" + markup)
    path.write_bytes(body[:start] + b"".join(cvrs) + body[end:])
    # a chunk size that makes the hidden end tag the last one in the second chunk
    hidden = path.read_bytes().index(markup) + markup.index(b"</CVR>") + len(b"</CVR>")
    chunk = -(-hidden // 2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_xmlchunks, "CHUNK", chunk)
        cuts = list(_xmlchunks.pieces(path, _cdf_xml._CVR_END))
    assert any(piece.endswith(markup[: markup.index(b"</CVR>") + 6]) for piece in cuts)
    config = config_for(path, "cdf", b.NAMES, contestId="Mayor", undeclaredWriteInLabel="UWI")
    fast, tree = _fast_and_tree(config, chunk)
    assert fast == tree
    in_text = markup.startswith(b"<![") and where == "in a CVR"
    assert len(fast) == 12 and fast[5][2] == ("u1</CVR>" if in_text else "u1")


@pytest.mark.parametrize("chunk", [300, 4096])
def test_metadata_between_cvrs_is_read_as_the_tree_reads_it(tmp_path, chunk):
    """GpUnits and the Election may sit anywhere among the CVRs: the metadata pass finds them in any
    piece, the byte path reads the CVRs around them."""
    cvr = (
        '<CVR><CurrentSnapshotId>s{i}</CurrentSnapshotId><CVRSnapshot ObjectId="s{i}"><CVRContest>'
        "<ContestId>k1</ContestId><CVRContestSelection><ContestSelectionId>cs-{c}</ContestSelectionId>"
        "<SelectionPosition><Rank>1</Rank></SelectionPosition></CVRContestSelection></CVRContest>"
        "</CVRSnapshot><UniqueId>u{i}</UniqueId><BallotStyleUnitId>{g}</BallotStyleUnitId></CVR>\n"
    )
    cvrs = [cvr.format(i=i, c="abc"[i % 3], g=("g1", "g 2")[i % 2]) for i in range(120)]
    units, rest = METADATA.split("<GpUnit", 1)[0], "<GpUnit" + METADATA.split("<GpUnit", 1)[1]
    body = "".join(cvrs[:40]) + units + "".join(cvrs[40:80]) + rest + "".join(cvrs[80:])
    path = tmp_path / "cvr.xml"
    root = f'<CastVoteRecordReport xmlns="{NS}">'
    path.write_text(f'<?xml version="1.0"?>\n{root}{body}</CastVoteRecordReport>')
    config = config_for(path, "cdf", b.NAMES, contestId="Mayor")
    fast, tree = _fast_and_tree(config, chunk)
    assert fast == tree
    assert [c[3] for c in fast[:2]] == ["P1", ""] and len(fast) == 120


@pytest.mark.parametrize(
    ("piece", "worth"),
    [
        (b"<CVR><ElectionId>e</ElectionId></CVR>", False),
        (b"<CVR><Note>Election GpUnit</Note></CVR>", False),
        (b"<CVR/>\n<Election ObjectId='e'/>", True),
        (b"<CVR/>\n<cdf:GpUnit ObjectId='g'/>", True),
        (b"<CVR><ElectionId/></CVR>" * 100 + b"<Election>", True),  # probe byte common: whole-name search
        (b"<CVR><ElectionId/></CVR>" * 100, False),
        (b"<CVR/><!-- </CVR> -->", True),
        (b"<CVR/><?pi </CVR> ?>", True),
        (b"<CVR><Note>Why? Because!</Note></CVR>", False),
    ],
)
def test_metadata_pass_parses_only_pieces_that_may_name_what_it_needs(piece, worth):
    assert _xmlchunks._worth_parsing(b" " + piece, [b"Election", b"GpUnit"]) is worth


# --- the hardened libxml2 parse ----------------------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><r>&lol3;</r>'
)


@pytest.mark.parametrize(
    "doc",
    [
        BILLION_LAUGHS,
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>',
        b'<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>',
        b"<!DOCTYPE r><r/>",
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity", "plain-doctype"],
)
def test_validator_refuses_any_doctype(doc):
    v = Validator()
    try:
        for i in range(0, len(doc), 16):
            v.feed(doc[i : i + 16])
        v.close()
        with pytest.raises(XmlRefused, match="XML DTD is forbidden"):
            v.wait()
    finally:
        v.shutdown()


def test_validator_takes_chunks_of_the_size_the_reader_reads():
    """libxml2 without XML_PARSE_HUGE refuses a push of more than 10,000,000 unparsed bytes: chunks of
    ``CHUNK`` bytes of a valid document must pass (twice that size would not)."""
    record = b"<CVR><UniqueId>12345</UniqueId></CVR>\n"
    body = b"<r>" + record * (2 * _xmlchunks.CHUNK // len(record)) + b"</r>"
    v = Validator()
    try:
        for at in range(0, len(body), _xmlchunks.CHUNK):
            v.feed(body[at : at + _xmlchunks.CHUNK])
        v.close()
        v.wait()
    finally:
        v.shutdown()
    too_big = Validator()
    try:
        too_big.feed(body[:12_000_000])
        with pytest.raises(XmlRefused, match="Buffer size limit"):
            too_big.wait()
    finally:
        too_big.shutdown()


def test_validator_waits_for_what_is_due_and_checks_the_rest_ahead():
    v = Validator()
    try:
        v.feed(b"<r><a/>")
        v.due()
        v.feed(b"&x;</r>")
        v.close()
        v.wait()  # the bytes fed before due() are well-formed so far; the bad ones are not waited for
        with pytest.raises(XmlRefused, match="'x' not defined"):
            v.wait(everything=True)
    finally:
        v.shutdown()


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        (b"<r>&lol;</r>", "Entity 'lol' not defined"),
        (b"<r><a></b></r>", "mismatch"),
        (b"<r>\xff</r>", "encoding"),
        (b"<r>\x01</r>", "Char"),
        (b"<r/><r/>", "Extra content"),
        (b"<r>", "Premature end"),
    ],
)
def test_validator_refuses_malformed_documents(doc, why):
    v = Validator()
    try:
        v.feed(doc)
        v.close()
        with pytest.raises(XmlRefused, match=f"malformed XML .*{why}"):
            v.wait()
    finally:
        v.shutdown()


def test_tree_pieces_refuse_nesting_deeper_than_the_limit():
    ok = b"<r>" + b"<a>" * 63 + b"</a>" * 63 + b"</r>"
    assert len(parse_piece(ok)) == 1
    with pytest.raises(_Fallback):
        parse_piece(b"<r>" + b"<a>" * 64 + b"</a>" * 64 + b"</r>")
    with pytest.raises(_Fallback):  # libxml2's own limit, far beyond ours
        parse_piece(b"<r>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</r>")


def test_tree_pieces_expand_no_entity():
    with pytest.raises(_Fallback):
        parse_piece(b"<r>&x;</r>")
    assert parse_piece(b"<r><a>&amp;&#65;</a></r>")[0].text == "&A"


def test_deep_nesting_inside_a_cvr_is_an_error_naming_the_record(tmp_path):
    path = b.cdf_xml(tmp_path)
    body = path.read_text()
    deep = "<a>" * 80 + "</a>" * 80
    path.write_text(body.replace("<UniqueId>u1</UniqueId>", "<UniqueId>u1</UniqueId>" + deep))
    with pytest.raises(CvrError, match=r"cvr.xml: .*(CVR|nest)"):
        read(path)


def test_undefined_entity_inside_a_cvr_is_an_error_naming_the_file(tmp_path):
    path = b.cdf_xml(tmp_path)
    path.write_text(path.read_text().replace("<UniqueId>u1</UniqueId>", "<UniqueId>&lol;</UniqueId>"))
    with pytest.raises(CvrError, match=r"cvr.xml: malformed XML .*(undefined entity|lol)"):
        read(path)


@pytest.mark.parametrize(
    ("bad", "why"),
    [(b"\xff", "encoding"), (b"\x01", "Char"), (b"&x;", "x"), (b"<a>", "mismatch")],
    ids=["bad-utf8", "bad-char", "undefined-entity", "unclosed"],
)
def test_bad_bytes_in_a_cvr_piece_are_an_xml_error_naming_the_file(tmp_path, monkeypatch, bad, why):
    """Pass 1 skips pure CVR pieces, so only the libxml2 check stands between these bytes and the reader;
    the check is slowed down so that the byte path meets the bad bytes (in the first piece, which is read
    before any wait) before libxml2 has judged them. No CVR is handed out before the error: the reader
    waits for the check of every byte of a piece (not for the chunk checked ahead) before using it."""
    monkeypatch.setattr(_xmlchunks, "CHUNK", 512)
    run = Validator._run

    def late(self, data):
        time.sleep(0.01)
        return run(self, data)

    monkeypatch.setattr(Validator, "_run", late)
    path = b.cdf_xml(tmp_path)
    body = path.read_bytes()
    start, end = body.index(b"<CVR>"), body.index(b"<Election")
    cvrs = [body[start:end]] * 40
    # at the end of CVR #1, in the second chunk: the one read with the first piece's end
    bad_id = b"<UniqueId>u" + bad + b"</UniqueId>"
    cvrs[0] = cvrs[0].replace(b"<UniqueId>u1</UniqueId>", b"").replace(b"</CVR>", bad_id + b"</CVR>", 1)
    assert 512 < start + cvrs[0].index(bad_id) < 1024
    path.write_bytes(body[:start] + b"".join(cvrs) + body[end:])
    config = config_for(path, "cdf", b.NAMES, contestId="Mayor", undeclaredWriteInLabel="UWI")
    handed_out = []
    with pytest.raises(CvrError, match=rf"cvr.xml: CVR #1: malformed XML .*{why}"):
        for cvr in read_source(config.sources[0], config):
            handed_out.append(cvr)
    assert handed_out == []


@pytest.mark.parametrize("newline", ["", "\n", "\r\n"])
@pytest.mark.parametrize(("bad", "record"), [("cvr", "CVR #37"), ("between", "after CVR #20")])
def test_libxml2_errors_name_the_cvr(tmp_path, monkeypatch, newline, bad, record):
    """Where libxml2 refuses the document (line and column, counted in characters) is turned into the
    CVR there, on one long line or many, after CVRs with characters of several bytes. Small pieces, so
    that the metadata pass skips the bad bytes and only libxml2 meets them."""
    monkeypatch.setattr(_xmlchunks, "CHUNK", 512)
    path = b.cdf_xml(tmp_path)
    body = path.read_text()
    start, end = body.index("<CVR>"), body.index("<Election")
    one = body[start:end].replace("\n", "").replace("<UniqueId>u1</UniqueId>", "<UniqueId>ü{n}</UniqueId>")
    cvrs = [one.replace("{n}", str(n)) for n in range(1, 21)]  # two CVR elements each
    if bad == "cvr":
        cvrs[18] = cvrs[18].replace("<UniqueId>ü19", "<UniqueId>ü&x;19")  # the 37th CVR element
    else:
        cvrs[9] += "<Notes>ü&x;</Notes>"  # after the 20th
    path.write_text(body[:start] + newline.join(cvrs) + newline + body[end:], encoding="utf-8")
    with pytest.raises(CvrError, match=rf"cvr.xml: {record}: malformed XML .*'x' not defined"):
        read(path)


def test_root_namespaces_are_the_roots_declarations(tmp_path):
    """The pieces are parsed inside a root declaring what the file's root declares: the default
    namespace and every prefix (a parse asked for namespace events gets them)."""
    path = tmp_path / "ns.xml"
    path.write_text(f'<?xml version="1.0"?><cdf:R xmlns:cdf="{NS}" xmlns="urn:d"><cdf:CVR/></cdf:R>')
    assert _xmlchunks.root_namespaces(path) == {"cdf": NS, "": "urn:d"}


def _open_paths() -> set[str]:
    fds = Path("/proc/self/fd")
    found = set()
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            found.add(os.readlink(fd))
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
def test_a_parse_left_before_its_end_closes_its_file(tmp_path):
    """Reading the root's namespaces stops at the first element; the file is closed then, not at some
    later garbage collection (which could close it in any order with its reader, with a warning)."""
    path = b.cdf_xml(tmp_path)
    gc.disable()
    try:
        _xmlchunks.root_namespaces(path)
        assert str(path.resolve()) not in _open_paths()
    finally:
        gc.enable()
