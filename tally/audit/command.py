"""``tally verify PACKAGE`` and ``tally certify``: the audit commands."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from ..errors import TallyError
from . import signing
from .certify import certify
from .config import CONFIG_FORMAT, AuditConfig, load_json
from .manifest import check_receipt_proof, receipt_proof
from .records import make_records, records_from_ranked
from .verify import verify_package


@click.command("verify")
@click.argument("package", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM key the package must be signed with (the instance's published key).",
)
@click.option("--receipt", "receipts", multiple=True, help="Also prove this receipt is in the receipt list.")
@click.option("--no-recount", is_flag=True, help="Check hashes and signature only; do not re-run the count.")
def verify_cmd(package: Path, public_key: Path | None, receipts: tuple[str, ...], no_recount: bool) -> None:
    """Recompute an audit package's hashes, Merkle roots, signature and count; exit 0 only if all agree."""
    pinned = public_key.read_bytes() if public_key else None
    report = verify_package(package, public_key=pinned, recount=not no_recount)
    for line in report.lines():
        click.echo(line)
    ok = report.ok
    for receipt in receipts:
        if report.receipts is None or report.manifest is None:
            click.echo(f"DIFFERS receipt {receipt}: receipts.txt or manifest.json is unreadable")
            ok = False
            continue
        proof = receipt_proof(report.receipts, receipt)
        if proof is not None and check_receipt_proof(proof, report.manifest["receipts"]["merkle_root"]):
            click.echo(
                f"OK      receipt {proof['receipt']}: included, leaf {proof['index']} of {proof['size']}, "
                f"proof {json.dumps(proof['path'])}"
            )
        else:
            click.echo(f"DIFFERS receipt {receipt}: not in receipts.txt")
            ok = False
    click.echo(
        "verified: every check agrees" if ok else f"NOT verified: {len(report.differences())} difference(s)"
    )
    sys.exit(0 if ok else 1)


def _read_config(path: Path, candidates: list[str] | None) -> AuditConfig:
    data = load_json(path.read_bytes(), file=str(path))
    if not isinstance(data, dict):
        raise TallyError("expected a JSON object", file=str(path))
    data.setdefault("format", CONFIG_FORMAT)
    if "candidates" not in data and candidates is not None:
        data["candidates"] = candidates
    return AuditConfig.from_dict(data, file=str(path))


def _read_ballots(path: Path):
    """(records source, candidates): a .jsonl of {"id", "ballot"} lines, else any ballot file tally reads."""
    if path.suffix.lower() == ".jsonl":
        pairs = []
        for n, line in enumerate(path.read_bytes().splitlines(), start=1):
            if not line.strip():
                continue
            obj = load_json(line, file=f"{path}: line {n}")
            if isinstance(obj, dict) and "format" in obj:
                continue  # a header line of a canonical export
            if not isinstance(obj, dict) or "id" not in obj or "ballot" not in obj:
                raise TallyError(f"line {n}: expected an object with 'id' and 'ballot'", file=str(path))
            pairs.append((obj["id"], obj["ballot"]))
        return pairs, None
    from ..formats import load

    loaded = load(path)
    ranked = records_from_ranked(loaded.ballots)
    return [(r.id, r.ballot) for r in ranked], list(loaded.ballots.candidates.names)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".tally-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command("certify")
@click.option(
    "--config", "config_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--ballots", "ballots_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--create-key", is_flag=True, help="Create the key file (mode 0600) if it does not exist.")
@click.option("--receipts", "receipts_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--certified-at", default=None, help="Text recorded in the manifest, e.g. an ISO 8601 time.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def certify_cmd(config_path, ballots_path, key_path, create_key, receipts_path, certified_at, out) -> None:
    """Count a contest and write its signed audit package.

    CONFIG is config.json's content (``format`` may be left out; ``candidates`` too when the ballot file
    names them). BALLOTS is a .jsonl of {"id": ..., "ballot": ...} lines or any ranked file tally reads.
    """
    if not key_path.exists() and not create_key:
        raise TallyError("no such key file (pass --create-key to create one)", file=str(key_path))
    key = signing.load_or_create_key(key_path)
    pairs, candidates = _read_ballots(ballots_path)
    config = _read_config(config_path, candidates)
    records = make_records(config, pairs)
    receipts = []
    if receipts_path:
        receipts = [line.strip() for line in receipts_path.read_text("utf-8").splitlines() if line.strip()]
    cert = certify(config, records, key, receipts=receipts, certified_at=certified_at)
    _write_atomic(out, cert.package)
    click.echo(f"{out}: {len(records)} ballots, elected {', '.join(cert.result.elected) or 'nobody'}")
    click.echo(f"manifest sha256 {hashlib.sha256(cert.manifest_bytes).hexdigest()}")


@click.command("receipt")
@click.argument("package", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--secret", required=True, help="The 32 hex digit secret shown when the ballot was cast.")
@click.option(
    "--ballot", "ballot_json", required=True, help='Your choices as JSON, e.g. \'["bob", "alice"]\'.'
)
def receipt_cmd(package: Path, secret: str, ballot_json: str) -> None:
    """Recompute your receipt from your secret and choices, and prove it is in PACKAGE's receipt list.

    Exit 0 when the receipt is included under the manifest's signed Merkle root, 1 when it is not.
    """
    from .package import read_package
    from .receipts import compute_receipt, read_receipts
    from .records import canonical_ballot

    files = read_package(package)
    config = AuditConfig.from_json_bytes(files["config.json"])
    choices = load_json(ballot_json.encode("utf-8"), file="--ballot")
    content = canonical_ballot(config.ballot_type, choices, config.candidates)
    receipt = compute_receipt(config.contest, content, secret)
    click.echo(f"receipt {receipt} (contest {config.contest}, ballot {json.dumps(content)})")
    report = verify_package(package, recount=False)
    proof = receipt_proof(read_receipts(files["receipts.txt"]), receipt)
    if proof is None or report.manifest is None:
        click.echo("NOT included: this receipt is not in receipts.txt")
        sys.exit(1)
    root_ok = check_receipt_proof(proof, report.manifest["receipts"]["merkle_root"])
    signed = not any(c.subject == "manifest.sig" for c in report.differences())
    click.echo(f"included: leaf {proof['index']} of {proof['size']}, proof {json.dumps(proof['path'])}")
    root = "matches" if root_ok else "DIFFERS from"
    click.echo(f"Merkle root {root} the manifest; signature {'verifies' if signed else 'DOES NOT verify'}")
    sys.exit(0 if root_ok and signed else 1)
