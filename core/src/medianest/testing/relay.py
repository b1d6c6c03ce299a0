"""A TCP relay on 127.0.0.1 in front of a real PostgreSQL or Redis, which a test opens and cuts:
a backend that is not up yet, comes up, or goes away, without touching the real server."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from medianest.testing.processes import free_port

DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "redis": 6379}


class TcpRelay:
    """Refuses connections until `open()`; then forwards each one to the URL's host and port;
    `cut()` stops listening and drops every connection it carries."""

    def __init__(self, url: str) -> None:
        self.target = urlsplit(url)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """The target URL (credentials and path kept) with the relay's address instead."""
        credentials, _, _ = self.target.netloc.rpartition("@")
        where = f"127.0.0.1:{self.port}"
        return self.target._replace(
            netloc=f"{credentials}@{where}" if credentials else where
        ).geturl()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.links):
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = self.target.hostname or "127.0.0.1"
        port = self.target.port or DEFAULT_PORTS.get(self.target.scheme)
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self.links -= {writer, up_writer}
