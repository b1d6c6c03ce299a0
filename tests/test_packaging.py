"""The built wheels, installed with plain pip into a fresh venv, work without the repository.

One wheel build and one venv serve the whole module. Every command runs from a directory
outside the checkout, with a fresh data dir and none of the caller's MEDIANEST_* settings, so
anything that still reached into the repository (migrations, plugin entry points, the data
dir) would show up here rather than in a user's install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
MEMBERS = {
    "medianest",
    "medianest_web",
    "medianest_plex",
    "medianest_uptime_kuma",
    "medianest_overseerr",
    "medianest_tautulli",
    "medianest_arr",
}
PLUGINS = {
    "plex": "medianest-plex",
    "uptime_kuma": "medianest-uptime-kuma",
    "overseerr": "medianest-overseerr",
    "tautulli": "medianest-tautulli",  # contrib: installed beside the core like a third party's
    "arr": "medianest-arr",
    "web": "medianest-web",
}
# The Plex plugin's UI ships inside its wheel: templates and static files the shell serves.
PLEX_UI_FILES = (
    "medianest_plex/templates/plex/sign_in.html",
    "medianest_plex/templates/plex/libraries.html",
    "medianest_plex/static/js/plex-pin.js",
    "medianest_plex/static/css/plex.css",
    "medianest_plex/static/img/icons.svg",
)
MIGRATIONS_IN_WHEEL = "medianest/migrations/"
START_TIMEOUT = 30.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a cold pip install takes minutes


def run(args: list[str | Path], *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a command and fail with its output when it does not exit 0."""
    done = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def clean_env(**settings: str) -> dict[str, str]:
    """The caller's environment minus anything that points at the checkout or its settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MEDIANEST_")
        and name not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    return {**env, **settings}


def wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


# ---- the build and the install (once per module) ------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("uv") is None:
        pytest.skip("uv is not on PATH; it builds the wheels (CI always has it)")
    out = tmp_path_factory.mktemp("dist")
    run(["uv", "build", "--all-packages", "--wheel", "-o", out], cwd=REPO, timeout=300)
    return out


@pytest.fixture(scope="module")
def wheels(dist: Path) -> dict[str, Path]:
    return {path.name.split("-")[0]: path for path in dist.glob("*.whl")}


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", venv], env=clean_env(), timeout=120)
    pip = [venv / "bin" / "pip", "install", "--quiet"]
    run([*pip, *sorted(dist.glob("*.whl"))], cwd=dist, env=clean_env(), timeout=600)
    return venv


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working directory outside the checkout, with a data dir nobody used before."""
    assert not tmp_path.resolve().is_relative_to(REPO)
    (tmp_path / "data").mkdir()
    return tmp_path


