"""ServiceClient against real HTTP servers on 127.0.0.1 (never a mocked httpx).

A small Quart app on hypercorn plays the well-behaved and the failing upstream; raw
`asyncio.start_server` sockets play the ones no framework would: hanging, trickling, another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis
from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.utils import wrap_app
from quart import Quart, Response, jsonify, redirect, request

from medianest.http import (
    ServiceAuthFailed,
    ServiceClient,
    ServiceDown,
    ServiceError,
    ServiceResponseError,
)

SECRET_KEY = "k3y-0f-the-upstream-5ecret"
SECRET_TOKEN = "plex-t0ken-never-printed"
FAST = {"connect_timeout": 0.3, "read_timeout": 0.3, "backoff": 0.01}
JSON_BODY = {"ok": True, "items": [1, 2, 3]}


# ---------------------------------------------------------------- upstream servers


def upstream_app(hits: Counter[str]) -> Quart:
    app = Quart("upstream")

    @app.before_request
    async def count() -> None:
        hits[request.path] += 1

    @app.route("/json")
    async def json_body() -> Response:
        return jsonify(JSON_BODY)

    @app.route("/echo-headers")
    async def echo_headers() -> Response:
        return jsonify({name.lower(): value for name, value in request.headers.items()})

    @app.route("/lenient-json")
    async def lenient_json() -> Response:  # JSON as Python's json module writes and reads it
        return Response('{"ratio": NaN, "id": 18446744073709551616}', mimetype="application/json")

    @app.route("/html")
    async def html() -> tuple[str, int]:
        return "<html><body>Plex</body></html>", 200

    @app.route("/status/<int:code>", methods=["GET", "POST"])
    async def status(code: int) -> Response:
        response = Response(f"upstream body for {code} {SECRET_KEY}", status=code)
        if "retry_after" in request.args:
            response.headers["Retry-After"] = request.args["retry_after"]
        return response

    @app.route("/redirect")
    async def go() -> Response:
        return redirect(request.args["to"])

    @app.route("/bytes/<int:size>")
    async def sized(size: int) -> Response:
        return Response(b"x" * size)

    @app.route("/stream/<int:size>")
    async def streamed(size: int) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(size // 100):
                yield b"y" * 100

        return Response(chunks())  # chunked: no Content-Length to check up front

    return app


@dataclass
class Upstream:
    url: str
    hits: Counter[str]


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    hits: Counter[str] = Counter()
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.graceful_timeout = 1
    config.accesslog = None
    sockets = config.create_sockets()
    listening = sockets.insecure_sockets[0]
    listening.listen()  # connections made before hypercorn's startup wait in the backlog
    port = listening.getsockname()[1]
    stop = asyncio.Event()
    app = wrap_app(upstream_app(hits), config.wsgi_max_body_size, "asgi")
    serving = worker_serve(app, config, sockets=sockets, shutdown_trigger=stop.wait)
    server = asyncio.create_task(serving)
    yield Upstream(f"http://127.0.0.1:{port}", hits)
    stop.set()
    await server


@dataclass
class RawServer:
    url: str
    connections: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)


Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Event], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(behaviour: Behaviour, host: str = "127.0.0.1") -> AsyncIterator[RawServer]:
    state = RawServer(url="")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            await behaviour(reader, writer, state.stop)
        writer.close()

    server = await asyncio.start_server(handle, host, 0)
    state.url = f"http://{host}:{server.sockets[0].getsockname()[1]}"
    try:
        yield state
    finally:
        state.stop.set()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # let handlers see the stop and close their sockets


Reader, Writer = asyncio.StreamReader, asyncio.StreamWriter


async def hang(reader: Reader, writer: Writer, stop: asyncio.Event) -> None:
    await stop.wait()


async def trickle(reader: Reader, writer: Writer, stop: asyncio.Event) -> None:
    """Headers at once, then one byte every 50 ms: each read is fast, the whole never ends."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not stop.is_set():
        writer.write(b"x")
        await writer.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def answer_ok(reader: Reader, writer: Writer, stop: asyncio.Event) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    await writer.drain()


