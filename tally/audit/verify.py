"""Verify an audit package: recompute every hash, root and the count, and say exactly what differs.

Checks, in order (each gives one ``Check`` line, ``OK`` or ``DIFFERS``; ``NOTE`` lines never fail):

1. ``manifest.sig``: the Ed25519 signature over ``manifest.json`` verifies with ``public_key.pem``;
2. ``public_key.pem``: equals the pinned key, when one is given (``--public-key``);
3. ``manifest.json``: well formed, canonical, names the same contest as ``config.json``;
4. ``config.json``: its SHA-256 equals the manifest's ``config_sha256``;
5. ``ballots.jsonl``: valid canonical records whose count and Merkle root equal the manifest's;
6. ``receipts.txt``: valid sorted receipts whose count and Merkle root equal the manifest's;
7. ``result.json``: its SHA-256 equals the manifest's ``result_sha256``;
8. recount: ``tally.count`` re-run from ``config.json`` and ``ballots.jsonl`` gives ``result.json``'s
   bytes exactly; otherwise each differing top-level field is named (``elected``, ``rounds``, ...);
9. ``rctab/``: regenerated from config and records, byte for byte (ranked irv/stv contests);
10. NOTE the engine version that certified and the one verifying, when they differ.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import TallyError
from . import rctab_export, signing
from .certify import count_records
from .config import AuditConfig
from .manifest import ballots_root, parse_manifest, receipts_root
from .package import Limits, read_package
from .receipts import read_receipts
from .records import read_records


@dataclass(frozen=True)
class Check:
    status: str  # "OK" | "DIFFERS" | "NOTE"
    subject: str  # the file (or "recount") the check is about
    detail: str

    def line(self) -> str:
        return f"{self.status:<7} {self.subject}: {self.detail}"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    receipts: list[str] | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status != "DIFFERS" for c in self.checks)

    def differences(self) -> list[Check]:
        return [c for c in self.checks if c.status == "DIFFERS"]

    def lines(self) -> list[str]:
        return [c.line() for c in self.checks]


def _short(h: Any) -> str:
    return f"{h[:12]}.." if isinstance(h, str) and len(h) > 12 else repr(h)


def _summary(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _result_differences(found: bytes, recount: str) -> list[str]:
    try:
        a = json.loads(found.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ["is not valid JSON"]
    b = json.loads(recount)
    if not isinstance(a, dict):
        return ["is not a JSON object"]
    out = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            out.append(f"field {key} is not in the recount")
        elif key not in a:
            out.append(f"field {key} is missing (recount {_summary(b[key])})")
        elif a[key] != b[key]:
            out.append(f"{key} differs (file {_summary(a[key])}, recount {_summary(b[key])})")
    if not out:
        out.append("same content but not the canonical bytes the recount writes")
    return out


def _tree_checks(
    add: Callable[[str, str, str], None], subject: str, noun: str, claimed: dict[str, Any], n: int, root: str
) -> None:
    problems = []
    if n != claimed["count"]:
        problems.append(f"{noun} count differs (manifest {claimed['count']}, file {n})")
    if root != claimed["merkle_root"]:
        mroot = _short(claimed["merkle_root"])
        problems.append(f"Merkle root differs (manifest {mroot}, recomputed {_short(root)})")
    for p in problems:
        add("DIFFERS", subject, p)
    if not problems:
        add("OK", subject, f"{n} {noun}s, Merkle root {_short(root)} matches the manifest")


def verify_package(
    source: bytes | str | Path,
    *,
    public_key: bytes | None = None,
    recount: bool = True,
    limits: Limits | None = None,
) -> Report:
    """Check a package (zip bytes or path). ``public_key``: PEM bytes of the key it must be signed with.

    Raises ``TallyError`` only when the zip itself is unreadable or hostile; everything else is a check.
    """
    files = read_package(source, limits)
    report = Report()

    def add(status: str, subject: str, detail: str) -> None:
        report.checks.append(Check(status, subject, detail))

    def attempt(subject: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except TallyError as err:
            add("DIFFERS", subject, str(err).removeprefix(f"{subject}: "))
            return None

    # 1-2: signature and key
    pub = attempt("public_key.pem", lambda: signing.load_public_key(files["public_key.pem"]))
    sig = attempt("manifest.sig", lambda: signing.decode_signature(files["manifest.sig"]))
    if pub is not None and sig is not None:
        if signing.verify(pub, files["manifest.json"], sig):
            add("OK", "manifest.sig", f"signature verifies (key {signing.fingerprint(pub)[:16]})")
        else:
            add(
                "DIFFERS",
                "manifest.sig",
                "signature does not verify over manifest.json with public_key.pem",
            )
    if public_key is not None:
        pinned = attempt("--public-key", lambda: signing.load_public_key(public_key, file="--public-key"))
        if pinned is not None and pub is not None:
            a, b = signing.fingerprint(pub), signing.fingerprint(pinned)
            if a == b:
                add("OK", "public_key.pem", "is the pinned key")
            else:
                add("DIFFERS", "public_key.pem", f"key differs (pinned {_short(b)}, package {_short(a)})")

    # 3-4: manifest and config
    manifest = attempt("manifest.json", lambda: parse_manifest(files["manifest.json"]))
    report.manifest = manifest
    config = attempt("config.json", lambda: AuditConfig.from_json_bytes(files["config.json"]))
    m = manifest or {}
    found = hashlib.sha256(files["config.json"]).hexdigest()
    if manifest is not None:
        if config is not None and config.contest != m["contest"]:
            add(
                "DIFFERS",
                "manifest.json",
                f"contest differs (manifest {m['contest']!r}, config {config.contest!r})",
            )
        if found == m["config_sha256"]:
            add("OK", "config.json", f"hash {_short(found)} matches the manifest")
        else:
            add(
                "DIFFERS",
                "config.json",
                f"hash differs (manifest {_short(m['config_sha256'])}, recomputed {_short(found)})",
            )
        if config is not None and config.to_json_bytes() != files["config.json"]:
            add("DIFFERS", "config.json", "not in canonical JSON form")

    # 5: ballots
    records = None
    if config is None:
        add("DIFFERS", "ballots.jsonl", "not checked: config.json is unreadable")
    else:
        records = attempt("ballots.jsonl", lambda: read_records(files["ballots.jsonl"], config))
    if records is not None and manifest is not None:
        _tree_checks(add, "ballots.jsonl", "ballot", m["ballots"], len(records), ballots_root(records))

    # 6: receipts
    receipts = attempt("receipts.txt", lambda: read_receipts(files["receipts.txt"]))
    report.receipts = receipts
    if receipts is not None and manifest is not None:
        _tree_checks(add, "receipts.txt", "receipt", m["receipts"], len(receipts), receipts_root(receipts))

    # 7: result hash
    result_hash = hashlib.sha256(files["result.json"]).hexdigest()
    if manifest is not None:
        if result_hash == m["result_sha256"]:
            add("OK", "result.json", f"hash {_short(result_hash)} matches the manifest")
        else:
            add(
                "DIFFERS",
                "result.json",
                f"hash differs (manifest {_short(m['result_sha256'])}, recomputed {_short(result_hash)})",
            )

    # 8: recount
    if recount:
        if config is None or records is None:
            add("DIFFERS", "recount", "not run: config.json or ballots.jsonl is unreadable")
        else:
            result = attempt("recount", lambda: count_records(config, records))
            if result is not None:
                again = result.to_json()
                if again.encode("utf-8") == files["result.json"]:
                    add("OK", "recount", f"{config.method} re-run gives result.json byte for byte")
                else:
                    for d in _result_differences(files["result.json"], again):
                        add("DIFFERS", "result.json", f"{d}")

    # 9: RCTab export
    if config is not None and records is not None:
        try:
            expected = rctab_export.export(config, records, files["result.json"])
        except TallyError:
            expected = rctab_export.export(config, records, b"{}")
        for name in sorted(set(expected) | {n for n in files if n.startswith("rctab/")}):
            if name not in files:
                add("DIFFERS", name, "missing (expected for a ranked irv/stv contest)")
            elif name not in expected:
                add("DIFFERS", name, "present but this contest has no RCTab export")
            elif files[name] != expected[name]:
                add("DIFFERS", name, "differs from the export of config.json and ballots.jsonl")
            else:
                add("OK", name, "matches the export of config.json and ballots.jsonl")

    # 10: engine version
    if manifest is not None and m["engine"]["version"] != __version__:
        add(
            "NOTE",
            "manifest.json",
            f"certified by tally {m['engine']['version']}, verified by {__version__}",
        )
    return report
