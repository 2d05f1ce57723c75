"""Kling's auth: a short-lived HS256 JWT signed with the account's secret key, cached per adapter.

Payload {"iss": access key, "exp": now + 1800, "nbf": now - 5}, header {"alg": "HS256",
"typ": "JWT"}, sent as `Authorization: Bearer <token>` (providers.md §1). The keys live only in
this object: its repr hides them and nothing here logs.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable

import jwt

TOKEN_LIFETIME_S = 1800
"""Kling tokens are valid for 30 minutes."""
NOT_BEFORE_SLACK_S = 5
"""nbf is set this far in the past so a server clock a little behind ours still accepts it."""
REFRESH_MARGIN_S = 300
"""A cached token is replaced this long before it expires, so no request carries a dying one."""


class KlingToken:
    """Signs and caches the bearer token; `invalidate` forces a fresh one (after a 100x code)."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._clock = clock
        self._token = ""
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "KlingToken(<hidden>)"

    def header(self) -> str:
        """The Authorization header value; signs a new token when the cached one nears expiry."""
        with self._lock:
            now = self._clock()
            if not self._token or now >= self._expires_at - REFRESH_MARGIN_S:
                self._token = self._sign(now)
                self._expires_at = now + TOKEN_LIFETIME_S
            return f"Bearer {self._token}"

    def invalidate(self) -> None:
        """Drop the cached token; the next `header` signs a new one."""
        with self._lock:
            self._token = ""
            self._expires_at = 0.0

    def _sign(self, now: float) -> str:
        payload = {
            "iss": self._access_key,
            "exp": int(now) + TOKEN_LIFETIME_S,
            "nbf": int(now) - NOT_BEFORE_SLACK_S,
        }
        with warnings.catch_warnings():
            # Kling issues the secret; PyJWT's advice on its length is noise to the person
            # running the director (and its warning prints a source line to stderr).
            warnings.simplefilter("ignore")
            return jwt.encode(
                payload, self._secret_key, algorithm="HS256", headers={"typ": "JWT"}
            )