async def promise_a_huge_body(reader: Reader, writer: Writer, stop: asyncio.Event) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n")
    await writer.drain()
    await stop.wait()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def client() -> AsyncIterator[ServiceClient]:
    async with ServiceClient(**FAST) as service_client:
        yield service_client


# ---------------------------------------------------------------- success


async def test_get_json_decodes_body_and_sends_identifying_headers(client, upstream):
    assert await client.get_json("plex", f"{upstream.url}/json") == JSON_BODY
    seen = await client.get_json(
        "plex", f"{upstream.url}/echo-headers", headers={"X-Api-Key": "abc"}
    )
    assert seen["user-agent"] == "MediaNest"
    assert seen["accept"] == "application/json"
    assert seen["x-api-key"] == "abc"


async def test_request_json_decodes_once_and_keeps_the_response(client, upstream):
    reply = await client.request_json("plex", "GET", f"{upstream.url}/json")
    assert reply.body == JSON_BODY
    assert reply.response.status_code == 200
    assert reply.response.headers["content-type"] == "application/json"
    lenient = await client.get_json("plex", f"{upstream.url}/lenient-json")
    assert math.isnan(lenient["ratio"]) and lenient["id"] == 2**64  # as json.loads takes them


async def test_request_returns_the_read_response(client, upstream):
    response = await client.request("plex", "get", f"{upstream.url}/bytes/321")
    assert response.status_code == 200
    assert response.content == b"x" * 321
    assert response.elapsed.total_seconds() >= 0
    assert upstream.hits["/bytes/321"] == 1


async def test_expect_json_refuses_a_body_that_is_not_json(client, upstream):
    with pytest.raises(ServiceResponseError) as caught:
        await client.request("plex", "GET", f"{upstream.url}/html", expect_json=True)
    assert caught.value.status_code == 200
    assert "not JSON" in str(caught.value)
    with pytest.raises(ServiceResponseError, match="not JSON"):
        await client.request_json("plex", "GET", f"{upstream.url}/html")


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1:{port}/x", "gopher://127.0.0.1:{port}/", "file:///etc/passwd", "/relative"],
)
async def test_refuses_other_schemes_before_any_socket(client, url):
    async with raw_server(answer_ok) as server:
        with pytest.raises(ValueError):
            await client.request("plex", "GET", url.format(port=server.url.rsplit(":", 1)[1]))
        assert server.connections == 0


async def test_request_before_start_is_refused():
    with pytest.raises(RuntimeError):
        await ServiceClient().request("plex", "GET", "http://127.0.0.1:1/")


@pytest.mark.parametrize("name", ["", "a b", "x*", "cbr::evil", "a" * 65])
async def test_refuses_service_names_unfit_for_keys_and_labels(client, upstream, name):
    with pytest.raises(ValueError):
        await client.request(name, "GET", f"{upstream.url}/json")
    assert upstream.hits["/json"] == 0


# ---------------------------------------------------------------- timeouts and refusals


async def test_hanging_upstream_times_out():
    async with raw_server(hang) as server, ServiceClient(**FAST, retries=0) as service_client:
        with pytest.raises(ServiceDown) as caught:
            await service_client.request("kuma", "GET", f"{server.url}/api")
    assert caught.value.reason == "timeout"
    assert caught.value.service == "kuma"


async def test_trickling_upstream_is_cut_off_by_the_attempt_deadline():
    async with raw_server(trickle) as server, ServiceClient(**FAST, retries=0) as service_client:
        with pytest.raises(ServiceDown) as caught:
            await service_client.request("kuma", "GET", f"{server.url}/metrics")
    assert caught.value.reason == "timeout"


async def test_refused_port_is_a_connect_failure(client):
    with pytest.raises(ServiceDown) as caught:
        await client.request("overseerr", "GET", f"http://127.0.0.1:{closed_port()}/api/v1/status")
    assert caught.value.reason == "connect"


