import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.audit import generate_key, public_key_pem, signing
from tally.audit.manifest import ballots_root, manifest_bytes
from tally.audit.package import read_package, write_package
from tally.audit.records import read_records, write_records
from tally.audit.verify import verify_package

from .conftest import contest_config


def short(h):
    return h[:12] + ".."


def tampered(contest, **changes):
    files = read_package(contest[2].package)
    files.update(changes)
    return write_package(files)


def differences(package, **kw):
    report = verify_package(package, **kw)
    assert not report.ok
    return [c.line() for c in report.differences()]


def test_untouched_package_verifies(contest, key):
    report = verify_package(contest[2].package, public_key=public_key_pem(key))
    assert report.ok, report.lines()
    assert any(line.startswith("OK      recount: irv re-run") for line in report.lines())
    assert "OK      public_key.pem: is the pinned key" in report.lines()


def test_one_ballot_changed_names_the_merkle_root(contest):
    cfg, records, cert = contest
    raw = write_records(cfg, records).replace(
        b'{"ballot":["bob"],"id":"id02"}', b'{"ballot":["carol"],"id":"id02"}'
    )
    new_root = ballots_root(read_records(raw, cfg))
    lines = differences(tampered(contest, **{"ballots.jsonl": raw}))
    old = short(cert.manifest["ballots"]["merkle_root"])
    assert (
        f"DIFFERS ballots.jsonl: Merkle root differs (manifest {old}, recomputed {short(new_root)})" in lines
    )
    assert "DIFFERS rctab/cvr.json: differs from the export of config.json and ballots.jsonl" in lines


def test_one_ballot_removed_names_the_count(contest):
    cfg, records, _ = contest
    lines = differences(tampered(contest, **{"ballots.jsonl": write_records(cfg, records[:-1])}))
    assert "DIFFERS ballots.jsonl: ballot count differs (manifest 7, file 6)" in lines


def test_one_ballot_added_names_the_count(contest):
    cfg, records, _ = contest
    extra = [*records, type(records[0])("id99", ["carol"])]
    lines = differences(tampered(contest, **{"ballots.jsonl": write_records(cfg, extra)}))
    assert "DIFFERS ballots.jsonl: ballot count differs (manifest 7, file 8)" in lines


def test_removed_line_without_fixing_the_header_is_named(contest):
    raw = read_package(contest[2].package)["ballots.jsonl"]
    lines = raw.split(b"\n")
    lines.pop(3)
    out = differences(tampered(contest, **{"ballots.jsonl": b"\n".join(lines)}))
    assert "DIFFERS ballots.jsonl: line 1: header count is 7 but the file holds 6 records" in out


def test_config_altered_names_the_config_hash(contest):
    cfg, _, cert = contest
    altered = contest_config(seed="another-seed")
    raw = altered.to_json_bytes()
    lines = differences(tampered(contest, **{"config.json": raw}))
    found = hashlib.sha256(raw).hexdigest()
    assert (
        f"DIFFERS config.json: hash differs (manifest {short(cfg.sha256())}, recomputed {short(found)})"
        in lines
    )


def test_result_altered_names_the_hash_and_the_field(contest):
    result = json.loads(contest[2].result_json)
    result["elected"] = ["carol"]
    raw = json.dumps(result, sort_keys=True, separators=(",", ":")).encode()
    lines = differences(tampered(contest, **{"result.json": raw}))
    assert any(line.startswith("DIFFERS result.json: hash differs (manifest") for line in lines)
    expected = json.dumps(contest[2].result.elected)
    assert f'DIFFERS result.json: elected differs (file ["carol"], recount {expected})' in lines


def test_signature_altered_fails_the_signature(contest):
    sig = bytearray(contest[2].signature)
    sig[0] ^= 1
    lines = differences(tampered(contest, **{"manifest.sig": signing.encode_signature(bytes(sig))}))
    assert lines == ["DIFFERS manifest.sig: signature does not verify over manifest.json with public_key.pem"]


def test_manifest_rewritten_to_match_altered_ballots_fails_the_signature(contest):
    cfg, records, cert = contest
    fewer = records[:-1]
    manifest = json.loads(cert.manifest_bytes)
    manifest["ballots"].update(count=6, merkle_root=ballots_root(fewer))
    lines = differences(
        tampered(
            contest, **{"ballots.jsonl": write_records(cfg, fewer), "manifest.json": manifest_bytes(manifest)}
        )
    )
    assert "DIFFERS manifest.sig: signature does not verify over manifest.json with public_key.pem" in lines
    assert not any(line.startswith("DIFFERS ballots.jsonl") for line in lines)


