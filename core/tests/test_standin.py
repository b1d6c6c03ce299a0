"""The stand-in base (`medianest.testing.standin`): a real server, both lifecycles, the fault
switches, the request log and background work, driven over real HTTP with httpx."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
import threading
import zlib

import httpx
import pytest
from quart import Quart, request

from medianest.testing.standin import StandinServer, colour_for, solid_png

HOLD = 5.0  # generous bound for waits that normally end at once


class Echo(StandinServer):
    """The smallest stand-in: answers what it was asked, and counts pings it sent itself."""

    label = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.pings: list[str] = []

    def _build_app(self) -> Quart:
        app = Quart(__name__)

        @app.get("/echo")
        async def echo() -> dict:
            return {"q": request.args.get("q"), "thread": threading.current_thread().name}

        return app

    async def ping_later(self, word: str) -> None:
        await asyncio.sleep(0.05)
        self.pings.append(word)


async def test_serves_on_loopback_and_logs_each_request() -> None:
    async with Echo() as echo, httpx.AsyncClient(base_url=echo.url, timeout=HOLD) as http:
        assert echo.url.startswith("http://127.0.0.1:")
        response = await http.get("/echo", params={"q": "hi"}, headers={"X-Thing": "A"})
        assert response.status_code == 200 and response.json()["q"] == "hi"
        await http.get("/nowhere")

        [logged] = echo.logged("/echo", "get")
        assert (logged.method, logged.query, logged.header("X-THING")) == ("GET", {"q": "hi"}, "A")
        assert [r.path for r in echo.request_log] == ["/echo", "/nowhere"]
        echo.clear_request_log()
        assert echo.request_log == []
    assert not echo.running
    with pytest.raises(RuntimeError, match="not running"):
        echo.url  # noqa: B018 - the property is what is tested


async def test_fail_answers_a_status_the_given_number_of_times() -> None:
    async with Echo() as echo, httpx.AsyncClient(base_url=echo.url, timeout=HOLD) as http:
        echo.fail(503, times=2)
        statuses = [(await http.get("/echo")).status_code for _ in range(3)]
        assert statuses == [503, 503, 200]

        echo.fail(500)
        assert [(await http.get("/echo")).status_code for _ in range(2)] == [500, 500]
        echo.recover()
        assert (await http.get("/echo")).status_code == 200
        with pytest.raises(ValueError):
            echo.fail(500, times=0)


async def test_hang_holds_requests_until_recover() -> None:
    async with Echo() as echo, httpx.AsyncClient(base_url=echo.url, timeout=HOLD) as http:
        echo.hang()
        held = asyncio.create_task(http.get("/echo", params={"q": "held"}))
        await asyncio.sleep(0.2)
        assert not held.done()
        assert echo.logged("/echo")  # a hanging request is logged all the same
        echo.recover()
        response = await asyncio.wait_for(held, HOLD)
        assert response.status_code == 200 and response.json()["q"] == "held"


async def test_stop_releases_hung_requests_with_503() -> None:
    echo = await Echo().start()
    async with httpx.AsyncClient(base_url=echo.url, timeout=HOLD) as http:
        echo.hang()
        held = asyncio.create_task(http.get("/echo"))
        await asyncio.sleep(0.2)
        await asyncio.wait_for(echo.stop(), HOLD)
        assert (await asyncio.wait_for(held, HOLD)).status_code == 503


async def test_spawned_work_runs_on_the_server_loop_and_settles() -> None:
    async with Echo() as echo:
        echo.spawn(echo.ping_later("one"))
        echo.spawn(echo.ping_later("two"))
        assert echo.pings == []
        await asyncio.wait_for(echo.settled(), HOLD)
        assert sorted(echo.pings) == ["one", "two"]
    with pytest.raises(RuntimeError, match="not running"):
        echo.spawn(echo.ping_later("late"))


def test_plain_with_serves_on_a_background_thread() -> None:
    with Echo() as echo:
        response = httpx.get(f"{echo.url}/echo", params={"q": "sync"}, timeout=HOLD)
        assert response.json() == {"q": "sync", "thread": "echo-server"}
        echo.fail(502, times=1)
        assert httpx.get(f"{echo.url}/echo", timeout=HOLD).status_code == 502
        echo.spawn(echo.ping_later("from another thread"))
        echo.run_in_server_loop(echo.settled()).result(HOLD)
        assert echo.pings == ["from another thread"]
    assert not echo.running


def test_a_taken_port_is_a_clear_error() -> None:
    with Echo() as first:
        port = int(first.url.rsplit(":", 1)[1])
        second = Echo()
        second.requested_port = port
        with pytest.raises(OSError), second:
            pass


def test_the_module_imports_nothing_of_pytest() -> None:
    """`medianest demo` runs stand-ins without pytest installed."""
    code = "import sys, medianest.testing.standin; print('pytest' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


def test_solid_png_is_a_real_png_of_one_colour() -> None:
    colour = colour_for(7)
    data = solid_png(3, 2, colour)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (3, 2)
    idat_length = struct.unpack(">I", data[33:37])[0]
    rows = zlib.decompress(data[41 : 41 + idat_length])
    assert rows == (b"\x00" + bytes(colour) * 3) * 2
    assert colour_for(7) == colour and colour_for(8) != colour
