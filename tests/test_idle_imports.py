"""What a started MediaNest holds in memory: on the embedded default (SQLite, in-memory events
and limits, no Redis URL), with every installed plugin and the web shell, the app process never
imports what only another mode uses. Each of these costs megabytes and start time:

- `redis` (and taskiq, taskiq-redis, aiohttp behind the job doorbell): only with a Redis URL;
- `yt_dlp`: only when a download runs (a job in a worker, or in the app where jobs run there).

Each check runs in a fresh interpreter: the app is created and started (migrations, the first
admin, every plugin's start-up), a few pages are requested, and the process reports its
`sys.modules`. A Redis-backed start is checked too, so that the check sees an import when
there is one.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from medianest.testing.processes import process_env

FIRST_PARTY = {"plex", "uptime_kuma", "overseerr", "youtube", "web"}
ONLY_WITH_REDIS = ("redis", "taskiq", "taskiq_redis", "aiohttp")
ONLY_WHEN_DOWNLOADING = ("yt_dlp",)

START_AND_REPORT = """
import asyncio, json, sys

from medianest.app import create_app


async def main():
    app = create_app()
    await app.startup()
    try:
        client = app.test_client()
        answers = {path: (await client.get(path)).status_code
                   for path in ("/healthz", "/readyz", "/", "/login")}
        host = app.extensions["medianest"].host
        plugins = {r.id: r.state.value for r in host.records.values() if r.loaded}
    finally:
        await app.shutdown()
    imported = sorted(name for name, module in sys.modules.items() if module is not None)
    print(json.dumps({"answers": answers, "plugins": plugins, "modules": imported}))


asyncio.run(main())
"""


def started_app_report(tmp_path, **settings: str) -> dict:
    env = process_env(
        MEDIANEST_DATA_DIR=str(tmp_path / "data"),
        MEDIANEST_LOG_LEVEL="WARNING",
        **{f"MEDIANEST_{name.upper()}": value for name, value in settings.items()},
    )
    done = subprocess.run(
        [sys.executable, "-c", START_AND_REPORT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["answers"]["/healthz"] == 200, report["answers"]
    return report


def loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


def test_the_embedded_default_imports_nothing_another_mode_uses(tmp_path):
    report = started_app_report(tmp_path)

    assert set(report["plugins"]) >= FIRST_PARTY, report["plugins"]  # all of them really started
    assert all(state == "enabled" for state in report["plugins"].values()), report["plugins"]
    modules = report["modules"]
    assert loaded(modules, ONLY_WITH_REDIS) == []
    assert loaded(modules, ONLY_WHEN_DOWNLOADING) == []


def test_with_a_redis_url_the_app_imports_redis(tmp_path, redis_url, unique_prefix):
    report = started_app_report(tmp_path, redis_url=redis_url, redis_prefix=unique_prefix)

    modules = report["modules"]
    assert loaded(modules, ("redis", "taskiq_redis")) == ["redis", "taskiq_redis"]
    assert loaded(modules, ONLY_WHEN_DOWNLOADING) == []  # here the app does not run jobs at all


@pytest.mark.parametrize("name", ["redis", "yt_dlp"])
def test_the_lazily_imported_libraries_are_installed(name):
    """The checks above would pass vacuously if the library were simply not installed."""
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True)
    assert done.returncode == 0, done.stderr
