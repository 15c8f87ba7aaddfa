"""Flask's signed-cookie sessions, the same cookies, without rebuilding the signing machinery per request.

Flask builds a new ``URLSafeTimedSerializer`` for every request that reads or writes the session cookie,
and itsdangerous derives the HMAC key from the secret again for every signature checked or made. Both
depend only on the secret keys: here the serializer is kept per set of keys, and each derived key per
secret. The cookie, its signature, its expiry and the key rotation (``SECRET_KEY_FALLBACKS``) are Flask's.

A browser sends the same cookie with every request until the session changes, and each request checked
its signature and decoded it again. A cookie whose signature was checked is kept (per set of keys, at
most :attr:`SessionInterface.opened_cache_size` per process) with its signing time and contents, when
those are plain values (text, numbers, booleans, None): the same cookie is then read from there, its age
checked against ``PERMANENT_SESSION_LIFETIME`` exactly as itsdangerous checks it. Any other cookie
(changed by a byte, signed with other keys, never seen) is checked in full.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

_PLAIN = frozenset({str, int, float, bool, type(None)})


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
    opened_cache_size = 4096

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}
        # per set of keys: cookie -> (signing time, contents) of cookies whose signature was checked
        self._opened: dict[tuple[Any, ...], dict[str, tuple[int, dict[str, Any]]]] = {}

    @staticmethod
    def _keys(app: Flask) -> tuple[Any, ...]:
        return (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = self._keys(app)
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

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's ``open_session``; a cookie already checked with these keys is read from memory."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        opened = self._opened.get(self._keys(app))
        if opened is None:
            opened = self._opened.setdefault(self._keys(app), {})
        seen = opened.get(val)
        if seen is not None:
            age = int(time.time()) - seen[0]  # itsdangerous: expired when age > max_age or age < 0
            if 0 <= age <= max_age:
                return self.session_class(seen[1])
        try:
            data, signed_at = serializer.loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if type(data) is dict and all(type(value) in _PLAIN for value in data.values()):
            if len(opened) >= self.opened_cache_size:
                opened.clear()
            opened[val] = (int(signed_at.timestamp()), data)
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's ``save_session``; an answer that neither sets nor deletes the cookie (most of them) only
        gets ``Vary: Cookie`` when the session was read, without the cookie's settings looked up."""
        if session.accessed:
            if "Vary" in response.headers:
                response.vary.add("Cookie")
            else:
                response.headers["Vary"] = "Cookie"
        if (session or session.modified) and (not session or self.should_set_cookie(app, session)):
            super().save_session(app, session, response)
