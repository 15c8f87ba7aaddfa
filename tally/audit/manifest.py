"""The manifest: what a certification commits to, in one small canonical JSON object that gets signed.

``manifest.json`` is the canonical JSON (``tally.canonical``) of::

    {"format": "tally-audit-manifest/1",
     "contest": "<contest id>",
     "engine": {"name": "tally", "version": "<tally version that counted>"},
     "config_sha256": "<hex SHA-256 of config.json>",
     "ballots": {"format": "tally-cvr/1", "count": N,
                 "merkle_root": "<hex root over the ballot record lines, sorted by ballot id>"},
     "receipts": {"count": M, "merkle_root": "<hex root over the 32-byte receipts, sorted>"},
     "result_sha256": "<hex SHA-256 of result.json, i.e. of Result.to_json() in UTF-8>",
     "certified_at": "<text the certifier supplies, e.g. an ISO 8601 time>"}   # only when given

Merkle roots follow ``merkle.py`` (RFC 6962). The ballot tree's leaves are the record lines of
``ballots.jsonl`` without their newline (``BallotRecord.to_bytes()``); the receipt tree's leaves are the
raw 32 bytes of each receipt. ``M`` is 0 when the ballots came without receipts (e.g. a CVR file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from .. import __version__, canonical
from ..errors import TallyError
from . import merkle
from .config import AuditConfig, load_json
from .receipts import normalise_receipt
from .records import RECORDS_FORMAT, BallotRecord

MANIFEST_FORMAT = "tally-audit-manifest/1"


def ballots_root(records: Sequence[BallotRecord]) -> str:
    return merkle.merkle_root(r.to_bytes() for r in records)


def receipts_root(receipts: Sequence[str]) -> str:
    return merkle.merkle_root(bytes.fromhex(r) for r in receipts)


def result_sha256(result_json: str | bytes) -> str:
    raw = result_json.encode("utf-8") if isinstance(result_json, str) else result_json
    return hashlib.sha256(raw).hexdigest()


def build_manifest(
    config: AuditConfig,
    records: Sequence[BallotRecord],
    receipts: Sequence[str],
    result_json: str | bytes,
    *,
    certified_at: str | None = None,
    engine_version: str = __version__,
) -> dict[str, Any]:
    """The manifest object for a counted contest (``receipts`` sorted, as ``receipts.txt`` holds them)."""
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "contest": config.contest,
        "engine": {"name": "tally", "version": engine_version},
        "config_sha256": config.sha256(),
        "ballots": {"format": RECORDS_FORMAT, "count": len(records), "merkle_root": ballots_root(records)},
        "receipts": {"count": len(receipts), "merkle_root": receipts_root(receipts)},
        "result_sha256": result_sha256(result_json),
    }
    if certified_at is not None:
        manifest["certified_at"] = str(certified_at)
    return manifest


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and stored as ``manifest.json``."""
    return canonical.dumps_bytes(manifest)


def parse_manifest(raw: bytes, *, file: str = "manifest.json") -> dict[str, Any]:
    """Parse and shape-check ``manifest.json``; ``TallyError`` naming the first bad field."""
    data = load_json(raw, file=file)
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise TallyError(f"format is not {MANIFEST_FORMAT!r}", file=file)

    def need(obj: Any, key: str, kind: type, where: str) -> Any:
        value = obj.get(key) if isinstance(obj, dict) else None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TallyError(f"field {where} is missing or not a {kind.__name__}", file=file)
        return value

    need(data, "contest", str, "contest")
    need(need(data, "engine", dict, "engine"), "version", str, "engine.version")
    for key in ("config_sha256", "result_sha256"):
        need(data, key, str, key)
    for part in ("ballots", "receipts"):
        obj = need(data, part, dict, part)
        need(obj, "count", int, f"{part}.count")
        need(obj, "merkle_root", str, f"{part}.merkle_root")
    if canonical.dumps_bytes(data) != raw:
        raise TallyError("not in canonical JSON form", file=file)
    return data


def receipt_proof(receipts: Sequence[str], receipt: str) -> dict[str, Any] | None:
    """Inclusion proof of ``receipt`` in the sorted receipt list, or ``None`` when it is not there.

    ``{"receipt", "index", "size", "path", "root"}``: check it with ``check_receipt_proof`` (or any RFC
    6962 implementation, leaf data = the 32 receipt bytes) against the manifest's ``receipts.merkle_root``.
    """
    import bisect

    target = normalise_receipt(receipt)
    i = bisect.bisect_left(receipts, target)
    if i == len(receipts) or receipts[i] != target:
        return None
    leaves = [bytes.fromhex(r) for r in receipts]
    return {
        "receipt": target,
        "index": i,
        "size": len(receipts),
        "path": merkle.inclusion_proof(leaves, i),
        "root": merkle.merkle_root(leaves),
    }


def check_receipt_proof(proof: dict[str, Any], root: str) -> bool:
    """True when ``proof`` (from ``receipt_proof``) shows its receipt under the receipts ``root``."""
    try:
        leaf = bytes.fromhex(normalise_receipt(proof["receipt"]))
        return merkle.verify_inclusion(leaf, int(proof["index"]), int(proof["size"]), proof["path"], root)
    except (KeyError, TypeError, ValueError):
        return False


def record_proof(records: Sequence[BallotRecord], ballot_id: str) -> dict[str, Any] | None:
    """Inclusion proof of the record with ``ballot_id`` in the ballot tree (leaf = record line)."""
    ids = [r.id for r in records]
    if ballot_id not in ids:
        return None
    i = ids.index(ballot_id)
    leaves = [r.to_bytes() for r in records]
    return {
        "record": leaves[i].decode("utf-8"),
        "index": i,
        "size": len(leaves),
        "path": merkle.inclusion_proof(leaves, i),
        "root": merkle.merkle_root(leaves),
    }
