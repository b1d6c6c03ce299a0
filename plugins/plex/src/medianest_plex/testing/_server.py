"""What every stand-in shares: a real hypercorn server on 127.0.0.1 with an OS-chosen port,
two lifecycles (`async with` in the caller's event loop, plain `with` on a background thread for
synchronous clients such as python-plexapi), fault switches and a request log.

The fault switches and the log sit in an ASGI layer in front of the Quart app, so they apply
to every route alike, and a request that hangs is still logged.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Mapping
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


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the stand-in (header names lower-cased, values kept)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]

    @property
    def token(self) -> str | None:
        """The Plex token sent, as a header or as the `X-Plex-Token` query parameter."""
        return self.headers.get("x-plex-token") or self.query.get("X-Plex-Token")


class _Fault:
    """The current fault: none, hang until released, or answer a status (maybe `times` times)."""

    def __init__(self) -> None:
        self.hanging = False
        self.status: int | None = None
        self.remaining: int | None = None

    def take_status(self) -> int | None:
        if self.status is None:
            return None
        status = self.status
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.status = self.remaining = None
        return status


class StandinServer:
    """Base class: subclasses build their Quart app in `_build_app`.

    `async with stand_in:` serves in the running event loop; `with stand_in:` serves on a
    daemon thread with its own loop. Either way `url` is ready inside the block and the
    server is fully stopped (hung requests released with 503) when the block ends.
    """

    #: Shown in logs and thread names.
    label = "stand-in"

    def __init__(self, *, port: int = 0) -> None:
        self.requested_port = port  # 0: the OS picks a free one
        self.requests: list[RecordedRequest] = []
        self._fault = _Fault()
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread_id: int | None = None
        self._released: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._shutdown: asyncio.Event | None = None
        self._serve_task: asyncio.Task | None = None
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
        self._fault.status, self._fault.remaining = status, times

    def recover(self) -> None:
        """Back to normal; requests held by `hang()` go on and are answered normally."""
        self._fault.status = self._fault.remaining = None
        self._fault.hanging = False
        self._call_in_loop(self._release)

    def _hold(self) -> None:
        if self._released is not None:
            self._released.clear()

    def _release(self) -> None:
        if self._released is not None:
            self._released.set()

    # ----- request log -------------------------------------------------------------------
    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Logged requests for exactly `path` (no query string), optionally of one method."""
        return [
            r
            for r in self.requests
            if r.path == path and (method is None or r.method == method.upper())
        ]

    def clear_requests(self) -> None:
        self.requests.clear()

    # ----- ASGI front layer ----------------------------------------------------------------
    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        assert self._app is not None
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self.requests.append(_record(scope))
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
        listener.bind(("127.0.0.1", self.requested_port))
        listener.listen(128)
        port = listener.getsockname()[1]
        config = Config()
        config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns and closes the socket
        config.accesslog = None
        config.errorlog = logging.getLogger(f"medianest_plex.testing.{self.label}")
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

    def run_in_server_loop(self, coroutine: Any) -> Future:
        """Schedule a coroutine on the server's loop from any thread."""
        if self._loop is None:
            raise RuntimeError(f"{self.label} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)


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
