"""Ballot receipts: proof of inclusion a voter can recompute, and the key to change a ballot.

At cast time the server draws a 128-bit secret ``r`` (``draw_secret``), computes ::

    receipt = SHA-256( field(DOMAIN) || field(contest id) || field(canonical ballot) || field(r) )

where ``field(x) = len(x) as 4-byte big-endian unsigned integer || x`` and

- ``DOMAIN`` is the ASCII bytes ``tally/receipt/v1``;
- ``contest id`` is the UTF-8 bytes of the contest id of ``config.json``;
- ``canonical ballot`` is the UTF-8 canonical JSON (``tally.canonical``: sorted keys, no spaces) of the
  ballot content as ``records.canonical_ballot`` defines it, e.g. ``["b","a"]`` for "b first, then a"
  or ``{"x":3,"y":-1}`` for quadratic votes;
- ``r`` is the 16 raw secret bytes (shown to the voter as 32 lowercase hex digits).

The receipt is written as 64 lowercase hex digits. The server shows receipt and ``r`` once and keeps
neither ``r`` nor any link from receipt to voter; where a ballot may be changed before the close it keeps
``change_key(r) = SHA-256(r)`` (hex) only, so that presenting ``r`` is the only way to replace the ballot.

What a receipt proves: the published, sorted receipt list (``receipts.txt`` in the audit package, its
Merkle root signed in the manifest) contains the voter's receipt, and with ``r`` and their choices anyone
can recompute it, so the server committed to that ballot content. What it does not: receipts are not
published next to ballot contents, so the list cannot show that this particular receipt's ballot was
counted as cast beyond the server's word; and since the voter can prove their vote with ``r``, the scheme
is not coercion-resistant.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
from typing import Any

from .. import canonical
from ..errors import TallyError

RECEIPT_DOMAIN = b"tally/receipt/v1"
SECRET_BYTES = 16
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def draw_secret() -> bytes:
    """A fresh 128-bit secret from the operating system's CSPRNG."""
    return secrets.token_bytes(SECRET_BYTES)


def parse_secret(secret: bytes | str) -> bytes:
    """The 16 secret bytes from raw bytes or 32 hex digits (spaces and dashes allowed, any case)."""
    if isinstance(secret, str):
        text = re.sub(r"[\s-]", "", secret).lower()
        if not re.fullmatch(r"[0-9a-f]{32}", text):
            raise TallyError("the receipt secret must be 32 hexadecimal digits")
        return bytes.fromhex(text)
    if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
        raise TallyError(f"the receipt secret must be {SECRET_BYTES} bytes")
    return secret


def receipt_preimage(contest: str, ballot: Any, secret: bytes | str) -> bytes:
    """The exact bytes hashed into a receipt (see module docstring)."""
    return b"".join(
        (
            _field(RECEIPT_DOMAIN),
            _field(contest.encode("utf-8")),
            _field(canonical.dumps_bytes(ballot)),
            _field(parse_secret(secret)),
        )
    )


def compute_receipt(contest: str, ballot: Any, secret: bytes | str) -> str:
    """The receipt (64 hex digits) for canonical ``ballot`` content cast in ``contest`` with ``secret``."""
    return hashlib.sha256(receipt_preimage(contest, ballot, secret)).hexdigest()


def check_receipt(receipt: str, contest: str, ballot: Any, secret: bytes | str) -> bool:
    """True when ``receipt`` is what ``contest``, ``ballot`` and ``secret`` produce (constant-time)."""
    expected = compute_receipt(contest, ballot, secret)
    return hmac.compare_digest(expected, normalise_receipt(receipt))


def change_key(secret: bytes | str) -> str:
    """SHA-256 of the 16 secret bytes (hex): what the server stores to authorise a ballot change."""
    return hashlib.sha256(parse_secret(secret)).hexdigest()


def check_change_key(stored: str, secret: bytes | str) -> bool:
    return hmac.compare_digest(stored, change_key(secret))


def normalise_receipt(receipt: str) -> str:
    """A receipt as 64 lowercase hex digits (spaces, dashes and case ignored) or ``TallyError``."""
    text = re.sub(r"[\s-]", "", str(receipt)).lower()
    if not _HEX64.fullmatch(text):
        raise TallyError("a receipt is 64 hexadecimal digits")
    return text


def write_receipts(receipts: list[str]) -> bytes:
    """``receipts.txt``: the receipts sorted, one per line, each line ending in ``\\n``."""
    norm = sorted(normalise_receipt(r) for r in receipts)
    for a, b in zip(norm, norm[1:], strict=False):
        if a == b:
            raise TallyError(f"receipt {a} appears twice")
    return "".join(r + "\n" for r in norm).encode("ascii")


def read_receipts(raw: bytes, *, file: str = "receipts.txt") -> list[str]:
    """Parse ``receipts.txt`` strictly: lowercase hex lines, sorted, unique."""
    if raw and not raw.endswith(b"\n"):
        raise TallyError("last line does not end with a newline", file=file)
    out: list[str] = []
    for n, line in enumerate(raw.split(b"\n")[:-1], start=1):
        text = line.decode("ascii", errors="replace")
        if not _HEX64.fullmatch(text):
            raise TallyError(f"line {n}: not a receipt (64 lowercase hex digits)", file=file)
        if out and text <= out[-1]:
            raise TallyError(f"line {n}: receipt out of order or repeated (sorted ascending)", file=file)
        out.append(text)
    return out
