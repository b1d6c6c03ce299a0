"""The password sign-in throttle: counted before the hash, and device cookies.

Every attempt spends one unit of its limits *before* the slow password check, so a burst of
concurrent guesses cannot all slip under a limit that has not counted them yet; an attempt that
succeeds (or never got checked) gives its unit back, so only failures stay counted.

Which limits an attempt spends depends on the browser (OWASP, "Slow down online guessing
attacks with device cookies"):

- A browser that signed in to this account before holds a device cookie, signed for that
  account: it spends only its own per-device limit, so somebody else's burst against the
  account cannot lock its owner out.
- Any other browser spends the account's and its address's limits, shared with every other
  unknown browser: a burst locks out the unknown browsers only.

See docs/decisions/0015-sign-in-throttle.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from medianest.errors import RateLimited, ServiceUnavailable
from medianest.ratelimit import LimiterUnavailable, RateLimiter

# Failed sign-ins allowed in the window: per account and per address (SPEC §4), per device.
ACCOUNT_LIMIT, ADDRESS_LIMIT, DEVICE_LIMIT = 10, 30, 10
WINDOW = 15 * 60
DEVICE_COOKIE = "medianest_device"
DEVICE_LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: the limiter keys it spent, and whether a device cookie vouched."""

    keys: tuple[str, ...]
    trusted: bool


class SignInThrottle:
    def __init__(self, limiter: RateLimiter, key: bytes) -> None:
        self._limiter = limiter
        self._key = key

    # ---- device cookies: "<nonce>.<HMAC(account, nonce)>" -------------------------------------

    def device_cookie(self, username: str) -> str:
        """A new device cookie for a browser that just signed in to `username`."""
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._signature(username, nonce)}"

    def device_of(self, cookie: str | None, username: str) -> str | None:
        """The cookie's device id when it was issued for this account, else None."""
        nonce, _, signature = (cookie or "").partition(".")
        if not nonce or not hmac.compare_digest(signature, self._signature(username, nonce)):
            return None
        return nonce

    def _signature(self, username: str, nonce: str) -> str:
        message = f"{username.casefold()}|{nonce}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    # ---- counting -----------------------------------------------------------------------------

    async def admit(self, username: str, address: str, device_cookie: str | None) -> Attempt:
        """Spend this attempt's units, or refuse it (429; 503 when the limiter is down: sign-in
        fails closed)."""
        device = self.device_of(device_cookie, username)
        if device is not None:
            limits = [(f"signin:device:{device}", DEVICE_LIMIT)]
        else:
            limits = [
                (f"signin:address:{address}", ADDRESS_LIMIT),
                (f"signin:account:{username.casefold()}", ACCOUNT_LIMIT),
            ]
        spent: list[str] = []
        try:
            for key, limit in limits:
                decision = await self._limiter.hit(key, limit=limit, window=WINDOW)
                if not decision.allowed:
                    await self._give_back(spent)
                    raise RateLimited(
                        limit=decision.limit,
                        window=decision.window,
                        retry_after=decision.retry_after,
                        message="Too many failed sign-ins; wait before trying again",
                    )
                spent.append(key)
        except LimiterUnavailable:
            raise ServiceUnavailable(
                "rate_limiter", "Sign-in is unavailable right now; try again shortly"
            ) from None
        return Attempt(tuple(spent), trusted=device is not None)

    async def settle(self, attempt: Attempt) -> None:
        """The attempt succeeded, or its password was never checked: it counts for nothing."""
        await self._give_back(attempt.keys)

    async def _give_back(self, keys: list[str] | tuple[str, ...]) -> None:
        try:
            for key in keys:
                await self._limiter.refund(key)
        except LimiterUnavailable:
            pass  # the unit expires with its window
