"""What every process does before it starts: wait for its backends, then migrate and do the
first-start work under one lock, so that any number of `serve` and `worker` processes may start
at the same instant (see docs/decisions/0014-production-starts.md).

- `wait_for_backends`: the database and Redis, with backoff and one log line per attempt, up to
  `MEDIANEST_START_TIMEOUT` seconds; then `StartupError` with one line saying what is missing.
- `start_lock`: a PostgreSQL session-level advisory lock (held on a connection of its own), or
  an exclusive `flock` on `<database file>.lock` for SQLite. Re-entrant within one task, so the
  core can hold it around the migrations (which take it themselves) and its first-start work.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import os
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from quart import has_request_context, has_websocket_context

if TYPE_CHECKING:
    from quart import Quart

log = logging.getLogger("medianest.startup")

# Any fixed 64-bit number: the advisory lock is per database, and only MediaNest takes this one.
ADVISORY_LOCK_KEY = 0x6D656469616E6573  # "medianes"
FIRST_DELAY = 0.5  # seconds before the second attempt; doubles up to MAX_DELAY
MAX_DELAY = 5.0
CONNECT_TIMEOUT = 5.0  # one attempt never hangs longer than this
LOCK_POLL = 0.05  # seconds between tries of a SQLite lock file held by another process

_held: ContextVar[frozenset[str]] = ContextVar("medianest_start_locks", default=frozenset())


class StartupError(Exception):
    """A start that cannot go on; the message is one line an operator can act on."""


# ---- waiting for the backends ---------------------------------------------------------------


async def wait_for_backends(database_url: str, redis_url: str | None, timeout: float) -> None:
    """Return once the database (and Redis, when set) answer; `StartupError` after `timeout` s."""
    await _wait_for(_describe_database(database_url), lambda: _ping_database(database_url), timeout)
    if redis_url:
        await _wait_for(_describe_redis(redis_url), lambda: _ping_redis(redis_url), timeout)


async def _wait_for(what: str, attempt: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay, tries = FIRST_DELAY, 0
    while True:
        tries += 1
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await attempt()
        except _Fatal as exc:
            raise StartupError(f"{what}: {exc}") from None
        except Exception as exc:
            reason = _reason(exc)
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f" after {timeout:g} s ({tries} attempts)" if tries > 1 else ""
                raise StartupError(
                    f"{what} is not reachable{waited}: {reason}; check its URL"
                    + (", or wait longer with MEDIANEST_START_TIMEOUT" if waited else "")
                ) from None
            pause = min(delay, left)
            log.warning(
                "waiting for %s (attempt %d: %s); next try in %.1f s", what, tries, reason, pause
            )
            await asyncio.sleep(pause)
            delay = min(delay * 2, MAX_DELAY)
        else:
            if tries > 1:
                log.info("%s answers (after %d attempts)", what, tries)
            return


class _Fatal(Exception):
    """Waiting would not help (wrong password, unknown role): fail at once."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def expand_db_url(url: str) -> dict[str, Any]:
    from tortoise.backends.base.config_generator import expand_db_url as expand

    return expand(url)


def _describe_database(url: str) -> str:
    config = expand_db_url(url)
    credentials = config["credentials"]
    if "sqlite" in config["engine"]:
        return f"the SQLite database {credentials['file_path']}"
    host, port, name = (credentials.get(key) for key in ("host", "port", "database"))
    return f"PostgreSQL at {host}:{port}/{name}"


def _describe_redis(url: str) -> str:
    from redis.asyncio.connection import parse_url

    options = parse_url(url)
    where = options.get("path") or f"{options.get('host', 'localhost')}:{options.get('port', 6379)}"
    return f"Redis at {where}"


async def _ping_database(url: str) -> None:
    config = expand_db_url(url)
    if "sqlite" in config["engine"]:
        return  # a file: nothing to wait for (the ORM creates it)
    import asyncpg

    try:
        connection = await asyncpg.connect(**_asyncpg_arguments(config["credentials"]))
    except (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidPasswordError) as exc:
        raise _Fatal(_reason(exc)) from None
    await connection.close()


async def _ping_redis(url: str) -> None:
    from redis.asyncio import Redis
    from redis.exceptions import AuthenticationError

    client = Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT)
    try:
        await client.ping()
    except AuthenticationError as exc:
        raise _Fatal(_reason(exc)) from None
    finally:
        await client.aclose()


