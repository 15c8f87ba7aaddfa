"""The Java library behaviour RCTab's results depend on, reproduced with integers.

- ``JavaRandom``: ``java.util.Random`` exactly (48-bit LCG, ``setSeed`` scrambling, ``next(bits)``,
  ``nextInt`` with its rejection loop, ``nextDouble``), and ``shuffle`` = ``Collections.shuffle(list, rnd)``.
- ``java_compare_key``: ``String.compareTo`` order (UTF-16 code units, so "Z" < "a" and astral characters
  sort by their surrogates).
- ``string_hash``: ``String.hashCode`` (int32 over UTF-16 code units).
- ``hashmap_order`` / ``hashset_order``: the iteration order of a ``HashMap`` filled by ``put`` and of a
  ``HashSet`` built from a collection (bucket ``(h ^ h >>> 16) & (cap - 1)``, insertion order inside a
  bucket).

``floor_double_product`` computes ``(int) Math.floor(nextDouble() * k)`` with the IEEE-754 rounding of the
double product emulated in integers, so no float ever decides a tie.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableSequence, Sequence
from typing import TypeVar

T = TypeVar("T")

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1


class JavaRandom:
    """``java.util.Random(seed)``."""

    def __init__(self, seed: int):
        self.seed = (seed ^ _MULTIPLIER) & _MASK

    def next(self, bits: int) -> int:
        """``next(bits)``: the top ``bits`` of the new 48-bit state, as a signed int32."""
        self.seed = (self.seed * _MULTIPLIER + _ADDEND) & _MASK
        r = self.seed >> (48 - bits)
        if r & (1 << 31):  # (int) cast of the 32-bit result
            r -= 1 << 32
        return r

    def next_int(self, bound: int) -> int:
        """``nextInt(bound)``, including the power-of-two shortcut and the rejection loop."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & (bound - 1) == 0:
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):  # no int32 overflow
                return val

    def next_double_bits(self) -> int:
        """The 53-bit integer m with ``nextDouble() == m / 2**53``."""
        return (self.next(26) << 27) + self.next(27)

    def next_double(self) -> float:
        """``nextDouble()`` (exact: m / 2**53 is representable). For display and tests only."""
        return self.next_double_bits() / (1 << 53)

    def random_index(self, k: int) -> int:
        """``(int) Math.floor(nextDouble() * k)``, as RCTab picks among ``k`` tied candidates."""
        return floor_double_product(self.next_double_bits(), k)


def floor_double_product(m: int, k: int) -> int:
    """``floor((m / 2**53) * k)`` where the product is rounded to a double (53 bits, half-even) first."""
    p = m * k
    bits = p.bit_length()
    if bits > 53:
        shift = bits - 53
        q, r = divmod(p, 1 << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
        p = q << shift
    return p >> 53


def shuffle(items: MutableSequence[T], rnd: JavaRandom) -> None:
    """``Collections.shuffle(list, rnd)``: for i = n down to 2, swap i-1 and nextInt(i)."""
    for i in range(len(items), 1, -1):
        j = rnd.next_int(i)
        items[i - 1], items[j] = items[j], items[i - 1]


def utf16_units(s: str) -> tuple[int, ...]:
    data = s.encode("utf-16-be")
    return tuple(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))


def java_compare_key(s: str) -> tuple[int, ...]:
    """Sort key giving Java ``String.compareTo`` order."""
    return utf16_units(s)


def java_sorted(names: Iterable[str]) -> list[str]:
    return sorted(names, key=java_compare_key)


def string_hash(s: str) -> int:
    """Java ``String.hashCode`` as a signed int32."""
    h = 0
    for unit in utf16_units(s):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def _bucket(name: str, cap: int) -> int:
    h = string_hash(name) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & (cap - 1)


def _order(keys: Sequence[str], cap: int) -> list[str]:
    indexed = list(enumerate(keys))
    indexed.sort(key=lambda pair: (_bucket(pair[1], cap), pair[0]))
    return [k for _, k in indexed]


def hashmap_capacity(n: int) -> int:
    """Table size of a ``HashMap`` after ``n`` puts: 16, doubled whenever size exceeds 0.75 * capacity."""
    cap = 16
    while n > cap * 3 // 4:
        cap *= 2
    return cap


def hashset_capacity(n: int) -> int:
    """Table size of ``new HashSet<>(collection of n)``: next power of two >= max(n/.75 + 1, 16)."""
    want = max(int(n / 0.75) + 1, 16) if n else 16
    cap = 1
    while cap < want:
        cap *= 2
    return cap


def hashmap_order(keys: Sequence[str]) -> list[str]:
    """Iteration order of a ``HashMap`` into which ``keys`` were put in this order (distinct keys)."""
    return _order(keys, hashmap_capacity(len(keys)))


def hashset_order(keys: Sequence[str]) -> list[str]:
    """Iteration order of ``new HashSet<>(keys)`` (distinct keys, in the collection's order)."""
    return _order(keys, hashset_capacity(len(keys)))
