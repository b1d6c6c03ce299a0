"""How many websockets one account, one address, and the sockets still waiting to say who they
are may hold open at once, in this process (`MEDIANEST_WS_MAX_PER_USER`, `_PER_ADDRESS`,
`_PENDING`).

A socket over a cap is accepted and closed at once with 4429 and a reason: a browser cannot read
the status of a refused handshake, but it can read a close code. Counts are per process: with
several workers each holds its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

CLOSE_TOO_MANY = 4429  # as HTTP 429: too many sockets; close one, or try again later


class TooManySockets(Exception):
    """A cap is reached; `reason` goes in the close frame."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Slots:
    """At most `limit` holders per key at once."""

    def __init__(self, limit: int, reason: str) -> None:
        self.limit = limit
        self.reason = reason
        self._held: Counter[str] = Counter()

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Take a place for the block's duration; TooManySockets when none is free."""
        if self._held[key] >= self.limit:
            raise TooManySockets(self.reason)
        self._held[key] += 1
        try:
            yield
        finally:
            self._held[key] -= 1
            if not self._held[key]:
                del self._held[key]


class SocketLimits:
    def __init__(self, *, per_user: int, per_address: int, pending: int) -> None:
        self.per_user = Slots(per_user, "Too many open sockets for this account")
        self.per_address = Slots(per_address, "Too many open sockets from this address")
        self.pending = Slots(pending, "Too many sockets waiting to sign in from this address")
