"""Password hashing: exact verification, parameters, rehash, bounded work, new-password rules."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from medianest.security.passwords import PasswordService, PasswordServiceBusy

PASSWORD = "  correct horse — battery staple ✓ "


@pytest.fixture
def service() -> PasswordService:
    return PasswordService()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Holds each argon2 verify in its thread until `release` is set; `entered`: one started."""
    entered, release = threading.Event(), threading.Event()
    real_verify = PasswordHasher.verify

    def held_verify(self: PasswordHasher, stored_hash: str, password: str) -> bool:
        entered.set()
        release.wait()
        return real_verify(self, stored_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", held_verify)
    yield entered, release
    release.set()  # never leave a worker thread blocked, whatever the test did


async def test_hash_then_verify(service: PasswordService) -> None:
    stored = await service.hash(PASSWORD)

    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert await service.verify(stored, PASSWORD) is True


async def test_the_same_password_hashes_differently(service: PasswordService) -> None:
    assert await service.hash(PASSWORD) != await service.hash(PASSWORD)


@pytest.mark.parametrize(
    "attempt",
    [
        "wrong password entirely",
        PASSWORD.strip(),  # surrounding whitespace is part of the password
        PASSWORD.upper(),
        PASSWORD + " ",
        "",
    ],
)
async def test_other_passwords_are_false(service: PasswordService, attempt: str) -> None:
    stored = await service.hash(PASSWORD)

    assert await service.verify(stored, attempt) is False


async def test_unicode_is_verified_exactly_as_received(service: PasswordService) -> None:
    composed, decomposed = "caf\u00e9 au lait 1234", "cafe\u0301 au lait 1234"
    stored = await service.hash(composed)

    assert await service.verify(stored, composed) is True
    assert await service.verify(stored, decomposed) is False  # no normalisation


async def test_unknown_user_is_false_after_the_same_work(
    service: PasswordService, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    hashed: list[str] = []
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def counting_verify(self: PasswordHasher, stored_hash: str, password: str) -> bool:
        verified.append(stored_hash)
        return real_verify(self, stored_hash, password)

    def counting_hash(self: PasswordHasher, password: str, **kwargs: object) -> str:
        hashed.append(password)
        return real_hash(self, password, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)

    results = [await service.verify(None, PASSWORD) for _ in range(3)]

    assert results == [False, False, False]
    assert len(verified) == 3  # a real argon2 check each time...
    assert len(set(verified)) == 1  # ...against the one dummy hash
    assert verified[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert len(hashed) == 1  # the dummy hash is made once, on first use


async def test_unpaired_surrogates_are_false_not_an_error(service: PasswordService) -> None:
    stored = await service.hash(PASSWORD)

    assert await service.verify(stored, "pass\ud800word1234") is False
    assert await service.verify(None, "pass\ud800word1234") is False


@pytest.mark.parametrize(
    "stored_hash",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=19456,t=2,p=1$broken",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
    ],
)
async def test_a_malformed_stored_hash_is_false_and_logged_without_the_hash(
    service: PasswordService, caplog: pytest.LogCaptureFixture, stored_hash: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="medianest.security.passwords"):
        assert await service.verify(stored_hash, PASSWORD) is False

    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    logged = caplog.text
    assert "malformed" in logged
    assert not (stored_hash and stored_hash in logged)
    assert PASSWORD not in logged


async def test_stored_parameters_meet_the_floor(service: PasswordService) -> None:
    parameters = extract_parameters(await service.hash(PASSWORD))

    assert parameters.type is Type.ID
    assert parameters.time_cost >= 2
    assert parameters.memory_cost >= 19456
    assert parameters.parallelism >= 1
    assert parameters.salt_len >= 16


async def test_needs_rehash_only_for_weaker_hashes(service: PasswordService) -> None:
    current = await service.hash(PASSWORD)
    weaker_time = PasswordHasher(time_cost=1, memory_cost=19456, parallelism=1).hash(PASSWORD)
    weaker_memory = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1).hash(PASSWORD)
    argon2i = PasswordHasher(time_cost=2, memory_cost=19456, type=Type.I).hash(PASSWORD)
    stronger = PasswordHasher(time_cost=3, memory_cost=32768, parallelism=1).hash(PASSWORD)

    assert not service.needs_rehash(current)
    assert not service.needs_rehash(stronger)
    assert service.needs_rehash(weaker_time)
    assert service.needs_rehash(weaker_memory)
    assert service.needs_rehash(argon2i)
    assert service.needs_rehash("not a hash")
    assert await service.verify(weaker_time, PASSWORD)  # old hashes still verify until rehashed


async def test_raised_parameters_flag_existing_hashes(service: PasswordService) -> None:
    stored = await service.hash(PASSWORD)

    assert PasswordService(time_cost=3).needs_rehash(stored)


async def test_overload_is_refused_and_nothing_is_lost() -> None:
    service = PasswordService(max_concurrent=1, max_waiting=1)
    stored = await service.hash(PASSWORD)

    results = await asyncio.gather(
        *(service.verify(stored, PASSWORD) for _ in range(6)), return_exceptions=True
    )

    busy = [result for result in results if isinstance(result, PasswordServiceBusy)]
    verified = [result for result in results if result is True]
    assert (len(verified), len(busy)) == (2, 4)  # one running + one queued; the rest refused
    assert len(verified) + len(busy) == len(results)
    assert await service.verify(stored, PASSWORD) is True  # nothing left occupied afterwards


async def test_a_cancelled_check_keeps_its_slot_until_its_thread_ends(
    gate: tuple[threading.Event, threading.Event],
) -> None:
    entered, release = gate
    service = PasswordService(max_concurrent=1, max_waiting=1)
    stored = PasswordHasher().hash(PASSWORD)

    abandoned = asyncio.create_task(service.verify(stored, PASSWORD))
    await asyncio.to_thread(entered.wait)  # its argon2 thread is running (and held)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned

    queued = asyncio.create_task(service.verify(stored, PASSWORD))
    refused = asyncio.create_task(service.verify(stored, PASSWORD))
    await asyncio.sleep(0)

    try:
        assert refused.done()
        assert isinstance(refused.exception(), PasswordServiceBusy)
        assert not queued.done()
    finally:
        release.set()  # before the loop closes, or its executor would wait on the held thread
    assert await queued is True


async def test_hashing_leaves_the_event_loop_free(service: PasswordService) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())  # cannot run before the first await below
    stored = await service.hash(PASSWORD)
    ok = await service.verify(stored, PASSWORD)
    ticks_during_hashing = ticks
    stop.set()
    await ticking

    assert ok
    assert ticks_during_hashing >= 1


@pytest.mark.parametrize("limits", [{"max_concurrent": 0}, {"max_waiting": -1}])
def test_nonsense_limits_are_refused(limits: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="at least"):
        PasswordService(**limits)


# --- new-password rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "username", "expected"),
    [
        ("lamp stapler orbit", "alice", []),
        ("x" * 12, None, []),
        ("Ünïcødé ✓ pässwörd", None, []),
        ("            ", None, []),  # spaces count; no composition rules
        ("y" * 256, None, []),
        ("short", None, ["at least 12 characters"]),
        ("elevenchars", None, ["at least 12 characters"]),
        ("z" * 257, None, ["at most 256 characters"]),
        ("LongUserName", "longusername", ["user name"]),
        ("Password1234", None, ["most common"]),
        ("medianest123", "admin", ["most common"]),
        ("changeme", "changeme", ["at least 12 characters", "user name"]),
        ("surrogate \ud800 here", None, ["cannot be stored"]),
    ],
)
def test_validate_new_password(password: str, username: str | None, expected: list[str]) -> None:
    problems = PasswordService.validate_new_password(password, username=username)

    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem
        assert problem.endswith(".")
