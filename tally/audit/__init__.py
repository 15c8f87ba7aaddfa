"""Certification and audit: canonical ballot records, receipts, manifests, signatures, audit packages.

The web app and the CLI call these; nothing here imports web or database code. See README.md
"Audit packages and receipts" for the formats and what they prove. Typical use::

    # casting
    content = canonical_ballot("ranked", ["bob", "alice"], candidate_ids)   # BallotError if invalid
    r = draw_secret()                                   # show r.hex() to the voter once, keep nothing
    receipt = compute_receipt(contest_id, content, r)   # store with the ballot row (and change_key(r))

    # certifying, after the close
    config = AuditConfig(contest=contest_id, ballot_type="ranked", method="irv",
                         candidates=tuple(candidate_ids), seats=1, options={}, seed="declared seed")
    records = make_records(config, [(row.id, row.content) for row in rows])  # ids: [A-Za-z0-9._:-]{1,128}
    cert = certify(config, records, load_or_create_key(key_path), receipts=[row.receipt for row in rows])
    cert.package, cert.manifest, cert.result_json, cert.receipts           # zip bytes, dict, str, sorted

    # checking
    check_receipt(receipt, contest_id, content, r_hex)                     # receipt check page
    receipt_proof(cert.receipts, receipt)                                   # bulletin inclusion proof
    verify_package(zip_bytes, public_key=public_key_pem(key)).ok           # what `tally verify` runs
"""

from .certify import Certification, certify, count_records
from .config import AuditConfig
from .manifest import build_manifest, check_receipt_proof, manifest_bytes, receipt_proof, record_proof
from .receipts import change_key, check_change_key, check_receipt, compute_receipt, draw_secret, parse_secret
from .records import (
    BallotRecord,
    ballots_from_records,
    canonical_ballot,
    make_records,
    read_records,
    records_from_ranked,
    write_records,
)
from .signing import fingerprint, generate_key, load_or_create_key, load_private_key, public_key_pem
from .verify import Report, verify_package

__all__ = [
    "Certification",
    "Report",
    "certify",
    "count_records",
    "verify_package",
    "AuditConfig",
    "BallotRecord",
    "ballots_from_records",
    "build_manifest",
    "canonical_ballot",
    "change_key",
    "check_change_key",
    "check_receipt",
    "check_receipt_proof",
    "compute_receipt",
    "draw_secret",
    "fingerprint",
    "generate_key",
    "load_or_create_key",
    "load_private_key",
    "make_records",
    "manifest_bytes",
    "parse_secret",
    "public_key_pem",
    "read_records",
    "receipt_proof",
    "record_proof",
    "records_from_ranked",
    "write_records",
]
