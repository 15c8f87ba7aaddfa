"""Cast keys: a resent cast gets its original receipt back, and nothing new is stored to make that work.

Rule. The ballot form carries a random 128-bit *cast key* (``cast_key``, or an ``Idempotency-Key``
header from a scripted client). When a cast comes with a key, the receipt secret is not drawn at cast
time but derived from it::

    r = HMAC-SHA256(SECRET_KEY-derived key, "consult/cast-secret/v1" | contest id | voter id | cast key)[:16]

so a resend of the same cast (same voter, contest, key and choices) derives the same ``r`` and therefore
the same receipt. The server recognises a resend by finding a ballot with that receipt in the contest
while the voter is in the poll book, and shows the original receipt page again; no second ballot is
written. Anything else from a voter who already voted (a different key, or the same key with other
choices, whose receipt is then not in the ballot box) is refused with "already voted". A cast without a
key draws ``r`` fresh, as before, and cannot be replayed.

Why derivation and not a stored replay record. Storing the receipt (or the response) against the
voter's poll-book row would link voter and ballot in the database until it is deleted; encrypting it
under the key would still leave a per-voter ciphertext whose length follows the ballot. Deriving ``r``
stores nothing at all: the database holds exactly what it held before (poll book without ballot link,
ballot box without voter link), and the key, like ``r`` itself, exists only in the voter's form and in
the request that carries it. What the design allows is unchanged: whoever holds ``r`` (here also: the
key together with the server's secret key) can tie that ballot to the voter, exactly as with a receipt
secret shown on screen. The key is bound to the voter id, so a key copied from another voter's form
gives a different ``r`` and can never return someone else's receipt.

Treat the key like ``r``: anyone holding it and the server's secret key can derive ``r`` and find the
ballot (its receipt, or ``sha256(r)`` on a changeable ballot). The server never stores or logs it; a
reverse proxy in front must not log request bodies or the ``Idempotency-Key`` header. Rotating
``SECRET_KEY`` during voting turns a later resend into "already voted" (never into a second ballot).

The key is drawn when the ballot form is rendered and kept through previews and refused casts of that
form (the form posts it back), so one ballot being filled in keeps one key; a fresh page load draws a
new one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from tally.audit.receipts import SECRET_BYTES

from ..errors import ServiceError

FIELD = "cast_key"
HEADER = "Idempotency-Key"
DOMAIN = b"consult/cast-secret/v1"
_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
BAD_KEY = "The ballot form is out of date (its cast key is malformed): reload the page and cast again."


def new_cast_key() -> str:
    """A fresh cast key for a ballot form: 128 random bits, URL-safe base64 (22 characters)."""
    return secrets.token_urlsafe(16)


def parse_cast_key(text: str | None) -> str | None:
    """``None`` for no key; the key when it is 16-128 characters of ``A-Z a-z 0-9 _ -``; else
    ``ServiceError`` (a hand-made or damaged form)."""
    if text is None or text == "":
        return None
    if not _KEY.fullmatch(text):
        raise ServiceError(BAD_KEY)
    return text


def derive_secret(server_key: str | bytes, contest: str, voter_id: int, cast_key: str) -> bytes:
    """The receipt secret ``r`` for this contest, voter and cast key (see module docstring)."""
    raw = server_key.encode("utf-8") if isinstance(server_key, str) else server_key
    subkey = hmac.new(raw, b"consult/cast-secret-key/v1", hashlib.sha256).digest()
    message = b"\x00".join(
        (DOMAIN, contest.encode("utf-8"), str(voter_id).encode("ascii"), cast_key.encode())
    )
    return hmac.new(subkey, message, hashlib.sha256).digest()[:SECRET_BYTES]
