"""Merkle trees over sorted records, and inclusion proofs (the RFC 6962 / RFC 9162 Merkle Tree Hash).

Rule, for leaves ``d[0..n)`` in their sorted order:

- leaf hash ``L(d) = SHA-256(0x00 || d)``; node hash ``N(a, b) = SHA-256(0x01 || a || b)`` (the prefix
  bytes keep a leaf from ever being read as a node);
- each level pairs hashes left to right; when a level has an odd count, its last hash is promoted
  unchanged to the next level (never duplicated); the root is the single hash left;
- the root of zero leaves is ``SHA-256("")``.

This is exactly the Merkle Tree Hash of RFC 6962 §2.1, so its audit paths (inclusion proofs) apply: a
proof for leaf ``i`` of ``n`` lists the sibling hashes from the leaf level up, skipping levels where the
node is promoted. ``verify_inclusion`` checks one against a root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from ..errors import TallyError


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _next_level(level: list[bytes]) -> list[bytes]:
    up = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        up.append(level[-1])
    return up


def merkle_root(leaves: Iterable[bytes]) -> str:
    """Hex root over the leaf data (already in their sorted order)."""
    level = [leaf_hash(d) for d in leaves]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        level = _next_level(level)
    return level[0].hex()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[str]:
    """Audit path (hex sibling hashes, leaf level first) for ``leaves[index]``."""
    if not 0 <= index < len(leaves):
        raise TallyError(f"leaf {index} is outside a tree of {len(leaves)} leaves")
    level = [leaf_hash(d) for d in leaves]
    path: list[str] = []
    i = index
    while len(level) > 1:
        sibling = i ^ 1
        if sibling < len(level):
            path.append(level[sibling].hex())
        level = _next_level(level)
        i //= 2
    return path


def root_from_proof(leaf: bytes, index: int, size: int, path: Sequence[str]) -> str:
    """The root that ``leaf`` at ``index`` in a tree of ``size`` leaves and audit ``path`` lead to."""
    if not 0 <= index < size:
        raise TallyError(f"leaf {index} is outside a tree of {size} leaves")
    h = leaf_hash(leaf)
    steps = list(path)
    i, n = index, size
    while n > 1:
        if i % 2 == 1 or i + 1 < n:
            if not steps:
                raise TallyError("inclusion proof is too short")
            try:
                sibling = bytes.fromhex(steps.pop(0))
            except ValueError:
                raise TallyError("inclusion proof holds a hash that is not hex") from None
            h = node_hash(sibling, h) if i % 2 == 1 else node_hash(h, sibling)
        i //= 2
        n = (n + 1) // 2
    if steps:
        raise TallyError("inclusion proof is too long")
    return h.hex()


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[str], root: str) -> bool:
    """True when the audit path proves ``leaf`` is leaf ``index`` of the ``size``-leaf tree ``root``."""
    try:
        return root_from_proof(leaf, index, size, path) == root.lower()
    except TallyError:
        return False
