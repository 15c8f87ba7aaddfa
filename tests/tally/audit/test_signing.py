import os
import stat

import pytest

from tally import TallyError
from tally.audit import signing


def test_sign_and_verify_round_trip():
    key = signing.generate_key()
    sig = signing.sign(key, b"manifest")
    pub = signing.load_public_key(signing.public_key_pem(key))
    assert signing.verify(pub, b"manifest", sig)
    assert not signing.verify(pub, b"manifest!", sig)
    assert not signing.verify(signing.generate_key().public_key(), b"manifest", sig)


def test_private_key_file_is_created_0600_and_reloads(tmp_path):
    path = tmp_path / "keys" / "instance.pem"
    key = signing.load_or_create_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = signing.load_or_create_key(path)
    assert signing.fingerprint(key) == signing.fingerprint(again)


def test_loose_key_file_permissions_are_refused(tmp_path):
    path = tmp_path / "k.pem"
    signing.save_private_key(signing.generate_key(), path)
    os.chmod(path, 0o644)
    with pytest.raises(TallyError, match="must be 0600"):
        signing.load_private_key(path)


def test_existing_key_is_never_overwritten(tmp_path):
    path = tmp_path / "k.pem"
    signing.save_private_key(signing.generate_key(), path)
    with pytest.raises(TallyError, match="refusing to overwrite"):
        signing.save_private_key(signing.generate_key(), path)


def test_signature_encoding_round_trips_and_rejects_garbage():
    sig = signing.sign(signing.generate_key(), b"m")
    assert signing.decode_signature(signing.encode_signature(sig)) == sig
    with pytest.raises(TallyError, match="not base64"):
        signing.decode_signature(b"@@@@")
    with pytest.raises(TallyError, match="64 bytes"):
        signing.decode_signature(b"AAAA\n")


def test_non_key_pem_is_a_clear_error():
    with pytest.raises(TallyError, match="not a PEM public key"):
        signing.load_public_key(b"hello")