# ---------------------------------------------------------------- retries


async def test_5xx_is_retried_then_reported_down(client, upstream):
    with pytest.raises(ServiceDown) as caught:
        await client.request("plex", "GET", f"{upstream.url}/status/500")
    assert (caught.value.reason, caught.value.status_code) == ("http_5xx", 500)
    assert upstream.hits["/status/500"] == 3  # the first try and two retries


async def test_timeouts_are_retried(upstream):
    async with raw_server(hang) as server, ServiceClient(**FAST, retries=1) as service_client:
        with pytest.raises(ServiceDown):
            await service_client.request("kuma", "GET", server.url)
        assert server.connections == 2


async def test_non_idempotent_calls_are_retried_only_when_asked(client, upstream):
    with pytest.raises(ServiceDown):
        await client.request("overseerr", "POST", f"{upstream.url}/status/503", json={"mediaId": 1})
    assert upstream.hits["/status/503"] == 1
    with pytest.raises(ServiceDown):
        await client.request("overseerr", "POST", f"{upstream.url}/status/503", json={}, retries=1)
    assert upstream.hits["/status/503"] == 3


async def test_429_is_retried_after_a_short_retry_after_only(client, upstream):
    with pytest.raises(ServiceResponseError) as caught:
        await client.request("overseerr", "GET", f"{upstream.url}/status/429?retry_after=0")
    assert caught.value.status_code == 429
    assert upstream.hits["/status/429"] == 3

    with pytest.raises(ServiceResponseError):
        await client.request("overseerr", "GET", f"{upstream.url}/status/429?retry_after=3600")
    assert upstream.hits["/status/429"] == 4  # an hour's wait is not worth a retry


async def test_404_is_not_retried_and_never_opens_the_breaker(upstream):
    async with ServiceClient(**FAST, breaker_threshold=2) as service_client:
        for _ in range(4):
            with pytest.raises(ServiceResponseError) as caught:
                await service_client.request("plex", "GET", f"{upstream.url}/status/404")
            assert caught.value.status_code == 404
        assert upstream.hits["/status/404"] == 4
        state = await service_client.breaker("plex")
        assert (state.state, state.failure_count) == ("closed", 0)
        assert await service_client.get_json("plex", f"{upstream.url}/json")


@pytest.mark.parametrize("code", [401, 403])
async def test_refused_credentials_raise_auth_failed_without_retry(client, upstream, code):
    with pytest.raises(ServiceAuthFailed) as caught:
        await client.request("overseerr", "GET", f"{upstream.url}/status/{code}")
    assert caught.value.status_code == code
    assert upstream.hits[f"/status/{code}"] == 1


# ---------------------------------------------------------------- circuit breaker


async def test_breaker_opens_after_threshold_and_then_spares_the_upstream(upstream):
    async with ServiceClient(**FAST, retries=0, breaker_threshold=3) as service_client:
        for _ in range(3):
            with pytest.raises(ServiceDown, match="http_5xx"):
                await service_client.request("plex", "GET", f"{upstream.url}/status/503")
        for path in ("/status/503", "/json"):
            with pytest.raises(ServiceDown) as caught:
                await service_client.request("plex", "GET", f"{upstream.url}{path}")
            assert caught.value.reason == "circuit_open"
        assert upstream.hits == Counter({"/status/503": 3})
        assert (await service_client.breaker("plex")).state == "opened"
        # Other services keep their own breaker.
        assert await service_client.get_json("overseerr", f"{upstream.url}/json")


async def test_connect_failures_count_towards_the_breaker():
    url = f"http://127.0.0.1:{closed_port()}/"
    async with ServiceClient(**FAST, retries=0, breaker_threshold=2) as service_client:
        for reason in ("connect", "connect", "circuit_open"):
            with pytest.raises(ServiceDown) as caught:
                await service_client.request("kuma", "GET", url)
            assert caught.value.reason == reason


