import hashlib
import struct

import pytest

from tally import TallyError
from tally.audit import change_key, check_change_key, check_receipt, compute_receipt, draw_secret
from tally.audit.receipts import read_receipts, write_receipts

SECRET = bytes(range(16))


def test_receipt_is_recomputable_from_the_documented_bytes():
    def field(b):
        return struct.pack(">I", len(b)) + b

    pre = field(b"tally/receipt/v1") + field(b"contest-7") + field(b'["b","a"]') + field(SECRET)
    assert compute_receipt("contest-7", ["b", "a"], SECRET) == hashlib.sha256(pre).hexdigest()


def test_receipt_accepts_the_secret_as_hex_the_voter_was_shown():
    hex_secret = SECRET.hex().upper()
    spaced = " ".join(hex_secret[i : i + 4] for i in range(0, 32, 4))
    assert compute_receipt("c", {"x": 2}, spaced) == compute_receipt("c", {"x": 2}, SECRET)


@pytest.mark.parametrize(
    ("contest", "ballot", "secret"),
    [
        pytest.param("other", ["b", "a"], SECRET, id="contest"),
        pytest.param("c", ["a", "b"], SECRET, id="ballot"),
        pytest.param("c", ["b", "a"], bytes(16), id="secret"),
    ],
)
def test_receipt_check_fails_when_any_input_differs(contest, ballot, secret):
    receipt = compute_receipt("c", ["b", "a"], SECRET)
    assert check_receipt(receipt, "c", ["b", "a"], SECRET)
    assert not check_receipt(receipt, contest, ballot, secret)


def test_length_prefixes_keep_fields_apart():
    # without length prefixes these two would hash the same concatenation
    assert compute_receipt("ab", [], SECRET) != compute_receipt("a", [], SECRET)


def test_secrets_are_128_bit_and_fresh():
    a, b = draw_secret(), draw_secret()
    assert len(a) == 16 and a != b


def test_change_key_is_sha256_of_the_secret():
    assert change_key(SECRET) == hashlib.sha256(SECRET).hexdigest()
    assert check_change_key(change_key(SECRET), SECRET.hex())
    assert not check_change_key(change_key(SECRET), bytes(16))


@pytest.mark.parametrize("bad", ["", "12", "zz" * 16, "00" * 17], ids=["empty", "short", "not-hex", "long"])
def test_bad_secret_is_a_clear_error(bad):
    with pytest.raises(TallyError, match="32 hexadecimal digits"):
        compute_receipt("c", [], bad)


def test_receipt_list_is_sorted_and_strict():
    rs = [compute_receipt("c", [str(i)], SECRET) for i in range(5)]
    raw = write_receipts(rs)
    assert read_receipts(raw) == sorted(rs)
    with pytest.raises(TallyError, match="out of order"):
        read_receipts(b"".join(r.encode() + b"\n" for r in sorted(rs, reverse=True)))
    with pytest.raises(TallyError, match="appears twice"):
        write_receipts([rs[0], rs[0]])
