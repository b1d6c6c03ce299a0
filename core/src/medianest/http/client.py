"""The one outbound HTTP client plugins use to reach Plex, Overseerr, Uptime Kuma and the like.

- One shared httpx pool with explicit timeouts, plus a deadline per attempt: httpx's read timeout
  restarts on every byte, so an upstream that trickles a body would otherwise never time out.
- Service URLs are admin-entered and may point anywhere on the LAN, so: http/https only, redirects
  followed once and only on the same host, and response bodies capped (decoded size).
- Retries with jittered exponential backoff, for transient failures of idempotent calls only.
- One purgatory circuit breaker per service, kept in Redis when configured so every app instance
  sees the same state, and in memory whenever Redis is unreachable.
- Errors and logs name the service, the reason, the status and scheme://host:port/path, never a
  body, a header value or a query string: API keys and Plex tokens travel in those.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from medianest.lazy import hidden_modules

# purgatory imports redis when it is imported, for a type alias only (its Redis repository
# imports redis again when one is built): with redis hidden, the embedded default, which never
# builds one, does not carry redis (~17 MB). Redis errors are named only where Redis is in use.
with hidden_modules("redis"):
    from purgatory import (
        AsyncAbstractUnitOfWork,
        AsyncCircuitBreakerFactory,
        AsyncInMemoryUnitOfWork,
        AsyncRedisUnitOfWork,
    )
    from purgatory.domain.model import Context, OpenedState

if TYPE_CHECKING:  # purgatory's concrete classes live in private modules: typing only
    from purgatory.service._async.circuitbreaker import AsyncCircuitBreaker
    from purgatory.service._async.repository import AsyncInMemoryRepository, AsyncRedisRepository

log = logging.getLogger("medianest.http")

DownReason = Literal["timeout", "connect", "http_5xx", "circuit_open", "too_large", "redirect"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
MAX_RETRY_AFTER = 5.0  # seconds; asked to wait longer, the call fails now instead of stalling
REDIS_SOCKET_TIMEOUT = 1.0  # seconds; breaker bookkeeping sits on every call's path
_SCHEMES = {"http": 80, "https": 443}
_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class CallWatch:
    """What the calls made inside `watching_calls()` did: `interrupted` counts those whose
    caller gave up (was cancelled) while the service still kept it waiting."""

    def __init__(self) -> None:
        self.interrupted = 0


_WATCH: ContextVar[CallWatch | None] = ContextVar("medianest_call_watch", default=None)


@contextlib.contextmanager
def watching_calls() -> Iterator[CallWatch]:
    """Watch the service calls made in this block (and in tasks it starts). A check that timed
    out with no call interrupted was waiting on its own code, not on a service."""
    watch = CallWatch()
    token = _WATCH.set(watch)
    try:
        yield watch
    finally:
        _WATCH.reset(token)


class ServiceError(Exception):
    """Base of every failure reaching an external service. Messages never carry secrets."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(message)
        self.service = service


class ServiceDown(ServiceError):
    """The service is unreachable, too slow, failing (5xx), circuit-broken or misbehaving."""

    def __init__(
        self, service: str, reason: DownReason, detail: str = "", status_code: int | None = None
    ) -> None:
        message = f"{service} unavailable ({reason})" + (f": {detail}" if detail else "")
        super().__init__(service, message)
        self.reason = reason
        self.status_code = status_code


class ServiceAuthFailed(ServiceError):
    """The service refused our credentials (401/403): the API key or token is wrong."""

    def __init__(self, service: str, status_code: int, where: str) -> None:
        super().__init__(service, f"{service} refused the credentials ({status_code}): {where}")
        self.status_code = status_code


class ServiceResponseError(ServiceError):
    """Any other answer we cannot use: a 4xx, or a body that is not the JSON we asked for."""

    def __init__(self, service: str, status_code: int, where: str, problem: str = "") -> None:
        super().__init__(service, f"{service} answered {status_code}{problem}: {where}")
        self.status_code = status_code