def _asyncpg_arguments(credentials: Mapping[str, Any]) -> dict[str, Any]:
    """The connection arguments asyncpg takes (tortoise's URL may carry pool options too)."""
    wanted = ("host", "port", "user", "password", "database", "ssl")
    return {name: credentials[name] for name in wanted if credentials.get(name) is not None}


# ---- one process at a time through migrations and first-start work --------------------------


@contextlib.asynccontextmanager
async def start_lock(database: str | Mapping[str, Any]) -> AsyncIterator[None]:
    """Hold the database's start lock (re-entrant within this task and the tasks it starts).
    `database`: its URL, or the ORM's connection configuration for it."""
    config = expand_db_url(database) if isinstance(database, str) else database
    key = _lock_identity(config)
    held = _held.get()
    if key is None or key in held:
        yield
        return
    locked = _sqlite_lock if "sqlite" in config["engine"] else _advisory_lock
    async with locked(config["credentials"]):
        token = _held.set(held | {key})
        try:
            yield
        finally:
            _held.reset(token)


def _lock_identity(config: Mapping[str, Any]) -> str | None:
    credentials = config["credentials"]
    if "sqlite" in config["engine"]:
        path = credentials["file_path"]
        return None if path == ":memory:" else f"sqlite:{Path(path).resolve()}"
    return f"pg:{credentials.get('host')}:{credentials.get('port')}/{credentials.get('database')}"


@contextlib.asynccontextmanager
async def _advisory_lock(credentials: Mapping[str, Any]) -> AsyncIterator[None]:
    """A session-level advisory lock: released by the server itself if this process dies."""
    import asyncpg

    connection = await asyncpg.connect(**_asyncpg_arguments(credentials))
    try:
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY):
            log.info("another MediaNest process is starting on this database; waiting for it")
            await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # closing the connection releases it anyway
                await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _sqlite_lock(credentials: Mapping[str, Any]) -> AsyncIterator[None]:
    """An exclusive `flock` on a file beside the database: released by the kernel if we die."""
    import fcntl

    path = Path(f"{credentials['file_path']}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        waited = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info(
                        "another MediaNest process is starting on %s; waiting for it", path.parent
                    )
                    waited = True
                await asyncio.sleep(LOCK_POLL)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


ExcInfo = tuple[type, BaseException, TracebackType] | tuple[None, None, None]


def quiet_start_failures(app: Quart) -> None:
    """Quart logs a failed start with its whole traceback; the command that started it says
    what failed in one line instead, and the traceback goes to the DEBUG log (`--debug`)."""
    log_exception = app.log_exception

    def log_briefly(exc_info: ExcInfo) -> None:
        if has_request_context() or has_websocket_context():
            log_exception(exc_info)
        else:
            log.debug("the start failed", exc_info=exc_info)

    # This instance's hook replaced: mypy compares it with the method, `self` included.
    app.log_exception = log_briefly  # type: ignore[method-assign, assignment]


# ---- settings that are not settings ----------------------------------------------------------

# `MEDIANEST_*` variables that are not settings of a running MediaNest (tests, CI, benches).
NOT_SETTINGS = (
    "MEDIANEST_TEST_",
    "MEDIANEST_REQUIRE_SERVICES",
    "MEDIANEST_ARTIFACTS",
    "MEDIANEST_CHROMIUM",
    "MEDIANEST_BENCH_",
)


def misspelt_settings(names: Iterable[str], known: Iterable[str]) -> list[tuple[str, str]]:
    """(given, closest real setting) for each `MEDIANEST_*` name close to, but not, a setting."""
    known = sorted(set(known))
    found = []
    for name in sorted(set(names)):
        if not name.startswith("MEDIANEST_") or name in known or name.startswith(NOT_SETTINGS):
            continue
        closest = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if closest:
            found.append((name, closest[0]))
    return found


def warn_misspelt_settings(
    environ: Mapping[str, str] | None = None, env_file: str = ".env"
) -> None:
    """Log one warning per `MEDIANEST_*` variable (environment or `.env`) that looks misspelt."""
    from dotenv import dotenv_values

    from medianest.settings import ENV_PREFIX, Settings

    given = set(os.environ if environ is None else environ)
    if Path(env_file).is_file():
        given |= {name for name in dotenv_values(env_file) if name}
    known = [f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields]
    for name, closest in misspelt_settings(given, known):
        log.warning("%s is not a MediaNest setting and is ignored; did you mean %s?", name, closest)
