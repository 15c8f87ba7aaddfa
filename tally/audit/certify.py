"""Certify a contest: count the canonical records, build and sign the manifest, write the audit package.

This is the one call the web app and ``tally certify`` make. The count always runs on the ballot set
rebuilt from the records (``ballots_from_records``), so the certified result follows from exactly the
bytes in ``ballots.jsonl`` and ``config.json``, as ``tally verify`` will recompute it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .. import __version__
from ..methods import count
from ..result import Result
from . import rctab_export, signing
from .config import AuditConfig
from .manifest import build_manifest, manifest_bytes
from .receipts import read_receipts, write_receipts
from .records import BallotRecord, ballots_from_records, read_records, write_records

README = """\
Audit package for contest {contest}
{rule}
Certified by tally {version}. Files:

  config.json     what was counted and how (method, options, seats, seed, candidates)
  ballots.jsonl   every ballot, one canonical JSON record per line, sorted by ballot id (format tally-cvr/1)
  receipts.txt    every voter receipt, sorted (none for CVR imports)
  result.json     the certified result, canonical JSON
  manifest.json   counts, Merkle roots and SHA-256 hashes of the files above, signed
  manifest.sig    base64 Ed25519 signature of manifest.json
  public_key.pem  the key that signed it
{rctab}
To check everything (hashes, Merkle roots, signature) and re-run the count:

  pip install -e .           # in a checkout of the consult project: provides `tally`
  tally verify THIS_FILE.zip --public-key INSTANCE_KEY.pem

Each check prints OK or DIFFERS with what differs; the exit status is 0 only if all agree.
Compare the public key with the one the organiser publishes: the --public-key option does that.
To check a receipt is included: tally verify THIS_FILE.zip --receipt RECEIPT prints its Merkle proof.
"""

RCTAB_NOTE = """  rctab/          config.json and cvr.json (NIST CDF) to re-run the count with RCTab itself:
                  extract the rctab/ folder, open its config.json in RCTab and tabulate. Ties are set
                  to stopCountingAndAsk: answer with the choices in rctab/tiebreak_decisions.json
                  (tally rctab rctab/config.json --tiebreak-decisions rctab/tiebreak_decisions.json).
"""


@dataclass(frozen=True)
class Certification:
    """What ``certify`` produced: the zip bytes and the pieces the web app publishes."""

    package: bytes
    manifest: dict[str, Any]
    manifest_bytes: bytes
    signature: bytes
    result: Result
    result_json: str
    receipts: list[str]


def count_records(config: AuditConfig, records: Sequence[BallotRecord]) -> Result:
    """Run ``tally.count`` on the ballot set the records stand for, with the config's method and options."""
    ballots = ballots_from_records(config, records)
    return count(ballots, method=config.method, seats=config.seats, **config.count_options())


def package_members(
    config: AuditConfig,
    records: Sequence[BallotRecord],
    receipts: Sequence[str],
    result_json: str,
    manifest_raw: bytes,
    signature: bytes,
    public_pem: bytes,
    *,
    engine_version: str = __version__,
) -> dict[str, bytes]:
    rctab = rctab_export.export(config, records, result_json)
    readme = README.format(
        contest=config.contest,
        rule="=" * (len(config.contest) + 26),
        version=engine_version,
        rctab=RCTAB_NOTE if rctab else "",
    )
    return {
        "README.txt": readme.encode("utf-8"),
        "config.json": config.to_json_bytes(),
        "ballots.jsonl": write_records(config, records),
        "receipts.txt": write_receipts(list(receipts)),
        "result.json": result_json.encode("utf-8"),
        "manifest.json": manifest_raw,
        "manifest.sig": signing.encode_signature(signature),
        "public_key.pem": public_pem,
        **rctab,
    }


def certify(
    config: AuditConfig,
    records: Sequence[BallotRecord],
    key: Ed25519PrivateKey,
    *,
    receipts: Sequence[str] = (),
    certified_at: str | None = None,
) -> Certification:
    """Count, sign and package a contest.

    ``records`` come from ``make_records`` (web ballots) or ``records_from_ranked`` (CVR files);
    ``receipts`` are the contest's receipts in any order (sorted here); ``certified_at`` is optional text
    put in the manifest (the package bytes are otherwise a function of the inputs and the key).
    """
    from .package import write_package

    receipt_list = read_receipts(write_receipts(list(receipts)))
    # the strict reader is what verify uses: a record it would refuse is refused before counting
    records = read_records(write_records(config, records), config)
    result = count_records(config, records)
    result_json = result.to_json()
    manifest = build_manifest(config, records, receipt_list, result_json, certified_at=certified_at)
    raw = manifest_bytes(manifest)
    signature = signing.sign(key, raw)
    members = package_members(
        config, records, receipt_list, result_json, raw, signature, signing.public_key_pem(key)
    )
    return Certification(
        package=write_package(members),
        manifest=manifest,
        manifest_bytes=raw,
        signature=signature,
        result=result,
        result_json=result_json,
        receipts=receipt_list,
    )
