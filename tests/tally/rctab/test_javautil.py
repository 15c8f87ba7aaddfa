"""java.util.Random, String order and hash, HashMap/HashSet order: values Java itself gives."""

import pytest

from tally.rctab.javautil import (
    JavaRandom,
    floor_double_product,
    hashmap_capacity,
    hashmap_order,
    hashset_capacity,
    java_sorted,
    shuffle,
    string_hash,
)


def test_next_int_matches_java_for_seed_42():
    assert JavaRandom(42).next_int(10) == 0  # new Random(42).nextInt(10)


def test_next_int_matches_java_for_seed_0():
    assert JavaRandom(0).next_int(100) == 60  # new Random(0).nextInt(100)


@pytest.mark.parametrize(
    ("seed", "value"), [(0, 0.730967787376657), (42, 0.7275636800328681)], ids=["seed0", "seed42"]
)
def test_next_double_matches_java(seed, value):
    assert JavaRandom(seed).next_double() == value


def test_next_int_power_of_two_uses_high_bits():
    r1, r2 = JavaRandom(7), JavaRandom(7)
    assert r1.next_int(16) == (16 * r2.next(31)) >> 31


def test_next_is_signed_int32():
    values = [JavaRandom(s).next(32) for s in range(50)]
    assert any(v < 0 for v in values) and all(-(2**31) <= v < 2**31 for v in values)


def test_shuffle_is_fisher_yates_from_the_end():
    items = list("abcde")
    rnd, ref = JavaRandom(3), JavaRandom(3)
    shuffle(items, rnd)
    expected = list("abcde")
    for i in range(5, 1, -1):
        j = ref.next_int(i)
        expected[i - 1], expected[j] = expected[j], expected[i - 1]
    assert items == expected and sorted(items) == list("abcde")


def test_floor_double_product_rounds_the_product_like_a_double():
    m = (1 << 53) - 1  # the largest nextDouble: 1 - 2^-53
    assert floor_double_product(m, 3) == 2  # (1 - 2^-53) * 3 rounds to 3 - 2^-51 in double
    assert floor_double_product(m, 1) == 0
    assert floor_double_product(1 << 52, 5) == 2  # 0.5 * 5


def test_random_index_equals_float_formula():
    for seed in range(30):
        a, b = JavaRandom(seed), JavaRandom(seed)
        for k in (2, 3, 7, 10):
            assert a.random_index(k) == int(b.next_double() * k)


@pytest.mark.parametrize(
    ("text", "value"),
    [("hello", 99162322), ("", 0), ("Aa", 2112), ("BB", 2112)],
    ids=["hello", "empty", "Aa", "BB"],
)
def test_string_hash_matches_java(text, value):
    assert string_hash(text) == value


def test_string_hash_overflows_to_negative():
    assert string_hash("polygenelubricants") == -(2**31)


def test_java_order_is_utf16_code_units():
    assert java_sorted(["b", "B", "a", "Z"]) == ["B", "Z", "a", "b"]
    assert java_sorted(["\U0001f600", "\uffff"]) == ["\U0001f600", "\uffff"]  # surrogate D83D < FFFF


def test_hashmap_capacity_doubles_above_three_quarters():
    assert [hashmap_capacity(n) for n in (0, 12, 13, 24, 25)] == [16, 16, 32, 32, 64]


def test_hashset_capacity_from_collection_size():
    assert [hashset_capacity(n) for n in (1, 11, 12, 13)] == [16, 16, 32, 32]


def test_hashmap_order_is_by_bucket_then_insertion():
    # "Aa" and "BB" share a hash: insertion order decides between them
    assert hashmap_order(["BB", "Aa"]) == ["BB", "Aa"]
    assert hashmap_order(["Aa", "BB"]) == ["Aa", "BB"]
    assert hashmap_order(["b", "a", "c"]) == ["a", "b", "c"]  # hashes 98, 97, 99 -> buckets 2, 1, 3