QUICK_TRIP = {**FAST, "retries": 0, "breaker_threshold": 1, "breaker_ttl": 0.5}


async def test_breaker_closes_on_a_good_call_after_the_ttl(upstream):
    async with ServiceClient(**QUICK_TRIP) as service_client:
        with pytest.raises(ServiceDown):
            await service_client.request("plex", "GET", f"{upstream.url}/status/500")
        assert (await service_client.breaker("plex")).state == "opened"
        await asyncio.sleep(0.6)
        assert await service_client.get_json("plex", f"{upstream.url}/json") == JSON_BODY
        assert (await service_client.breaker("plex")).state == "closed"


async def test_a_failing_probe_after_the_ttl_opens_the_breaker_again(upstream):
    async with ServiceClient(**QUICK_TRIP) as service_client:
        with pytest.raises(ServiceDown):
            await service_client.request("plex", "GET", f"{upstream.url}/status/502")
        await asyncio.sleep(0.6)
        with pytest.raises(ServiceDown, match="http_5xx"):
            await service_client.request("plex", "GET", f"{upstream.url}/status/502")
        with pytest.raises(ServiceDown, match="circuit_open"):
            await service_client.request("plex", "GET", f"{upstream.url}/json")
        assert upstream.hits == Counter({"/status/502": 2})


async def test_reset_breaker_and_list_breakers(upstream):
    async with ServiceClient(**FAST, retries=0, breaker_threshold=1) as service_client:
        with pytest.raises(ServiceDown):
            await service_client.request("plex", "GET", f"{upstream.url}/status/500")
        await service_client.get_json("overseerr", f"{upstream.url}/json")
        states = {state.service: state.state for state in await service_client.breakers()}
        assert states == {"plex": "opened", "overseerr": "closed"}

        await service_client.reset_breaker("plex")
        assert await service_client.get_json("plex", f"{upstream.url}/json")
        assert (await service_client.breaker("plex")).state == "closed"


# ---------------------------------------------------------------- redirects and size


async def test_same_host_redirect_is_followed_once(client, upstream):
    assert await client.get_json("plex", f"{upstream.url}/redirect?to=/json") == JSON_BODY
    with pytest.raises(ServiceDown) as caught:
        await client.request("plex", "GET", f"{upstream.url}/redirect?to=/redirect%3Fto%3D/json")
    assert caught.value.reason == "redirect"
    assert upstream.hits["/json"] == 1


async def test_redirect_to_another_host_is_refused(client, upstream):
    async with raw_server(answer_ok, host="127.0.0.2") as elsewhere:
        same_port_other_name = upstream.url.replace("127.0.0.1", "localhost")
        for target in (f"{elsewhere.url}/", f"{same_port_other_name}/json"):
            with pytest.raises(ServiceDown) as caught:
                await client.request("plex", "GET", f"{upstream.url}/redirect?to={target}")
            assert caught.value.reason == "redirect"
        assert elsewhere.connections == 0
    assert upstream.hits["/json"] == 0


@pytest.mark.parametrize("kind", ["bytes", "stream"])
async def test_body_over_the_cap_is_refused(upstream, kind):
    capped = {**FAST, "max_response_bytes": 1000, "breaker_threshold": 1}
    async with ServiceClient(**capped) as service_client:
        at_the_cap = await service_client.request("plex", "GET", f"{upstream.url}/{kind}/1000")
        assert len(at_the_cap.content) == 1000
        with pytest.raises(ServiceDown) as caught:
            await service_client.request("plex", "GET", f"{upstream.url}/{kind}/5000")
        assert caught.value.reason == "too_large"
        assert upstream.hits[f"/{kind}/5000"] == 1  # not retried
        assert (await service_client.breaker("plex")).state == "closed"  # it did answer


async def test_declared_length_over_the_cap_is_refused_before_reading(client):
    async with raw_server(promise_a_huge_body) as server:
        with pytest.raises(ServiceDown) as caught:
            await client.request("plex", "GET", f"{server.url}/library/sections")
    assert caught.value.reason == "too_large"  # not "timeout": nothing was waited for


