"""What every stand-in shares: a real HTTP server on 127.0.0.1 that speaks a service's wire format.

MediaNest's tests, its browser tests, `medianest demo` and plugin authors talk to stand-ins
instead of the real services (plex.tv, Plex Media Server, Overseerr, Uptime Kuma). A stand-in
subclasses `StandinServer` and builds a Quart app in `_build_app`; the base gives it:

- a real hypercorn server on 127.0.0.1 with an OS-chosen port (``port=`` fixes one, for the demo);
- two lifecycles: ``async with stand_in:`` serves in the caller's event loop, a plain
  ``with stand_in:`` serves on a daemon thread with its own loop (synchronous code, the demo).
  ``url`` is ready inside the block; the server is fully stopped when it ends;
- fault switches: ``hang()`` (every request waits, unanswered, until ``recover()`` or shutdown),
  ``fail(status=500, times=None)`` (answer ``status`` to every request, or the next ``times``),
  ``recover()``;
- a request log: ``request_log`` (``RecordedRequest(method, path, query, headers)``),
  ``logged(path, method=None)``, ``clear_request_log()``;
- background work on the server's loop: ``spawn(coroutine)`` from any thread (a webhook the
  service sends), ``await settled()`` until it is done.

The switches and the log sit in an ASGI layer in front of the Quart app, so they apply to every
route alike, and a request that hangs is still logged. ``solid_png`` and ``colour_for`` make the
images stand-ins serve. Importing this module imports nothing of pytest: the demo uses it::

    class FakeThing(StandinServer):
        label = "thing"

        def _build_app(self) -> Quart:
            app = Quart(__name__)

            @app.get("/ping")
            async def ping() -> dict:
                return {"pong": True}

            return app

    async with FakeThing() as thing:
        thing.fail(503, times=1)             # the next request answers 503, then all is well
        ...                                  # point the code under test at thing.url
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the stand-in (header names lower-cased, values kept)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _Fault:
    """The current fault: none, hang until released, or answer a status (maybe `times` times)."""

    def __init__(self) -> None:
        self.hanging = False
        self.status: int | None = None
        self.remaining: int | None = None
        self._lock = threading.Lock()  # `fail(times=…)` counts down from the server's thread

    def take_status(self) -> int | None:
        with self._lock:
            if self.status is None:
                return None
            status = self.status
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining <= 0:
                    self.status = self.remaining = None
            return status

    def set(self, status: int | None, remaining: int | None) -> None:
        with self._lock:
            self.status, self.remaining = status, remaining


class StandinServer:
    """Base class of stand-ins: subclasses build their Quart app in `_build_app`."""

    #: Shown in logs and thread names.
    label = "stand-in"

    def __init__(self, *, port: int = 0) -> None:
        self.requested_port = port  # 0: the OS picks a free one
        self.request_log: list[RecordedRequest] = []
        self._fault = _Fault()
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread_id: int | None = None
        self._released: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._shutdown: asyncio.Event | None = None
        self._serve_task: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._thread: threading.Thread | None = None
        self._app: Quart | None = None

    # ----- subclass hook ---------------------------------------------------------------
    def _build_app(self) -> Quart:
        raise NotImplementedError

    # ----- addresses -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash); only while serving."""
        if self._port is None:
            raise RuntimeError(f"{self.label} is not running")
        return f"http://127.0.0.1:{self._port}"

    @property
    def running(self) -> bool:
        return self._port is not None

    # ----- fault switches ----------------------------------------------------------------
    def hang(self) -> None:
        """Every request from now on waits, unanswered, until `recover()` (or shutdown)."""
        self._fault.hanging = True
        self._call_in_loop(self._hold)

    def fail(self, status: int = 500, *, times: int | None = None) -> None:
        """Answer every request (or only the next `times` ones) with `status`."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        self._fault.set(status, times)

    def recover(self) -> None:
        """Back to normal; requests held by `hang()` go on and are answered normally."""
        self._fault.set(None, None)
        self._fault.hanging = False
        self._call_in_loop(self._release)

    def _hold(self) -> None:
        if self._released is not None:
            self._released.clear()

    def _release(self) -> None:
        if self._released is not None:
            self._released.set()

    # ----- request log -------------------------------------------------------------------
    def logged(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Logged requests for exactly `path` (no query string), optionally of one method."""
        return [
            r
            for r in self.request_log
            if r.path == path and (method is None or r.method == method.upper())
        ]

    def clear_request_log(self) -> None:
        self.request_log.clear()

    # ----- background work -----------------------------------------------------------------
    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run `coroutine` on the server's loop without waiting for it; callable from any thread."""
        loop = self._loop
        if loop is None:
            coroutine.close()
            raise RuntimeError(f"{self.label} is not running")

        def start() -> None:
            task = loop.create_task(coroutine)
            self._background.add(task)
            task.add_done_callback(self._finished)

        self._call_in_loop(start)

    async def settled(self) -> None:
        """Wait until the work spawned so far is done. Await it on the server's loop; from another
        thread: ``stand_in.run_in_server_loop(stand_in.settled()).result()``."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _finished(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: background task failed", self.label, exc_info=task.exception())

    # ----- ASGI front layer ----------------------------------------------------------------
    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        assert self._app is not None
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self.request_log.append(_record(scope))
        if self._fault.hanging:
            await self._wait_until_released()
            if self._closing is not None and self._closing.is_set():
                await _plain_response(send, 503, b"shutting down")
                return
        status = self._fault.take_status()
        if status is not None:
            await _plain_response(send, status, f"stand-in fault: {status}".encode())
            return
        await self._app(scope, receive, send)

    async def _wait_until_released(self) -> None:
        assert self._released is not None and self._closing is not None
        waiters = {
            asyncio.ensure_future(self._released.wait()),
            asyncio.ensure_future(self._closing.wait()),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    # ----- async lifecycle ---------------------------------------------------------------
    async def start(self) -> Self:
        if self.running:
            raise RuntimeError(f"{self.label} is already running")
        self._app = self._build_app()
        started = asyncio.Event()
        self._app.before_serving(started.set)
        self._loop, self._loop_thread_id = asyncio.get_running_loop(), threading.get_ident()
        self._released, self._closing, self._shutdown = (
            asyncio.Event(),
            asyncio.Event(),
            asyncio.Event(),
        )
        if not self._fault.hanging:
            self._released.set()

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", self.requested_port))
        except OSError:
            listener.close()
            raise
        listener.listen(128)  # connections queue from now on, before hypercorn accepts them
        port = listener.getsockname()[1]
        config = Config()
        config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns and closes the socket
        config.accesslog = None
        config.errorlog = logging.getLogger(f"{__name__}.{self.label}")
        config.graceful_timeout = 2.0
        self._serve_task = asyncio.create_task(
            serve(self, config, shutdown_trigger=self._shutdown.wait)
        )
        started_wait = asyncio.ensure_future(started.wait())
        done, _ = await asyncio.wait(
            {self._serve_task, started_wait},
            timeout=START_TIMEOUT,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if started_wait not in done:
            started_wait.cancel()
            await self._abandon_start()
        self._port = port
        return self

    async def _abandon_start(self) -> None:
        assert self._serve_task is not None and self._shutdown is not None
        self._shutdown.set()
        if self._serve_task.done() and self._serve_task.exception():
            raise RuntimeError(f"{self.label} failed to start") from self._serve_task.exception()
        self._serve_task.cancel()
        raise RuntimeError(f"{self.label} did not start within {START_TIMEOUT} s")

    async def stop(self) -> None:
        if not self.running:
            return
        assert (
            self._closing is not None
            and self._shutdown is not None
            and self._serve_task is not None
        )
        for task in list(self._background):  # unsent webhooks and the like die with the server
            task.cancel()
        self._closing.set()  # releases hung requests so hypercorn can finish them
        self._shutdown.set()
        try:
            await asyncio.wait_for(self._serve_task, STOP_TIMEOUT)
        finally:
            self._port = None
            self._loop = self._loop_thread_id = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----- thread lifecycle (for synchronous code) ---------------------------------------
    def __enter__(self) -> Self:
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=loop.run_forever, name=f"{self.label}-server", daemon=True
        )
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(START_TIMEOUT + 1)
        except BaseException:
            self._stop_thread(loop)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(STOP_TIMEOUT + 1)
        finally:
            self._stop_thread(loop)

    def _stop_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
        loop.close()

    # ----- helpers for subclasses --------------------------------------------------------
    def _call_in_loop(self, action: Callable[[], Any]) -> None:
        """Run `action` on the server's loop (asyncio objects are not thread-safe)."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread_id:
            action()
        else:
            loop.call_soon_threadsafe(action)

    def run_in_server_loop(self, coroutine: Coroutine[Any, Any, Any]) -> Future:
        """Schedule a coroutine on the server's loop from any thread."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError(f"{self.label} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour: what an image endpoint serves (no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 6))
        + chunk(b"IEND", b"")
    )


def colour_for(seed: int) -> tuple[int, int, int]:
    """A stable, pleasant colour per object, so demo images are told apart at a glance."""
    hue = (seed * 47) % 360
    sector, rest = divmod(hue, 60)
    rising, falling = 60 + rest * 3, 240 - rest * 3
    return [
        (240, rising, 60),
        (falling, 240, 60),
        (60, 240, rising),
        (60, falling, 240),
        (rising, 60, 240),
        (240, 60, falling),
    ][sector]


def _record(scope: Mapping[str, Any]) -> RecordedRequest:
    query = dict(
        parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    )
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }
    return RecordedRequest(method=scope["method"], path=scope["path"], query=query, headers=headers)


async def _plain_response(send: Callable, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
