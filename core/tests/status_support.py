"""Stand-ins for the status tests: an HTTP service whose behaviour flips, and a probing plugin.

The fixtures `upstream` and `service_id` that build on them live in conftest.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from medianest.plugins import PluginSpec, ProbeResult, ServiceSpec, StatusProbe, hookimpl

WAIT = 15.0  # guards against hanging forever; never an expectation about speed


# ---- a stand-in service ------------------------------------------------------------------------


class Upstream:
    """An HTTP service on 127.0.0.1 whose behaviour the test flips.

    Modes: `healthy` (200 JSON, with `monitors` when set), `failing` (500), `unauthorized`
    (401), `dropping` (closes the connection unanswered) and `hanging` (never answers).
    `hits` counts requests; `stuck` counts requests hanging right now (a caller that gives up
    closes its connection, which ends its hang).
    """

    def __init__(self) -> None:
        self.mode = "healthy"
        self.hits = 0
        self.stuck = 0
        self.monitors: list[dict[str, Any]] | None = None
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> Upstream:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()  # ends the hanging handlers
        await self._server.wait_closed()
        await asyncio.sleep(0)

    async def wait_until(self, condition: Any) -> None:
        async with asyncio.timeout(WAIT):
            while not condition():
                await asyncio.sleep(0.01)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.hits += 1
            await self._answer(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "hanging":
            self.stuck += 1
            try:
                await reader.read()  # until the caller gives up and closes
            finally:
                self.stuck -= 1
            return
        if self.mode == "dropping":
            return
        status, body = {
            "failing": ("500 Internal Server Error", {"error": "boom"}),
            "unauthorized": ("401 Unauthorized", {"error": "who are you"}),
        }.get(
            self.mode,
            ("200 OK", {"ok": True, **({"monitors": self.monitors} if self.monitors else {})}),
        )
        payload = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: "
            f"{len(payload)}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()


class ProbePlugin:
    """A plugin whose probe GETs `<url>/health` through `core.http` (the URL may be flipped)."""

    def __init__(
        self,
        plugin_id: str,
        url: str = "",
        *,
        interval: float = 60.0,
        timeout: float = 5.0,
        needs_connection: bool = False,
        title: str | None = None,
        service: str | None = None,
    ) -> None:
        spec = ServiceSpec(title="Stand-in", key_required=False) if needs_connection else None
        self.plugin = PluginSpec(id=plugin_id, title=f"Plugin {plugin_id}", service=spec)
        self.service = service or plugin_id
        self.url = url
        self.interval = interval
        self.timeout = timeout
        self.needs_connection = needs_connection
        self.title = title
        self.raise_instead: Exception | None = None

    async def check(self, core: Any, connection: Any) -> ProbeResult:
        if self.raise_instead is not None:
            raise self.raise_instead
        base = connection.url if self.needs_connection else self.url
        body = await core.http.get_json(self.service, f"{base}/health")
        return ProbeResult(
            "online", data={key: value for key, value in body.items() if key == "monitors"}
        )

    @hookimpl
    def register_status_probes(self, core: Any) -> list[StatusProbe]:
        return [
            StatusProbe(
                service=self.service,
                check=self.check,
                interval=self.interval,
                timeout=self.timeout,
                title=self.title,
                needs_connection=self.needs_connection,
            )
        ]


async def until(condition: Any) -> None:
    """Wait for a condition the app reaches on its own (a guard, not a speed expectation)."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)