@dataclass(frozen=True)
class JsonReply:
    """A service's JSON answer (`ServiceClient.request_json`): the body, decoded once, and the
    response it came in, for its status and headers."""

    body: Any
    response: httpx.Response


@dataclass(frozen=True)
class BreakerState:
    service: str
    state: str  # "closed" | "opened" | "half-opened"
    failure_count: int | None
    opened_at: float | None


class _AttemptFailed(Exception):
    """One attempt went wrong; `public` is what the caller sees when no retry is left.

    Raised inside the breaker: `counts` says whether the breaker records it as a failure.
    """

    def __init__(
        self,
        public: ServiceError,
        *,
        counts: bool,
        retryable: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(str(public))
        self.public = public
        self.counts = counts
        self.retryable = retryable
        self.retry_after = retry_after


def _is_outage(exc: BaseException) -> bool:
    return isinstance(exc, _AttemptFailed) and exc.counts


# purgatory counts every exception that is not excluded; only outages should count. An excluded
# one ends the call like a success (the service answered), which is right for a 404 or a 429.
_EXCLUDE_ALL_BUT_OUTAGES: list[Any] = [(Exception, lambda exc: not _is_outage(exc))]


class ServiceClient:
    """Shared outbound HTTP for every plugin. `await start()` before use, `await close()` after."""

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        redis_prefix: str = "",
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.2,
        breaker_threshold: int = 5,
        breaker_ttl: float = 30.0,
        max_response_bytes: int = 5_000_000,
        max_connections: int = 50,
        user_agent: str = "MediaNest",
        redis_recheck_interval: float = 15.0,
    ) -> None:
        limits = (connect_timeout, read_timeout, breaker_ttl, max_response_bytes, max_connections)
        if min(limits) <= 0:
            raise ValueError("timeouts, breaker_ttl and the size and connection limits must be > 0")
        if retries < 0 or backoff < 0 or breaker_threshold < 1:
            raise ValueError("retries and backoff must be >= 0 and breaker_threshold >= 1")
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._retries = retries
        self._backoff = backoff
        self._max_bytes = max_response_bytes
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._user_agent = user_agent
        self._breakers = _BreakerBoard(
            threshold=breaker_threshold,
            ttl=breaker_ttl,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            recheck_interval=redis_recheck_interval,
        )
        self._http: httpx.AsyncClient | None = None
        self._running = False

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        _quiet_library_request_logs()
        await self._breakers.start()

    async def close(self) -> None:
        self._running = False
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await self._breakers.close()

    async def __aenter__(self) -> ServiceClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def request(
        self,
        service: str,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        expect_json: bool = False,
    ) -> httpx.Response:
        """Send one call to `service`; return its fully read response (any status below 400).

        `timeout` replaces the read timeout for this call. `retries` defaults to the client's
        for idempotent methods and to none for others. `expect_json` asks for JSON and refuses
        a body that is not. Raises ServiceDown, ServiceAuthFailed or ServiceResponseError, and
        ValueError for a URL that is not absolute http(s).
        """
        headers = _accepting_json(headers) if expect_json else headers
        response = await self._call(
            service,
            method,
            url,
            params=params,
            headers=headers,
            json=json,
            content=content,
            timeout=timeout,
            retries=retries,
        )
        if expect_json:
            _decoded_json(service, response)
        return response

    async def request_json(self, service: str, method: str, url: str, **kw: Any) -> JsonReply:
        """`request` for a JSON API (same keywords): asks for JSON, refuses a body that is not,
        and decodes it once (`expect_json` checks it, and `response.json()` decodes it again)."""
        kw.pop("expect_json", None)
        kw["headers"] = _accepting_json(kw.get("headers"))
        response = await self._call(service, method, url, **kw)
        return JsonReply(_decoded_json(service, response), response)

    async def get_json(self, service: str, url: str, **kw: Any) -> Any:
        """GET `url` and return its decoded JSON body (same keywords as `request`)."""
        return (await self.request_json(service, "GET", url, **kw)).body

    async def breaker(self, service: str) -> BreakerState:
        return await self._breakers.state(service)

    async def breakers(self) -> list[BreakerState]:
        return await self._breakers.states()

    def reset_breaker(self, service: str) -> Awaitable[None]:
        """Forget the breaker's state (closed, no failures), e.g. after the admin fixed a URL."""
        return self._breakers.reset(service)

    async def _call(self, service: str, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return await self._call_with_retries(service, method, url, **options)
        except asyncio.CancelledError:
            if (watch := _WATCH.get()) is not None:
                watch.interrupted += 1  # the caller gave up while the service kept it waiting
            raise

    async def _call_with_retries(
        self,
        service: str,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> httpx.Response:
        http = self._started()
        target = _checked_url(url)
        method = method.upper()
        where = f"{method} {_redacted(target)}"
        attempts = 1 + self._retry_budget(method, retries)
        read_timeout = timeout if timeout is not None else self._read_timeout
        attempt = 1
        while True:
            request = http.build_request(
                method,
                target,
                params=params,
                headers=headers,
                json=json,
                content=content,
                timeout=self._timeout(read_timeout),
            )
            try:
                response = await self._attempt(service, request, where, read_timeout)
            except _AttemptFailed as failure:
                delay = self._retry_delay(failure, attempt) if attempt < attempts else None
                if delay is None:
                    log.debug("%s", failure.public)
                    raise failure.public from None
                log.debug("%s; retry %d/%d in %.2fs", failure.public, attempt, attempts - 1, delay)
                await asyncio.sleep(delay)
                attempt += 1
                continue
            return _accepted(service, response, where)

    async def _attempt(
        self, service: str, request: httpx.Request, where: str, read_timeout: float
    ) -> httpx.Response:
        """One guarded round trip (following at most one same-host redirect)."""
        async with self._breakers.guard(service):
            try:
                async with asyncio.timeout(self._connect_timeout + read_timeout):
                    response = await self._exchange(service, request, where)
            except (TimeoutError, httpx.TimeoutException) as exc:
                raise _outage(ServiceDown(service, "timeout", _failed(where, exc))) from None
            except httpx.RequestError as exc:
                raise _outage(ServiceDown(service, "connect", _failed(where, exc))) from None
            status = response.status_code
            if status >= 500:
                down = ServiceDown(service, "http_5xx", f"{where} answered {status}", status)
                raise _AttemptFailed(
                    down,
                    counts=True,
                    retryable=status in RETRYABLE_STATUSES,
                    retry_after=_retry_after(response),
                )
            if status == 429:
                limited = ServiceResponseError(service, status, where, " (rate limited)")
                raise _AttemptFailed(
                    limited, counts=False, retryable=True, retry_after=_retry_after(response)
                )
            return response

    async def _exchange(self, service: str, request: httpx.Request, where: str) -> httpx.Response:
        outcome = await self._receive(service, request, where)
        if isinstance(outcome, httpx.Request):
            if not _same_host(request.url, outcome.url):
                detail = f"{where} redirected to another host ({_redacted(outcome.url)})"
                raise ServiceDown(service, "redirect", detail)
            outcome = await self._receive(service, outcome, where)
            if isinstance(outcome, httpx.Request):
                raise ServiceDown(service, "redirect", f"{where} redirected more than once")
        return outcome

    async def _receive(
        self, service: str, request: httpx.Request, where: str
    ) -> httpx.Response | httpx.Request:
        """The response, read within the size cap, or the request a redirect asks for."""
        streamed = await self._started().send(request, stream=True)
        try:
            follow = streamed.next_request  # set by httpx for a 3xx with a Location
            if follow is None:
                body = await self._read_capped(service, streamed, where)
        finally:
            await streamed.aclose()
        return follow if follow is not None else _with_body(streamed, body)

    async def _read_capped(self, service: str, response: httpx.Response, where: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(service, where)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():  # decoded: a compressed bomb is capped too
            size += len(chunk)
            if size > self._max_bytes:
                raise self._too_large(service, where)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, service: str, where: str) -> ServiceDown:
        return ServiceDown(service, "too_large", f"{where} body exceeds {self._max_bytes} bytes")

    def _retry_budget(self, method: str, retries: int | None) -> int:
        if retries is not None:
            if retries < 0:
                raise ValueError("retries must be >= 0")
            return retries
        return self._retries if method in IDEMPOTENT_METHODS else 0

    def _retry_delay(self, failure: _AttemptFailed, attempt: int) -> float | None:
        if not failure.retryable:
            return None
        if failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= MAX_RETRY_AFTER else None
        ceiling = self._backoff * 2 ** (attempt - 1)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _timeout(self, read: float) -> httpx.Timeout:
        connect = self._connect_timeout
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _started(self) -> httpx.AsyncClient:
        if not self._running:
            raise RuntimeError("ServiceClient.start() has not been awaited")
        if self._http is None:
            # Built on the first call, not at start: its TLS context loads the CA bundle
            # (~4 MB, ~50 ms), which an install with no service connected never needs.
            self._http = httpx.AsyncClient(
                timeout=self._timeout(self._read_timeout),
                limits=self._limits,
                headers={"User-Agent": self._user_agent},
                follow_redirects=False,  # followed by hand: once, and only on the same host
            )
        return self._http


@dataclass(frozen=True)
class _Shared:
    """The Redis side: purgatory's factory and the repository (and client) behind it."""

    factory: AsyncCircuitBreakerFactory
    repository: AsyncRedisRepository

    def key(self, name: str) -> str:
        return self.repository.prefix + name


class _BreakerBoard:
    """purgatory breakers, one per service: in Redis when configured and reachable, else in memory.

    purgatory freezes a breaker's threshold and ttl in Redis when it first creates it, so the
    circuit name carries them (`plex@5x30s`): a changed configuration gets fresh breakers
    instead of silently inheriting the old numbers.
    """

    def __init__(
        self,
        *,
        threshold: int,
        ttl: float,
        redis_url: str | None,
        redis_prefix: str,
        recheck_interval: float,
    ) -> None:
        self._suffix = f"@{threshold}x{ttl:g}s"
        memory = AsyncInMemoryUnitOfWork()
        self._memory = _factory(threshold, ttl, memory)
        self._memory_repository = cast("AsyncInMemoryRepository", memory.contexts)
        self._shared: _Shared | None = None
        self._redis_errors: tuple[type[BaseException], ...] = (OSError,)
        if redis_url:
            from redis.exceptions import RedisError

            self._redis_errors = (RedisError, OSError)
            shared = AsyncRedisUnitOfWork(_bounded(redis_url))
            repository = cast("AsyncRedisRepository", shared.contexts)
            repository.prefix = redis_prefix + repository.prefix  # the app's namespace first
            self._shared = _Shared(_factory(threshold, ttl, shared), repository)
        self._redis_ok = self._shared is not None
        self._recheck_interval = recheck_interval
        self._lost_at = 0.0
        self._probe: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._shared is None:
            return
        try:
            await self._shared.factory.initialize()
            await self._shared.repository.redis.ping()
        except self._redis_errors:
            self._lose_redis()

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        if self._shared is not None:
            await self._shared.repository.redis.aclose()

    @contextlib.asynccontextmanager
    async def guard(self, service: str) -> AsyncIterator[None]:
        """Run the body under the service's breaker; ServiceDown("circuit_open") while open.

        The breaker is entered and left by hand so that Redis failing while the outcome is
        recorded never replaces the body's own result or exception.
        """
        breaker = await self._breaker(self._circuit(service))
        try:
            await breaker.__aenter__()
        except OpenedState:
            raise ServiceDown(service, "circuit_open") from None
        try:
            yield
        except Exception as exc:  # a cancellation is neither a failure nor a success
            await self._record(breaker, exc)
            raise
        else:
            await self._record(breaker, None)

    async def state(self, service: str) -> BreakerState:
        return _state_of(service, await self._context(self._circuit(service)))

    async def states(self) -> list[BreakerState]:
        names = await self._shared_names()
        if names is None:
            names = list(self._memory_repository.breakers)
        states = []
        for name in sorted(names):
            context = await self._context(name)
            if context is not None:
                states.append(_state_of(name.removesuffix(self._suffix), context))
        return states

    async def reset(self, service: str) -> None:
        name = self._circuit(service)
        self._memory_repository.breakers.pop(name, None)
        if shared := self._shared_now():
            try:
                key = shared.key(name)
                await shared.repository.redis.delete(key, key + "::failure_count")
            except self._redis_errors:
                self._lose_redis()

    def _circuit(self, service: str) -> str:
        if not _SERVICE_NAME.fullmatch(service):
            raise ValueError("service names are 1-64 letters, digits, '_', '.' or '-'")
        return service + self._suffix

    async def _breaker(self, name: str) -> AsyncCircuitBreaker:
        if shared := self._shared_now():
            try:
                return await shared.factory.get_breaker(name)
            except self._redis_errors:
                self._lose_redis()
        return await self._memory.get_breaker(name)

    async def _record(self, breaker: AsyncCircuitBreaker, exc: Exception | None) -> None:
        try:
            if exc is None:
                await breaker.__aexit__(None, None, None)
            else:
                await breaker.__aexit__(type(exc), exc, exc.__traceback__)
        except self._redis_errors:
            self._lose_redis()

    async def _context(self, name: str) -> Context | None:
        if shared := self._shared_now():
            try:
                return await shared.repository.get(name)
            except self._redis_errors:
                self._lose_redis()
        return await self._memory_repository.get(name)

    async def _shared_names(self) -> list[str] | None:
        """The circuit names in Redis for this configuration, or None when Redis is not in use."""
        if not (shared := self._shared_now()):
            return None
        prefix = shared.key("")
        pattern = f"{prefix}*{self._suffix}"  # `::failure_count` keys do not end with the suffix
        try:
            keys = [key async for key in shared.repository.redis.scan_iter(match=pattern)]
        except self._redis_errors:
            self._lose_redis()
            return None
        return [key.decode().removeprefix(prefix) for key in keys]

    def _shared_now(self) -> _Shared | None:
        """Redis, when it is to be used now; while it is lost, probe it now and then."""
        if self._shared is None:
            return None
        recheck_due = time.monotonic() - self._lost_at >= self._recheck_interval
        if not self._redis_ok and recheck_due and self._probe is None:
            self._probe = asyncio.create_task(self._probe_redis(self._shared))
        return self._shared if self._redis_ok else None

    async def _probe_redis(self, shared: _Shared) -> None:
        try:
            await shared.repository.redis.ping()
        except self._redis_errors:
            self._lost_at = time.monotonic()
        else:
            self._redis_ok = True
            log.info("Redis is reachable again: circuit breakers are shared again")
        finally:
            self._probe = None

    def _lose_redis(self) -> None:
        if self._redis_ok:
            log.warning("Redis is unreachable: circuit breakers are in memory until it returns")
        self._redis_ok = False
        self._lost_at = time.monotonic()


def _factory(
    threshold: int, ttl: float, uow: AsyncAbstractUnitOfWork
) -> AsyncCircuitBreakerFactory:
    factory = AsyncCircuitBreakerFactory(threshold, ttl, exclude=_EXCLUDE_ALL_BUT_OUTAGES, uow=uow)
    factory.add_listener(_log_transition)
    return factory


def _log_transition(name: str, event_type: str, event: Any) -> None:
    if event_type != "state_changed":
        return
    service = name.rpartition("@")[0]
    if event.state == "opened":
        log.warning("circuit for %s opened: calls fail fast until it recovers", service)
    elif event.state == "closed":
        log.info("circuit for %s closed: the service answers again", service)


def _state_of(service: str, context: Context | None) -> BreakerState:
    if context is None:
        return BreakerState(service, "closed", 0, None)
    return BreakerState(service, context.state, context.failure_count, context.opened_at)


def _outage(down: ServiceDown) -> _AttemptFailed:
    return _AttemptFailed(down, counts=True, retryable=True)


def _failed(where: str, exc: Exception) -> str:
    # The class name, never str(exc): httpx messages may quote URLs or Location headers.
    return f"{where} [{type(exc).__name__}]"


def _accepted(service: str, response: httpx.Response, where: str) -> httpx.Response:
    status = response.status_code
    if status in (401, 403):
        raise ServiceAuthFailed(service, status, where)
    if status >= 400:
        raise ServiceResponseError(service, status, where)
    return response


def _decoded_json(service: str, response: httpx.Response) -> Any:
    with contextlib.suppress(orjson.JSONDecodeError):
        return orjson.loads(response.content)
    try:  # what orjson refuses and Python's json takes: UTF-16 or -32, NaN, integers over 64 bits
        return response.json()
    except ValueError:
        where = f"{response.request.method} {_redacted(response.request.url)}"
        raise ServiceResponseError(service, response.status_code, where, " (not JSON)") from None


def _accepting_json(headers: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(headers or {})
    if not any(name.lower() == "accept" for name in merged):
        merged["Accept"] = "application/json"  # Plex, for one, answers XML without it
    return merged


def _checked_url(url: str | httpx.URL) -> httpx.URL:
    """An absolute http(s) URL, or ValueError before any socket opens (the URL is not echoed)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ValueError("not a valid URL") from None
    if parsed.scheme not in _SCHEMES or not parsed.host:
        kind = repr(parsed.scheme) if parsed.scheme else "relative"
        raise ValueError(f"only absolute http or https URLs are allowed, not {kind} ones")
    return parsed


def _redacted(url: httpx.URL) -> str:
    """scheme://host:port/path: no user info, query or fragment, where tokens may ride."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{url.port or _SCHEMES.get(url.scheme, 0)}{url.path}"


def _same_host(origin: httpx.URL, target: httpx.URL) -> bool:
    """Same scheme, host and port; or the same host and port upgraded from http to https."""
    if target.host != origin.host or target.port != origin.port:
        return False
    return target.scheme == origin.scheme or (origin.scheme, target.scheme) == ("http", "https")


def _with_body(streamed: httpx.Response, body: bytes) -> httpx.Response:
    """A plain response holding the already decoded body, as if `aread()` had been used."""
    headers = [
        (name, value)
        for name, value in streamed.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    response = httpx.Response(
        streamed.status_code,
        headers=headers,
        content=body,
        request=streamed.request,
        extensions=streamed.extensions,
    )
    response.elapsed = streamed.elapsed
    return response


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _bounded(redis_url: str) -> str:
    """The Redis URL with socket timeouts, unless it sets its own (purgatory builds the client)."""
    parts = urlsplit(redis_url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("socket_connect_timeout", str(REDIS_SOCKET_TIMEOUT))
    query.setdefault("socket_timeout", str(REDIS_SOCKET_TIMEOUT))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _quiet_library_request_logs() -> None:
    """httpx logs each full URL (query included) at INFO and httpcore every header at DEBUG."""
    for name in ("httpx", "httpcore"):
        library_log = logging.getLogger(name)
        if library_log.level == logging.NOTSET:
            library_log.setLevel(logging.WARNING)