@pytest.fixture
def medianest(venv: Path, outside: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`medianest ARGS…` from the venv, in `outside`, on its fresh data dir."""
    env = clean_env(MEDIANEST_DATA_DIR=str(outside / "data"))

    def medianest_command(*args: str, check: bool = True, **settings: str):
        command = [str(venv / "bin" / "medianest"), *args]
        options = {"cwd": outside, "env": {**env, **settings}, "timeout": 120}
        if check:
            return run(command, **options)
        return subprocess.run(command, capture_output=True, text=True, check=False, **options)

    return medianest_command


# ---- the wheels ---------------------------------------------------------------------------


def test_every_distribution_is_built(wheels: dict[str, Path]) -> None:
    assert set(wheels) >= MEMBERS, f"built: {sorted(wheels)}"


def test_every_wheel_ships_py_typed(wheels: dict[str, Path]) -> None:
    """Type checkers read a package's annotations only when it says it has them (PEP 561)."""
    untyped = [
        name
        for name, wheel in wheels.items()
        if not any(entry.endswith("/py.typed") for entry in zipfile.ZipFile(wheel).namelist())
    ]
    assert untyped == []


def test_core_wheel_carries_its_migrations(wheels: dict[str, Path]) -> None:
    names = zipfile.ZipFile(wheels["medianest"]).namelist()
    assert f"{MIGRATIONS_IN_WHEEL}0001_initial.py" in names
    assert f"{MIGRATIONS_IN_WHEEL}__init__.py" in names


def test_the_web_comes_in_through_its_entry_point(wheels: dict[str, Path]) -> None:
    wheel = zipfile.ZipFile(wheels["medianest_web"])
    names = wheel.namelist()
    (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "[medianest.plugins]" in text and "web = medianest_web" in text
    assert "medianest_web/templates/shell/base.html" in names


def test_the_plex_wheel_carries_its_ui(wheels: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(wheels["medianest_plex"]).namelist())
    assert set(PLEX_UI_FILES) <= names, sorted(set(PLEX_UI_FILES) - names)


def test_installed_code_comes_from_the_wheels(venv: Path, outside: Path) -> None:
    imports = "import json, medianest, medianest_plex, medianest_uptime_kuma as k; "
    listing = "print(json.dumps([m.__file__ for m in (medianest, medianest_plex, k)]))"
    done = run(
        [venv / "bin" / "python", "-c", imports + listing], cwd=outside, env=clean_env(), timeout=60
    )
    for location in map(Path, json.loads(done.stdout)):
        assert location.resolve().is_relative_to(venv.resolve()), location
        assert not location.resolve().is_relative_to(REPO), location


def test_nothing_installed_points_at_the_checkout(venv: Path) -> None:
    """An editable install would leave the source path in a .pth file or in direct_url.json."""
    (site_packages,) = venv.glob("lib/python*/site-packages")
    records = [
        *site_packages.glob("*.pth"),
        *site_packages.glob("medianest*.dist-info/direct_url.json"),
    ]
    assert records, "expected at least the wheels' direct_url.json records"
    for record in records:
        assert str(REPO) not in record.read_text(), f"{record.name} refers to the checkout"


# ---- the installed command ----------------------------------------------------------------


def test_db_upgrade_applies_every_migration_the_wheel_ships(
    medianest, outside: Path, wheels: dict[str, Path]
) -> None:
    done = medianest("db", "upgrade")
    assert "up to date" in done.stdout
    shipped = {
        Path(name).stem
        for name in zipfile.ZipFile(wheels["medianest"]).namelist()
        if name.startswith(MIGRATIONS_IN_WHEEL)
        and name.endswith(".py")
        and not name.endswith("/__init__.py")
    }
    with sqlite3.connect(outside / "data" / "medianest.sqlite3") as database:
        applied = {
            name
            for (name,) in database.execute(
                "SELECT name FROM tortoise_migrations WHERE app = 'medianest'"
            )
        }
    assert applied == shipped


def test_db_upgrade_twice_is_a_no_op(medianest) -> None:
    medianest("db", "upgrade")
    assert "up to date" in medianest("db", "upgrade").stdout


def test_plugins_list_shows_the_installed_plugins(medianest, wheels: dict[str, Path]) -> None:
    rows = {row["name"]: row for row in json.loads(medianest("plugins", "list", "--json").stdout)}
    for plugin_id, distribution in PLUGINS.items():
        assert plugin_id in rows, f"listed: {sorted(rows)}"
        row = rows[plugin_id]
        assert row["distribution"] == distribution
        assert row["version"] == wheel_version(wheels[distribution.replace("-", "_")])
        assert row["state"] == "enabled", row["error"]


def test_a_bad_setting_is_refused_by_name(medianest) -> None:
    done = medianest("db", "upgrade", check=False, MEDIANEST_LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "MEDIANEST_LOG_FORMAT" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_answers_healthz_and_stops_on_sigterm(
    venv: Path, outside: Path, wheels: dict[str, Path]
) -> None:
    port = _free_port()
    log_path = outside / "serve.log"
    with log_path.open("wb") as log:  # a file, not a pipe: nobody reads while it serves
        server = subprocess.Popen(
            [venv / "bin" / "medianest", "serve", "--port", str(port)],
            cwd=outside,
            env=clean_env(MEDIANEST_DATA_DIR=str(outside / "data")),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        response = _wait_for_health(server, f"http://127.0.0.1:{port}/healthz", log_path)
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
        plex_files = {
            url.split("?")[0]: httpx.get(f"http://127.0.0.1:{port}{url}", timeout=10).status_code
            for url in re.findall(r'(?:src|href)="(/static/plugins/plex/[^"#]+)', login.text)
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            pytest.fail(f"medianest serve ignored SIGTERM\n{_tail(log_path)}")

    assert login.status_code == 200 and "Sign in with Plex" in login.text  # the web, Plex's button
    assert plex_files == {  # the button's files, from the Plex wheel
        "/static/plugins/plex/css/plex.css": 200,
        "/static/plugins/plex/img/icons.svg": 200,
        "/static/plugins/plex/js/plex-pin.js": 200,
    }
    body = response.json()
    assert body["success"] is True
    assert body["data"] == {"status": "ok"}
    assert body["meta"]["version"] == wheel_version(wheels["medianest"])
    assert response.headers.get("X-Request-ID")
    assert server.returncode == 0, _tail(log_path)


def _tail(log_path: Path, lines: int = 40) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(server: subprocess.Popen[bytes], url: str, log_path: Path) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"medianest serve exited {server.returncode}\n{_tail(log_path)}")
        try:
            response = httpx.get(url, timeout=2)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer 200 within {START_TIMEOUT:.0f} s\n{_tail(log_path)}")
