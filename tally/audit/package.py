"""Audit packages: one zip holding everything needed to re-run and check a certified count.

Members, in this order (``rctab/`` only for contests with an RCTab counterpart, see ``rctab_export``):

====================  =========================================================================
``README.txt``        how to verify (not covered by the signature: instructions only)
``config.json``       the contest config (``config.py``); its SHA-256 is in the manifest
``ballots.jsonl``     the canonical CVR export (``records.py``); count and Merkle root in the manifest
``receipts.txt``      the sorted receipts (``receipts.py``); count and Merkle root in the manifest
``result.json``       ``Result.to_json()`` in UTF-8, no trailing newline; SHA-256 in the manifest
``manifest.json``     the manifest (``manifest.py``), canonical JSON: the signed bytes
``manifest.sig``      base64 Ed25519 signature of ``manifest.json`` plus newline (``signing.py``)
``public_key.pem``    the signer's public key (SubjectPublicKeyInfo PEM)
``rctab/config.json`` RCTab config for RCTab itself; regenerated and compared by ``tally verify``
``rctab/cvr.json``    NIST 1500-103 CDF CVR JSON of the ballots; regenerated and compared likewise
====================  =========================================================================

and ``rctab/tiebreak_decisions.json``: the result's tie outcomes as RCTab operator decisions (likewise).

The bytes are deterministic: fixed member order, every timestamp 1980-01-01 00:00:00, mode 0644, Unix
creator, deflate level 6 (byte-identical for the same zlib; ``tally verify`` checks contents, not the zip).

Reading is hardened: anything that is not a zip, encrypted or unusually compressed members, names that
could escape a folder (absolute, ``..``, backslashes, NUL), duplicate or unexpected members, members
larger than their limit, inflated sizes beyond deflate's maximum ratio and corrupt data are refused with
a ``TallyError`` naming the member. Nothing is ever extracted to disk.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import TallyError

ORDER = (
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
)
REQUIRED = frozenset(ORDER[:8])
LARGE = frozenset({"ballots.jsonl", "receipts.txt", "result.json", "rctab/cvr.json"})
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MAX_RATIO = 1100  # deflate cannot exceed ~1032:1


@dataclass(frozen=True)
class Limits:
    """Size limits for reading a package (bytes)."""

    package: int = 4 << 30
    large_member: int = 2 << 30  # ballots.jsonl, receipts.txt, result.json, rctab/cvr.json
    small_member: int = 1 << 20  # everything else
    total: int = 6 << 30


def write_package(members: dict[str, bytes]) -> bytes:
    """The zip bytes for ``members`` (names from ``ORDER``; the required ones must all be there)."""
    unknown = sorted(set(members) - set(ORDER))
    missing = sorted(REQUIRED - set(members))
    if unknown or missing:
        raise TallyError(f"package members: unknown {unknown}, missing {missing}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in ORDER:
            if name not in members:
                continue
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            zf.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return (
        name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or (len(name) > 1 and name[1] == ":")
        or any(p in ("", ".", "..") for p in parts)
    )


def _check_member_count(data: bytes, label: str) -> None:
    """Refuse, before ``zipfile`` builds an object per entry, an archive whose end-of-central-directory
    record announces more members than a package can hold (the field saturates at 0xFFFF for zip64)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - (1 << 16) - 22))
    if end != -1 and end + 22 <= len(data):
        (count,) = struct.unpack_from("<H", data, end + 10)
        if count > len(ORDER):
            raise TallyError(f"{count} members, an audit package has at most {len(ORDER)}", file=label)


def read_package(source: bytes | str | Path, limits: Limits | None = None) -> dict[str, bytes]:
    """The members of an audit package, read in memory under ``limits``; ``TallyError`` if hostile."""
    limits = limits or Limits()
    label = "package" if isinstance(source, bytes) else str(source)
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.package:
                raise TallyError(
                    f"package is {size} bytes, more than the {limits.package} allowed", file=label
                )
            data = path.read_bytes()
        except OSError as err:
            raise TallyError(f"cannot read: {err.strerror}", file=label) from None
    if len(data) > limits.package:
        raise TallyError(f"package is {len(data)} bytes, more than the {limits.package} allowed", file=label)
    _check_member_count(data, label)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise TallyError("not a zip archive (an audit package is a .zip file)", file=label) from None
    with zf:
        infos = zf.infolist()
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            where = f"{label}: {name!r}"
            if _unsafe(name):
                raise TallyError("unsafe member name (absolute, '..', backslash or empty part)", file=where)
            if name in seen:
                raise TallyError("member appears twice", file=where)
            seen.add(name)
            if name not in ORDER:
                raise TallyError(f"unexpected member (expected only {', '.join(ORDER)})", file=where)
            if info.flag_bits & 0x1:
                raise TallyError("encrypted member", file=where)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise TallyError(
                    f"compression method {info.compress_type} is not stored or deflate", file=where
                )
            limit = limits.large_member if name in LARGE else limits.small_member
            if info.file_size > limit:
                raise TallyError(
                    f"member is {info.file_size} bytes, more than the {limit} allowed", file=where
                )
            if info.file_size > _MAX_RATIO * max(info.compress_size, 1) + 1024:
                raise TallyError("compression ratio beyond what deflate can produce (zip bomb)", file=where)
            total += info.file_size
            if total > limits.total:
                raise TallyError(f"members total more than the {limits.total} bytes allowed", file=label)
        missing = sorted(REQUIRED - seen)
        if missing:
            raise TallyError(f"missing member(s): {', '.join(missing)}", file=label)
        out: dict[str, bytes] = {}
        for info in infos:
            try:
                with zf.open(info) as fh:
                    content = fh.read(info.file_size + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as err:
                raise TallyError(f"corrupt member ({err})", file=f"{label}: {info.filename!r}") from None
            if len(content) != info.file_size:
                raise TallyError("member size differs from its header", file=f"{label}: {info.filename!r}")
            out[info.filename] = content
    return out
