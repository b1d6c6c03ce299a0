"""`medianest demo` as a newcomer runs it: one command, then a dashboard with Plex and Uptime
Kuma working (their stand-ins), signing in with Plex as a household member included, and the
demo's local playlist downloaded into a Plex collection.

Everything goes over HTTP to the demo process, the stand-in plex.tv page included, as a
browser would; the environment's database and Redis settings are set to dead addresses to
show the demo never uses them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest

from medianest.testing.processes import free_port

pytestmark = pytest.mark.timeout(180)

WAIT = 60.0  # guards against hanging forever; never an expectation about speed
BOOTSTRAP = "demo bootstrap password"
CHANGED = "demo password, changed"


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("MEDIANEST_")}
    env.update(
        MEDIANEST_ADMIN_PASSWORD=BOOTSTRAP,
        MEDIANEST_DATABASE_URL="postgres://nobody@127.0.0.1:9/none",  # ignored by the demo
        MEDIANEST_REDIS_URL="redis://127.0.0.1:9/0",  # ignored by the demo
        TMPDIR=str(tmp_path),  # where its temporary data folder goes
    )
    log = tmp_path / "demo.log"
    command = [str(Path(sys.executable).with_name("medianest")), "demo", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(healthy, "the demo to answer /healthz")
        yield url, process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def admin_client(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10.0)
    assert (
        client.post(
            "/api/auth/admin", json={"username": "admin", "password": BOOTSTRAP}
        ).status_code
        == 200
    )
    changed = client.post(
        "/api/auth/password",
        json={"current_password": BOOTSTRAP, "new_password": CHANGED},
        headers={"X-CSRF-Token": client.cookies["csrf_token"]},
    )
    assert changed.status_code == 200, changed.text
    return client


def admin_client_again(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10.0)
    signed_in = client.post("/api/auth/admin", json={"username": "admin", "password": CHANGED})
    assert signed_in.status_code == 200, signed_in.text
    return client


def statuses(client: httpx.Client) -> dict[str, str]:
    answer = client.get("/api/dashboard/status")
    assert answer.status_code == 200, answer.text
    items = answer.json()["data"]["items"]
    return {entry["service"]: entry["status"] for entry in items}


def approve_on_plextv(auth_url: str, person: str) -> None:
    """What a person does on the stand-in's plex.tv/link page: pick themselves, press Link."""
    page = httpx.get(auth_url, timeout=10.0)
    assert page.status_code == 200
    code = re.search(r"name='code' value='([^']*)'", page.text).group(1)
    accounts = {
        unescape(label): value
        for value, label in re.findall(r'<option value="(\d+)">([^<]*)</option>', page.text)
    }
    account = next(value for label, value in accounts.items() if label.startswith(person))
    linked = httpx.post(
        auth_url.split("?")[0], data={"code": code, "account": account}, timeout=10.0
    )
    assert linked.status_code == 200, linked.text


def test_the_demo_shows_plex_uptime_kuma_and_youtube_working(demo):
    url, process, log = demo
    admin = admin_client(url)
    first_party = ("plex", "uptime_kuma", "overseerr")
    contrib = ("tautulli", "sonarr", "radarr")  # the workspace installs the contrib plugins too
    online = dict.fromkeys((*first_party, *contrib), "online")
    wait_for(lambda: statuses(admin) == online, "every service online")
    widgets = {w["id"]: w for w in admin.get("/api/dashboard/widgets").json()["data"]["items"]}
    admin.close()
    assert "Movies" in widgets["plex.summary"]["html"]
    assert "Home Assistant" in widgets["uptime_kuma.monitors"]["html"]
    assert "<strong>2</strong> streams" in widgets["tautulli.activity"]["html"]
    assert "Deep Field" in widgets["arr.downloads"]["html"]

    with httpx.Client(base_url=url, timeout=10.0) as friend:
        pin = friend.post("/api/auth/plex/pin").json()["data"]
        approve_on_plextv(pin["auth_url"], "Frank Friend")
        signed_in = wait_for(
            lambda: (
                (
                    answer := friend.post("/api/auth/plex", json={"pin_id": pin["pin_id"]})
                ).status_code
                == 200
                and answer
            ),
            "the PIN to be approved",
        )
        assert signed_in.json()["data"]["user"]["username"] == "friend"
        page = friend.get("/plex/")
        assert page.status_code == 200 and "TV Shows" in page.text and "Music" not in page.text

    note = re.search(r"YouTube: paste (http://127\.0\.0\.1:\d+/feed\.xml)", log.read_text())
    playlist = note.group(1)
    admin = admin_client_again(url)
    submitted = admin.post(
        "/api/youtube/download",
        json={"playlist_url": playlist},
        headers={"X-CSRF-Token": admin.cookies["csrf_token"]},
    )
    assert submitted.status_code == 202, submitted.text
    download = f"/api/youtube/downloads/{submitted.json()['data']['id']}"

    def ended() -> dict | None:
        found = admin.get(download).json()["data"]
        return found if found["status"] in ("completed", "failed") else None

    done = wait_for(ended, "the demo playlist to download")
    admin.close()
    assert done["status"] == "completed", done
    assert done["collection_url"] and done["progress"]["items_done"] == 3

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert "Traceback" not in log.read_text()
    running = (
        "Stand-ins running for: overseerr, plex, radarr, sonarr, tautulli, uptime_kuma, youtube"
    )
    assert running in log.read_text()
    assert not list(log.parent.glob("medianest-demo-*"))  # its temporary data folder is gone