# ---------------------------------------------------------------- secrets


def exception_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)) + "".join(
        str(linked) for linked in (exc.__cause__, exc.__context__) if linked
    )


async def test_secrets_never_reach_exceptions_or_logs(upstream, caplog):
    caplog.set_level(logging.DEBUG)
    headers = {"X-Api-Key": SECRET_KEY, "X-Plex-Token": SECRET_KEY}
    query = f"?token={SECRET_TOKEN}"
    async with (
        raw_server(hang) as hanging,
        raw_server(answer_ok, host="127.0.0.2") as elsewhere,
        ServiceClient(**FAST, retries=1, breaker_threshold=4, max_response_bytes=100) as service,
    ):
        urls = [
            f"{upstream.url}/status/500{query}",
            f"{upstream.url}/status/404{query}",
            f"{upstream.url}/status/401{query}",
            f"{upstream.url}/status/429{query}&retry_after=0",
            f"{upstream.url}/html{query}",
            f"{upstream.url}/bytes/5000{query}",
            f"{upstream.url}/redirect?to={quote(f'{elsewhere.url}/{query}')}",  # in Location
            f"{hanging.url}/{query}",
            f"http://user:{SECRET_TOKEN}@127.0.0.1:{closed_port()}/{query}",
            f"{upstream.url}/json{query}",  # 2 timeouts + 2 connect failures opened the breaker
        ]
        errors: list[ServiceError] = []
        for url in urls:
            with pytest.raises(ServiceError) as caught:
                await service.request("plex", "GET", url, headers=headers, expect_json=True)
            errors.append(caught.value)

    assert {type(e) for e in errors} == {ServiceDown, ServiceResponseError, ServiceAuthFailed}
    reasons = {error.reason for error in errors if isinstance(error, ServiceDown)}
    assert reasons == {"http_5xx", "too_large", "redirect", "timeout", "connect", "circuit_open"}
    texts = [exception_text(error) for error in errors] + [r.getMessage() for r in caplog.records]
    for text in texts:
        assert SECRET_KEY not in text
        assert SECRET_TOKEN not in text
        assert "upstream body" not in text
    assert any("/status/500" in record.getMessage() for record in caplog.records)  # logs do speak


# ---------------------------------------------------------------- breakers shared through Redis


