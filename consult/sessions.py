"""Flask's signed-cookie sessions, the same cookies, without rebuilding the signing machinery per request.

Flask builds a new ``URLSafeTimedSerializer`` for every request that reads or writes the session cookie,
and itsdangerous derives the HMAC key from the secret again for every signature checked or made. Both
depend only on the secret keys: here the serializer is kept per set of keys, and each derived key per
secret. The cookie, its signature, its expiry and the key rotation (``SECRET_KEY_FALLBACKS``) are Flask's.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer


class _KeyCachingSigner(TimestampSigner):
    """itsdangerous' signer with each derived key computed once per (secret, salt, derivation, digest)."""

    _derived: dict[tuple[Any, ...], bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else secret_key
        cache_key = (secret, self.salt, self.key_derivation, self.digest_method)
        derived = self._derived.get(cache_key)
        if derived is None:
            derived = self._derived[cache_key] = super().derive_key(secret_key)
        return derived


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = URLSafeTimedSerializer(
                list(keys),  # itsdangerous expects the current key last
                salt=self.salt,
                serializer=self.serializer,
                signer=_KeyCachingSigner,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
        return serializer
