"""Ed25519 signing of manifests (``cryptography``).

Keys are PEM: the private key PKCS#8 unencrypted, written with permissions 0600 (created so, never
widened); the public key SubjectPublicKeyInfo. A signature is the 64-byte Ed25519 signature of the exact
``manifest.json`` bytes; in a package it is stored base64-encoded (standard alphabet, with padding) on one
line ending in ``\\n`` as ``manifest.sig``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import TallyError


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key: a short name for a key."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def save_private_key(key: Ed25519PrivateKey, path: str | Path) -> None:
    """Write ``key`` as PEM to a new file created with mode 0600; refuses to overwrite."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise TallyError("key file exists already; refusing to overwrite it", file=str(p)) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_key_pem(key))


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PEM). Refuses a file others can read or write."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
        data = p.read_bytes()
    except OSError as err:
        raise TallyError(f"cannot read key: {err.strerror}", file=str(p)) from None
    if os.name == "posix" and mode & 0o077:
        raise TallyError(f"private key file has mode {mode & 0o777:o}; it must be 0600", file=str(p))
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise TallyError(f"not an unencrypted PEM private key ({err})", file=str(p)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise TallyError("not an Ed25519 private key", file=str(p))
    return key


def load_or_create_key(path: str | Path) -> Ed25519PrivateKey:
    """The instance key at ``path``, created (mode 0600) when the file does not exist yet."""
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        save_private_key(generate_key(), p)
    return load_private_key(p)


def load_public_key(data: bytes, *, file: str = "public_key.pem") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes (a private key PEM is accepted and reduced to its public half)."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, binascii.Error):
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError, binascii.Error):
            raise TallyError("not a PEM public key", file=file) from None
    if not isinstance(key, Ed25519PublicKey):
        raise TallyError("not an Ed25519 public key", file=file)
    return key


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    return key.sign(message)


def verify(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def encode_signature(signature: bytes) -> bytes:
    """``manifest.sig`` contents: base64 of the 64 signature bytes plus a newline."""
    return base64.b64encode(signature) + b"\n"


def decode_signature(raw: bytes, *, file: str = "manifest.sig") -> bytes:
    text = raw.strip()
    try:
        sig = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TallyError("not base64", file=file) from None
    if len(sig) != 64:
        raise TallyError(f"an Ed25519 signature is 64 bytes, this one is {len(sig)}", file=file)
    return sig
