import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.audit import merkle


def rfc6962_root(leaves):
    """RFC 6962 §2.1 Merkle Tree Hash, written recursively as the RFC states it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + rfc6962_root(leaves[:k]) + rfc6962_root(leaves[k:])).digest()


@given(st.lists(st.binary(max_size=8), max_size=40))
def test_root_is_the_rfc6962_merkle_tree_hash(leaves):
    assert merkle.merkle_root(leaves) == rfc6962_root(leaves).hex()


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_every_inclusion_proof_verifies(leaves, data):
    i = data.draw(st.integers(0, len(leaves) - 1))
    root = merkle.merkle_root(leaves)
    path = merkle.inclusion_proof(leaves, i)
    assert merkle.verify_inclusion(leaves[i], i, len(leaves), path, root)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13])
def test_proof_fails_for_a_wrong_leaf_index_or_path(size):
    leaves = [bytes([i]) for i in range(size)]
    root = merkle.merkle_root(leaves)
    path = merkle.inclusion_proof(leaves, size - 1)
    assert not merkle.verify_inclusion(b"other", size - 1, size, path, root)
    if size > 1:
        assert not merkle.verify_inclusion(leaves[-1], 0, size, path, root)
        assert not merkle.verify_inclusion(leaves[-1], size - 1, size, path[:-1], root)
    assert not merkle.verify_inclusion(leaves[-1], size - 1, size, [*path, "00" * 32], root)


def test_odd_level_promotes_the_last_hash():
    a, b, c = (merkle.leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert merkle.merkle_root([b"a", b"b", b"c"]) == merkle.node_hash(merkle.node_hash(a, b), c).hex()


def test_leaf_and_node_are_domain_separated():
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.merkle_root([a + b]) != merkle.merkle_root([b"a", b"b"])