@pytest.fixture
async def shared_service(redis_url, unique_prefix) -> AsyncIterator[str]:
    name = unique_prefix.replace(":", "-") + "plex"
    yield name
    redis = aioredis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(match=f"cbr::{name}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_breaker_state_is_shared_through_redis(redis_url, shared_service, upstream):
    settings = {**FAST, "retries": 0, "breaker_threshold": 2, "redis_url": redis_url}
    async with ServiceClient(**settings) as first, ServiceClient(**settings) as second:
        for _ in range(2):
            with pytest.raises(ServiceDown, match="http_5xx"):
                await first.request(shared_service, "GET", f"{upstream.url}/status/500")

        with pytest.raises(ServiceDown) as caught:
            await second.request(shared_service, "GET", f"{upstream.url}/json")
        assert caught.value.reason == "circuit_open"
        assert upstream.hits["/json"] == 0
        listed = {state.service: state.state for state in await second.breakers()}
        assert listed[shared_service] == "opened"

        await second.reset_breaker(shared_service)
        assert await first.get_json(shared_service, f"{upstream.url}/json")
        assert (await second.breaker(shared_service)).state == "closed"


async def test_breakers_live_under_the_apps_key_prefix(redis_url, unique_prefix, upstream):
    settings = {**FAST, "retries": 0, "breaker_threshold": 1, "redis_url": redis_url}
    async with (
        ServiceClient(**settings, redis_prefix=unique_prefix) as ours,
        ServiceClient(**settings, redis_prefix=unique_prefix + "other:") as theirs,
    ):
        with pytest.raises(ServiceDown, match="http_5xx"):
            await ours.request("plex", "GET", f"{upstream.url}/status/500")
        assert (await ours.breaker("plex")).state == "opened"
        assert (await theirs.breaker("plex")).state == "closed"  # another install on this Redis
    redis = aioredis.from_url(redis_url)
    keys = [key.decode() async for key in redis.scan_iter(match=f"{unique_prefix}*")]
    await redis.delete(*keys)
    await redis.aclose()
    assert keys and all(key.startswith(f"{unique_prefix}cbr::plex@") for key in keys)


async def test_changed_breaker_settings_are_not_frozen_in_redis(
    redis_url, shared_service, upstream
):
    strict = {**FAST, "retries": 0, "breaker_threshold": 1, "redis_url": redis_url}
    lenient = strict | {"breaker_threshold": 3}
    async with ServiceClient(**strict) as old, ServiceClient(**lenient) as new:
        with pytest.raises(ServiceDown, match="http_5xx"):
            await old.request(shared_service, "GET", f"{upstream.url}/status/500")
        assert (await old.breaker(shared_service)).state == "opened"
        # Threshold 3 is a different breaker: purgatory would otherwise keep the stored 1.
        with pytest.raises(ServiceDown, match="http_5xx"):
            await new.request(shared_service, "GET", f"{upstream.url}/status/500")
        state = await new.breaker(shared_service)
        assert (state.state, state.failure_count) == ("closed", 1)


async def test_unreachable_redis_falls_back_to_memory_breakers(upstream, caplog):
    caplog.set_level(logging.WARNING, logger="medianest.http")
    dead_redis = "redis://127.0.0.1:1/0"
    settings = {**FAST, "retries": 0, "breaker_threshold": 2, "redis_url": dead_redis}
    async with ServiceClient(**settings) as service_client:
        assert await service_client.get_json("plex", f"{upstream.url}/json")
        for reason in ("http_5xx", "http_5xx", "circuit_open"):
            with pytest.raises(ServiceDown) as caught:
                await service_client.request("plex", "GET", f"{upstream.url}/status/500")
            assert caught.value.reason == reason
        assert [state.state for state in await service_client.breakers()] == ["opened"]
    fallbacks = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(fallbacks) == 1


class RedisPassage:
    """A TCP relay in front of the real Redis that a test can cut and restore."""

    def __init__(self, redis_url: str) -> None:
        target = redis_url.removeprefix("redis://").split("/", 1)[0]
        self.target_host, _, port = target.rpartition(":")
        self.target_port = int(port)
        self.port = closed_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.links):
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        self.links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}


async def test_redis_lost_mid_flight_then_recovered(redis_url, shared_service, upstream, caplog):
    caplog.set_level(logging.INFO, logger="medianest.http")
    passage = RedisPassage(redis_url)
    await passage.open()
    settings = {**FAST, "retries": 0, "breaker_threshold": 1, "redis_recheck_interval": 0.2}
    async with (
        ServiceClient(**settings, redis_url=f"redis://127.0.0.1:{passage.port}/0") as relayed,
        ServiceClient(**settings, redis_url=redis_url) as direct,
    ):
        assert await relayed.get_json(shared_service, f"{upstream.url}/json")

        await passage.cut()
        for _ in range(3):  # requests keep working while Redis is gone
            assert await relayed.get_json(shared_service, f"{upstream.url}/json")
        assert any("Redis is unreachable" in r.getMessage() for r in caplog.records)

        await passage.open()
        await asyncio.sleep(0.3)
        await relayed.get_json(shared_service, f"{upstream.url}/json")  # starts the recheck
        for _ in range(50):
            if any("reachable again" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        with pytest.raises(ServiceDown, match="http_5xx"):
            await relayed.request(shared_service, "GET", f"{upstream.url}/status/500")
        assert (await direct.breaker(shared_service)).state == "opened"
    await passage.cut()
