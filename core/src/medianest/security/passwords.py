"""Password hashing with argon2id, bounded so that a login flood cannot starve the portal.

One hash costs about 30 ms of CPU at the ASVS floor (t=2, m=19 MiB, p=1); on a 2-core box that is
the cheapest way to take the app down. So hashes run in worker threads (the event loop keeps
serving), at most `max_concurrent` at a time, and callers beyond a short queue are refused at once
with `PasswordServiceBusy` (the route answers 429/503). See docs/decisions/0005-password-hashing.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import ARGON2_VERSION

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIN_LENGTH = 12
MAX_LENGTH = 256
# The most common passwords that the length rule lets through (compared case-insensitively).
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "password12345",
        "password123!",
        "passwordpassword",
        "123456789012",
        "1234567890123",
        "000000000000",
        "111111111111",
        "abcdefghijkl",
        "abc123456789",
        "qwertyuiopas",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "administrator",
        "admin1234567",
        "changeme1234",
        "medianest123",
        "medianest1234",
    }
)


class PasswordServiceBusy(Exception):
    """Too many password checks are running or queued; the caller should retry shortly."""


class PasswordService:
    """Hashes and verifies passwords off the event loop, with bounded concurrency and queue."""

    def __init__(
        self,
        *,
        max_concurrent: int = 2,
        max_waiting: int = 32,
        time_cost: int = 2,
        memory_cost: int = 19456,
        parallelism: int = 1,
    ) -> None:
        if max_concurrent < 1 or max_waiting < 0:
            raise ValueError("max_concurrent must be at least 1 and max_waiting at least 0")
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
        )
        self._slots = asyncio.Semaphore(max_concurrent)
        self._max_waiting = max_waiting
        self._waiting = 0
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    async def hash(self, password: str) -> str:
        """An argon2id hash of the password exactly as given."""
        return await self._run(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True only for the right password; None (no such user) costs the same and is False."""
        if stored_hash is None:
            await self._run(self._verify_against_dummy, password)
            return False
        return await self._run(self._verify, stored_hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash is weaker than the current parameters (rehash at the next sign-in)."""
        try:
            stored = extract_parameters(stored_hash)
        except InvalidHashError:
            return True
        current = self._hasher
        return (
            stored.type is not Type.ID
            or stored.version < ARGON2_VERSION
            or stored.time_cost < current.time_cost
            or stored.memory_cost < current.memory_cost
            or stored.parallelism < current.parallelism
        )

    @staticmethod
    def validate_new_password(password: str, *, username: str | None = None) -> list[str]:
        """What is wrong with a new password, as sentences for the user; empty when it is fine.

        Length, the user name and common passwords only: composition rules make passwords
        worse, not stronger (ASVS 6.2.x).
        """
        problems = []
        if len(password) < MIN_LENGTH:
            problems.append(f"The password must be at least {MIN_LENGTH} characters long.")
        if len(password) > MAX_LENGTH:
            problems.append(f"The password must be at most {MAX_LENGTH} characters long.")
        if username and password.casefold() == username.casefold():
            problems.append("The password must not be the user name.")
        if password.casefold() in COMMON_PASSWORDS:
            problems.append("This password is one of the most common ones; choose another.")
        if not _is_storable(password):
            problems.append("The password contains characters that cannot be stored.")
        return problems

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        if self._slots.locked() and self._waiting >= self._max_waiting:
            raise PasswordServiceBusy("too many password checks at once; try again shortly")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        job = asyncio.ensure_future(asyncio.to_thread(work, *args))
        # The slot is freed when the thread ends, not when the caller gives up: requests whose
        # clients disconnect are cancelled, and must not let more hashes run than there are slots.
        job.add_done_callback(self._release)
        return await asyncio.shield(job)

    def _release(self, job: asyncio.Future[Any]) -> None:
        self._slots.release()
        if not job.cancelled():
            job.exception()  # retrieved here, so an abandoned job's error is not reported as lost

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError):
            logger.warning("a stored password hash is malformed or unsupported; sign-in refused")
            return False
        except UnicodeEncodeError:  # unpaired surrogates: no stored password can contain them
            return False

    def _verify_against_dummy(self, password: str) -> None:
        # The same work as checking a real user's password, so timing does not reveal who exists.
        with contextlib.suppress(VerificationError, UnicodeEncodeError):
            self._hasher.verify(self._dummy(), password)

    def _dummy(self) -> str:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))
            return self._dummy_hash


def _is_storable(password: str) -> bool:
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
