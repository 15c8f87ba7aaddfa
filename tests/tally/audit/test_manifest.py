import pytest

from tally import TallyError
from tally.audit import (
    AuditConfig,
    build_manifest,
    check_receipt_proof,
    compute_receipt,
    make_records,
    manifest_bytes,
    merkle,
    receipt_proof,
    record_proof,
)
from tally.audit.manifest import parse_manifest
from tally.audit.receipts import read_receipts, write_receipts

CFG = AuditConfig(contest="c1", ballot_type="ranked", method="irv", candidates=("a", "b", "c"))
RECORDS = make_records(CFG, [(f"id{i}", [["a", "b", "c"][i % 3]]) for i in range(7)])
RECEIPTS = read_receipts(
    write_receipts([compute_receipt("c1", r.ballot, bytes([i]) * 16) for i, r in enumerate(RECORDS)])
)


def test_manifest_commits_to_count_roots_config_and_result():
    m = build_manifest(CFG, RECORDS, RECEIPTS, '{"elected":["a"]}')
    assert m["ballots"]["count"] == 7 and m["receipts"]["count"] == 7
    assert m["config_sha256"] == CFG.sha256()
    assert m["ballots"]["merkle_root"] == merkle.merkle_root(r.to_bytes() for r in RECORDS)
    assert "certified_at" not in m
    assert parse_manifest(manifest_bytes(m)) == m


def test_manifest_changes_when_one_ballot_changes():
    other = make_records(CFG, [(r.id, ["c"] if r.id == "id3" else r.ballot) for r in RECORDS])
    a = build_manifest(CFG, RECORDS, RECEIPTS, "{}")
    b = build_manifest(CFG, other, RECEIPTS, "{}")
    assert a["ballots"]["merkle_root"] != b["ballots"]["merkle_root"]


@pytest.mark.parametrize("index", [0, 3, 6])
def test_receipt_inclusion_proof_verifies_against_the_manifest_root(index):
    m = build_manifest(CFG, RECORDS, RECEIPTS, "{}")
    proof = receipt_proof(RECEIPTS, RECEIPTS[index].upper())
    assert proof is not None and proof["index"] == index
    assert check_receipt_proof(proof, m["receipts"]["merkle_root"])
    forged = dict(proof, receipt=RECEIPTS[(index + 1) % 7])
    assert not check_receipt_proof(forged, m["receipts"]["merkle_root"])


def test_absent_receipt_has_no_proof():
    assert receipt_proof(RECEIPTS, "0" * 64) is None


def test_record_proof_verifies_against_the_ballot_root():
    m = build_manifest(CFG, RECORDS, RECEIPTS, "{}")
    proof = record_proof(RECORDS, "id4")
    assert merkle.verify_inclusion(
        proof["record"].encode(), proof["index"], proof["size"], proof["path"], m["ballots"]["merkle_root"]
    )


def test_malformed_manifest_names_the_field():
    m = build_manifest(CFG, RECORDS, RECEIPTS, "{}")
    del m["ballots"]["merkle_root"]
    with pytest.raises(TallyError, match="ballots.merkle_root"):
        parse_manifest(manifest_bytes(m))
