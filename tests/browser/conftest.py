"""The browser harness: the real app under hypercorn, driven by Debian's Chromium.

    def test_something(live_server, page):
        page.goto(live_server.url + "/login")

`live_server` runs `medianest serve` in a subprocess with its own data directory and port,
waits for /healthz and stops it afterwards (`shared_server`: one per module, for tests that
change nothing on the server). `page` is a fresh browser context per test, at
desktop size, that records every request and console error (see `PageWatch`).
`shoot(name)` writes full-page screenshots of `page` at desktop and phone widths to
`$MEDIANEST_ARTIFACTS/screenshots/` (default `artifacts/screenshots/`).

Playwright never downloads a browser here: Chromium comes from the system (`/usr/bin/chromium`,
or `MEDIANEST_CHROMIUM`). The tests skip when it is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MEDIANEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "bootstrap password for the browser"
CHANGED_PASSWORD = "the household's own admin password"
START_TIMEOUT = 30.0


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    log_path: Path
    admin_username: str = ADMIN_USERNAME
    admin_password: str = ADMIN_PASSWORD

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """Run a `medianest` command against this server's data, as an admin would beside it."""
        return subprocess.run(
            [*_medianest_command(), *args],
            input=input,
            env=_server_env(self.data_dir, int(self.url.rsplit(":", 1)[1])),
            capture_output=True,
            text=True,
            timeout=60,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _medianest_command() -> list[str]:
    script = Path(sys.executable).with_name("medianest")
    if script.exists():
        return [str(script)]
    found = shutil.which("medianest")
    if found is None:
        pytest.fail("the `medianest` command is not installed (run `uv sync`)")
    return [found]


def _server_env(data_dir: Path, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("MEDIANEST_")}
    env.update(
        MEDIANEST_DATA_DIR=str(data_dir),
        MEDIANEST_HOST="127.0.0.1",
        MEDIANEST_PORT=str(port),
        MEDIANEST_ADMIN_USERNAME=ADMIN_USERNAME,
        MEDIANEST_ADMIN_PASSWORD=ADMIN_PASSWORD,
        MEDIANEST_PLEX_TV_URL="http://127.0.0.1:9",  # never the internet from a test
        MEDIANEST_LOG_LEVEL="WARNING",
    )
    env.update(extra or {})
    return env


def _wait_until_healthy(process: subprocess.Popen, url: str, server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"medianest serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"medianest serve did not answer /healthz within {START_TIMEOUT:.0f} s:\n{server.log()}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextmanager
def serve(
    folder: Path, env: dict[str, str] | None = None, command: str = "serve"
) -> Iterator[LiveServer]:
    """`medianest serve` (or `demo`) on a free port with a fresh data dir under `folder` (and
    `env`'s `MEDIANEST_*` settings on top of the tests' own)."""
    port = _free_port()
    server = LiveServer(
        url=f"http://127.0.0.1:{port}", data_dir=folder / "data", log_path=folder / "server.log"
    )
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            [*_medianest_command(), command],
            cwd=folder,
            env=_server_env(server.data_dir, port, env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(process, server.url, server)
        yield server
    finally:
        _stop(process)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own for one test (for tests that sign in or change state)."""
    with serve(tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for a whole module of tests that change nothing on it."""
    with serve(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium, one per test module.

    Not one per session: Playwright's sync API keeps its event loop marked as running in
    the main thread for as long as it is open, and an asyncio test that pytest runs after
    it in the same session would then fail to start its own loop.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageWatch:
    """What a page did: every request URL, console errors and uncaught exceptions."""

    requests: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def foreign_requests(self, netloc: str) -> list[str]:
        """Requests that left the app: another host, or any scheme but http(s)/ws(s)/data."""
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme == "data":
                continue
            if parts.scheme not in ("http", "https", "ws", "wss") or parts.netloc != netloc:
                foreign.append(url)
        return foreign


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def context(browser) -> Iterator[object]:
    context = browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context, watch: PageWatch) -> object:
    page = context.new_page()
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and watch.failed_responses.append(f"{response.status} {response.url}")
        ),
    )
    page.on(
        "console",
        lambda message: message.type == "error" and watch.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    return page


def artifacts_dir() -> Path:
    root = Path(os.environ.get("MEDIANEST_ARTIFACTS") or REPO / "artifacts")
    folder = root / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def take_screenshots(
    page, name: str, viewports: dict[str, dict[str, int]] = VIEWPORTS
) -> list[Path]:
    """PNGs of the page as it is now, at each viewport: `<name>-<viewport>.png` shows the
    screen as a person sees it, `<name>-<viewport>-full.png` the whole page (fixed bars,
    like the phone's tab bar, then sit where the first screen ends)."""
    original = page.viewport_size
    written = []
    try:
        for label, size in viewports.items():
            page.set_viewport_size(size)
            page.wait_for_timeout(100)  # let layout settle after the resize
            for suffix, full_page in (("", False), ("-full", True)):
                path = artifacts_dir() / f"{name}-{label}{suffix}.png"
                page.screenshot(path=str(path), full_page=full_page)
                written.append(path)
    finally:
        if original:
            page.set_viewport_size(original)
    return written


@pytest.fixture
def shoot(page):
    """`shoot(name)`: screenshots of `page` at desktop and phone widths; returns the paths."""
    return lambda name, viewports=VIEWPORTS: take_screenshots(page, name, viewports)


@pytest.fixture
def admin_session(live_server: LiveServer, context) -> LiveServer:
    """The browser context signed in as the admin, bootstrap password already changed
    (through the API, sharing the context's cookie jar)."""
    return sign_in_first_admin(context, live_server)


def sign_in_first_admin(context, server: LiveServer) -> LiveServer:
    """Signs `context` in as `server`'s bootstrap admin and changes the password (via the API)."""
    api = context.request
    signed_in = api.post(
        f"{server.url}/api/auth/admin",
        data={
            "username": server.admin_username,
            "password": server.admin_password,
            "remember_me": False,
        },
    )
    assert signed_in.ok, signed_in.text()
    csrf = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "csrf_token")
    changed = api.post(
        f"{server.url}/api/auth/password",
        data={"current_password": server.admin_password, "new_password": CHANGED_PASSWORD},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.ok, changed.text()
    server.admin_password = CHANGED_PASSWORD
    return server


@pytest.fixture
def demo_admin(tmp_path: Path, context) -> Iterator[LiveServer]:
    """`medianest demo` (its own stand-ins for Plex, plex.tv and Uptime Kuma), the browser
    context signed in as its admin."""
    with serve(tmp_path, {"TMPDIR": str(tmp_path)}, command="demo") as server:
        yield sign_in_first_admin(context, server)


# ---- a whole household: plex.tv, a Plex server and Uptime Kuma, all stand-ins -------------------


@dataclass
class Household:
    """`medianest serve` wired to the stand-ins the way an admin would wire it.

    `plex` is `medianest_plex.testing.demo_household()` (an owner, a friend with Movies and
    TV Shows shared, a stranger without access); `kuma` the demo Uptime Kuma with its status
    page `home`, served by `kuma_server` (whose `outage()`/`recover()` take it down and up).
    Services are checked every second, so a change shows on the page within seconds.
    """

    server: LiveServer
    plex: Any
    kuma: Any
    kuma_server: Any


def _sign_in_and_change_password(client: httpx.Client, server: LiveServer) -> dict[str, str]:
    """Signs `client` in as the admin, changes the bootstrap password; returns the CSRF header."""
    signed_in = client.post(
        "/api/auth/admin",
        json={"username": server.admin_username, "password": server.admin_password},
    )
    assert signed_in.status_code == 200, signed_in.text
    csrf = {"X-CSRF-Token": client.cookies["csrf_token"]}
    changed = client.post(
        "/api/auth/password",
        json={"current_password": server.admin_password, "new_password": CHANGED_PASSWORD},
        headers=csrf,
    )
    assert changed.status_code == 200, changed.text
    server.admin_password = CHANGED_PASSWORD
    return {"X-CSRF-Token": client.cookies["csrf_token"]}


def connect_services(server: LiveServer, plex: Any, kuma_url: str) -> None:
    """What the admin does on the Services page, through the same API."""
    from medianest_uptime_kuma.testing import DEFAULT_API_KEY

    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        csrf = _sign_in_and_change_password(client, server)
        connections = {
            "plex": {"url": plex.server.url, "api_key": plex.server.owner_token, "enabled": True},
            "uptime_kuma": {
                "url": kuma_url,
                "api_key": DEFAULT_API_KEY,
                "enabled": True,
                "config": {"status_page": "home"},
            },
        }
        for name, body in connections.items():
            saved = client.put(f"/api/admin/services/{name}", json=body, headers=csrf)
            assert saved.status_code == 200, saved.text


@pytest.fixture
def household(tmp_path: Path) -> Iterator[Household]:
    from medianest_plex.testing import demo_household
    from medianest_uptime_kuma.testing import FakeUptimeKuma

    plex = demo_household(media_root=str(tmp_path / "media"))
    kuma = FakeUptimeKuma.demo()
    with plex.plextv, plex.server, kuma.serve_in_thread() as kuma_server:
        settings = {"MEDIANEST_PLEX_TV_URL": plex.plextv.url, "MEDIANEST_STATUS_INTERVAL": "1"}
        with serve(tmp_path, settings) as server:
            connect_services(server, plex, kuma_server.url)
            yield Household(server, plex, kuma, kuma_server)


@pytest.fixture
def household_admin(household: Household, context) -> Household:
    """The browser context signed in as the household's admin (password already changed)."""
    server = household.server
    signed_in = context.request.post(
        f"{server.url}/api/auth/admin",
        data={"username": server.admin_username, "password": server.admin_password},
    )
    assert signed_in.ok, signed_in.text()
    return household


@pytest.fixture
def household_member(household: Household, context) -> Household:
    """The browser context signed in with Plex as the owner's friend (Movies and TV Shows are
    shared with them), through the API: the PIN is approved on the stand-in's plex.tv."""
    server = household.server
    started = context.request.post(f"{server.url}/api/auth/plex/pin")
    assert started.ok, started.text()
    pin = started.json()["data"]
    household.plex.plextv.link_pin(pin["code"], household.plex.friend)
    signed_in = context.request.post(
        f"{server.url}/api/auth/plex", data={"pin_id": pin["pin_id"], "remember_me": False}
    )
    assert signed_in.status == 200, signed_in.text()
    return household