def test_package_signed_by_another_key_fails_the_pinned_key(contest, key):
    other = generate_key()
    package = tampered(
        contest,
        **{
            "manifest.sig": signing.encode_signature(signing.sign(other, contest[2].manifest_bytes)),
            "public_key.pem": public_key_pem(other),
        },
    )
    assert verify_package(package).ok  # self-consistent, which is why the key must be pinned
    lines = differences(package, public_key=public_key_pem(key))
    pinned, found = signing.fingerprint(key), signing.fingerprint(other)
    assert lines == [f"DIFFERS public_key.pem: key differs (pinned {short(pinned)}, package {short(found)})"]


def test_wrong_public_key_in_package_fails_the_signature(contest):
    lines = differences(tampered(contest, **{"public_key.pem": public_key_pem(generate_key())}))
    assert lines == ["DIFFERS manifest.sig: signature does not verify over manifest.json with public_key.pem"]


@pytest.mark.parametrize(
    ("member", "content", "expected"),
    [
        pytest.param("config.json", b"{", "DIFFERS config.json: invalid JSON", id="config-not-json"),
        pytest.param("manifest.json", b"[]", "DIFFERS manifest.json: format is not", id="manifest-shape"),
        pytest.param("receipts.txt", b"zz\n", "DIFFERS receipts.txt: line 1: not a receipt", id="receipts"),
        pytest.param("manifest.sig", b"!!\n", "DIFFERS manifest.sig: not base64", id="signature-text"),
    ],
)
def test_malformed_members_are_named(contest, member, content, expected):
    lines = differences(tampered(contest, **{member: content}))
    assert any(line.startswith(expected) for line in lines), lines


def test_receipt_removed_names_the_receipt_list(contest):
    receipts = contest[2].receipts[1:]
    raw = "".join(r + "\n" for r in receipts).encode()
    lines = differences(tampered(contest, **{"receipts.txt": raw}))
    assert "DIFFERS receipts.txt: receipt count differs (manifest 7, file 6)" in lines


def test_certify_refuses_records_the_verifier_would_refuse(key):
    from tally import TallyError
    from tally.audit import BallotRecord
    from tally.audit.certify import certify

    config = contest_config()
    with pytest.raises(TallyError, match="not a candidate"):
        certify(config, [BallotRecord("x1", ["nobody"])], key)
    with pytest.raises(TallyError, match="not sorted"):
        certify(config, [BallotRecord("x2", ["bob"]), BallotRecord("x1", ["bob"])], key)


_one_ranking = st.lists(st.sampled_from(["alice", "bob", "carol"]), max_size=3, unique=True)
_rank_lists = st.lists(_one_ranking, max_size=12)


@settings(max_examples=25, deadline=None)
@given(_rank_lists, st.data())
def test_any_single_ballot_change_is_detected(rankings, data):
    from tally.audit import make_records
    from tally.audit.certify import certify

    key = signing.generate_key()
    config = contest_config()
    records = make_records(config, [(f"b{i:02d}", r) for i, r in enumerate(rankings)])
    cert = certify(config, records, key)
    assert verify_package(cert.package).ok
    if not records:
        return
    i = data.draw(st.integers(0, len(records) - 1))
    new = data.draw(_one_ranking)
    if new == records[i].ballot:
        return
    changed = [type(r)(r.id, new if j == i else r.ballot) for j, r in enumerate(records)]
    files = read_package(cert.package)
    files["ballots.jsonl"] = write_records(config, changed)
    lines = [c.line() for c in verify_package(write_package(files)).differences()]
    assert any(line.startswith("DIFFERS ballots.jsonl: Merkle root differs") for line in lines)


def test_approval_contest_certifies_verifies_and_detects_a_change(key):
    from tally.audit import AuditConfig, make_records
    from tally.audit.certify import certify

    config = AuditConfig(
        contest="board",
        ballot_type="approval",
        method="approval",
        candidates=("x", "y", "z"),
        seats=2,
        seed="s",
    )
    ballots = {"v1": ["x", "y"], "v2": ["y"], "v3": ["z", "y"], "v4": ["x"], "v5": []}
    cert = certify(config, make_records(config, ballots.items()), key)
    assert cert.result.elected[0] == "y"
    report = verify_package(cert.package)
    assert report.ok, report.lines()
    assert not any(c.subject.startswith("rctab/") for c in report.checks)
    files = read_package(cert.package)
    files["ballots.jsonl"] = files["ballots.jsonl"].replace(
        b'{"ballot":[],"id":"v5"}', b'{"ballot":["z"],"id":"v5"}'
    )
    lines = [c.line() for c in verify_package(write_package(files)).differences()]
    assert any(line.startswith("DIFFERS ballots.jsonl: Merkle root differs") for line in lines)
    assert any(line.startswith("DIFFERS result.json: ") and "differs (file" in line for line in lines)


@pytest.mark.parametrize("member", ["config.json", "manifest.json", "result.json", "ballots.jsonl"])
def test_deeply_nested_json_is_a_difference_not_a_crash(contest, member):
    report = verify_package(tampered(contest, **{member: b"[" * 200_000 + b"\n"}))
    assert not report.ok
    assert any(c.subject == member for c in report.differences()), report.lines()
