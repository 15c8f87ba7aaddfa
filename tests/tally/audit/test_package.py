import io
import struct
import warnings
import zipfile

import pytest

from tally import TallyError
from tally.audit.certify import certify
from tally.audit.package import Limits, read_package, write_package


def test_same_inputs_give_byte_identical_packages(contest, key):
    cfg, records, cert = contest
    again = certify(cfg, records, key, receipts=cert.receipts)
    assert again.package == cert.package


def test_package_members_are_in_fixed_order_with_fixed_timestamps(contest):
    infos = zipfile.ZipFile(io.BytesIO(contest[2].package)).infolist()
    assert [i.filename for i in infos] == [
        "README.txt",
        "config.json",
        "ballots.jsonl",
        "receipts.txt",
        "result.json",
        "manifest.json",
        "manifest.sig",
        "public_key.pem",
        "rctab/config.json",
        "rctab/cvr.json",
        "rctab/tiebreak_decisions.json",
    ]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_package_reads_back(contest):
    files = read_package(contest[2].package)
    assert files["manifest.json"] == contest[2].manifest_bytes
    assert files["result.json"] == contest[2].result_json.encode()


def _zip(entries):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buf.getvalue()


def _members(contest):
    """The package's members less one optional member, so a test can add one and stay within the count."""
    members = read_package(contest[2].package)
    del members["rctab/tiebreak_decisions.json"]
    return members


def _patch_central(data: bytes, offset: int, fmt: str, value: int, name: bytes = b"ballots.jsonl") -> bytes:
    """Overwrite one field of the central-directory entry of member ``name``."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        (length,) = struct.unpack_from("<H", out, pos + 28)
        if out[pos + 46 : pos + 46 + length] == name:
            struct.pack_into(fmt, out, pos + offset, value)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda m: b"this is not a zip", "not a zip archive", id="not-a-zip"),
        pytest.param(lambda m: b"", "not a zip archive", id="empty"),
        pytest.param(lambda m: _zip([*m.items(), ("../evil.txt", b"x")]), "unsafe member name", id="dotdot"),
        pytest.param(
            lambda m: _zip([*m.items(), ("/etc/passwd", b"x")]), "unsafe member name", id="absolute"
        ),
        pytest.param(
            lambda m: _zip([*m.items(), ("rctab\\x.json", b"x")]), "unsafe member name", id="backslash"
        ),
        pytest.param(lambda m: _zip([*m.items(), ("extra.txt", b"x")]), "unexpected member", id="unexpected"),
        pytest.param(lambda m: _zip([*m.items(), ("config.json", b"{}")]), "appears twice", id="duplicate"),
        pytest.param(
            lambda m: _zip([(k, v) for k, v in m.items() if k != "manifest.sig"]),
            "manifest.sig",
            id="missing",
        ),
        pytest.param(
            lambda m: _zip([(k, v) for k, v in m.items()] + [(f"x{i}", b"") for i in range(20)]),
            "members, an audit package has at most 11",
            id="too-many-members",
        ),
        pytest.param(
            lambda m: _zip({**m, "config.json": b" " * (2 << 20)}.items()),
            "more than the 1048576",
            id="oversized",
        ),
        pytest.param(
            lambda m: _patch_central(_zip(m.items()), 24, "<I", 1_000_000_000),
            "zip bomb",
            id="lying-size-bomb",
        ),
        pytest.param(lambda m: _patch_central(_zip(m.items()), 8, "<H", 1), "encrypted", id="encrypted"),
        pytest.param(
            lambda m: _patch_central(_zip(m.items()), 10, "<H", 12), "compression method", id="bzip2"
        ),
    ],
)
def test_hostile_packages_are_refused_with_a_clear_error(contest, make, message):
    with pytest.raises(TallyError, match=message):
        read_package(make(_members(contest)))


def test_archive_announcing_thousands_of_members_is_refused_up_front():
    with pytest.raises(TallyError, match="5000 members, an audit package has at most 11"):
        read_package(_zip([(f"m{i}", b"") for i in range(5000)]))


def test_inflating_past_the_member_limit_is_refused(contest):
    members = _members(contest)
    bomb = _zip({**members, "ballots.jsonl": b"\n" * (8 << 20)}.items())
    assert len(bomb) < 100_000
    with pytest.raises(TallyError, match="ballots.jsonl.*more than the 1048576"):
        read_package(bomb, Limits(large_member=1 << 20))


def test_corrupt_member_data_is_refused(contest):
    data = bytearray(contest[2].package)
    start = data.find(b"PK\x03\x04", data.find(b"ballots.jsonl") - 40)
    data[start + 60] ^= 0xFF
    with pytest.raises(TallyError, match="corrupt member|size differs"):
        read_package(bytes(data))


def test_package_file_larger_than_the_limit_is_refused(tmp_path, contest):
    path = tmp_path / "p.zip"
    path.write_bytes(contest[2].package)
    with pytest.raises(TallyError, match="more than the 100 allowed"):
        read_package(path, Limits(package=100))


def test_write_package_refuses_unknown_members():
    with pytest.raises(TallyError, match="unknown"):
        write_package({"x": b""})
