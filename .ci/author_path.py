"""The plugin author's path of docs/plugins/writing.md, end to end, as a newcomer takes it.

In a temporary directory: build the core's wheel, make a fresh venv (python -m venv, plain
pip), install the core from the wheel and start it once (the installation's first start: the
admin is created from MEDIANEST_ADMIN_PASSWORD and changes that password at the first
sign-in). Then render the plugin template with copier, non-interactively, install the plugin
with its `test` extra, run its tests, and check that `medianest plugins list` and, after a
restart, GET /api/admin/plugins show it disabled (it arrived after the first start) and that
the admin can enable it and reach its route.

Run with the project's python: `./dev run python .ci/author_path.py`. Exits 1 with the step
that failed and what it printed. Needs PyPI (pip installs the core's dependencies).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_ID = "weather"
ADMIN = "admin"
BOOTSTRAP_PASSWORD = "first start password 1"
NEW_PASSWORD = "the admin's own long password"
START_SECONDS = 90


class StepFailed(Exception):
    """A step of the path did not work: the message says which and what it printed."""


def step(title: str) -> None:
    print(f"-- {title}", flush=True)


def run(command: list[str | Path], *, env: dict[str, str], cwd: Path | None = None) -> str:
    """Run a command; its output, or StepFailed with the command and the output's tail."""
    result = subprocess.run(
        [str(part) for part in command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        shown = " ".join(str(part) for part in command)
        raise StepFailed(f"`{shown}` exited with {result.returncode}:\n{output[-4000:]}")
    return output


def author_env(data_dir: Path) -> dict[str, str]:
    """A newcomer's environment: none of this checkout's MediaNest, uv or venv settings."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MEDIANEST_", "UV_", "VIRTUAL_ENV", "PYTHON"))
    }
    return {
        **kept,
        "MEDIANEST_DATA_DIR": str(data_dir),
        "MEDIANEST_ADMIN_USERNAME": ADMIN,
        "MEDIANEST_ADMIN_PASSWORD": BOOTSTRAP_PASSWORD,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def build_core_wheel(out: Path, env: dict[str, str]) -> Path:
    """`uv build core` when uv is there, else `pip wheel` (the docs give both)."""
    uv = shutil.which("uv")
    if uv:
        run([uv, "build", ROOT / "core", "--wheel", "--out-dir", out], env=env)
    else:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, ROOT / "core"], env=env)
    wheels = sorted(out.glob("medianest-*.whl"))
    if not wheels:
        raise StepFailed(f"no medianest wheel in {out}")
    return wheels[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(venv: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`medianest serve` from the venv on a free port until /readyz answers; stopped after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [venv / "bin" / "medianest", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(server, url, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_ready(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StepFailed(f"medianest serve exited with {server.returncode}:\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise StepFailed(f"medianest serve did not answer /readyz in {START_SECONDS} s:\n{tail(log)}")


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.is_file() else ""


class Browser:
    """Cookies and the CSRF header, as the web UI sends them."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=15)

    def call(self, method: str, path: str, expected: int = 200, **kwargs) -> dict:
        headers = {}
        token = self.client.cookies.get("csrf_token")
        if token and method != "GET":
            headers["X-CSRF-Token"] = token
        response = self.client.request(method, path, headers=headers, **kwargs)
        if response.status_code != expected:
            raise StepFailed(
                f"{method} {path} answered {response.status_code} (expected {expected}): "
                f"{response.text[:1000]}"
            )
        return response.json().get("data") or {}

    def sign_in(self, password: str) -> dict:
        return self.call(
            "POST",
            "/api/auth/admin",
            json={"username": ADMIN, "password": password, "remember_me": False},
        )


def first_start(venv: Path, env: dict[str, str], log: Path) -> None:
    """The installation's first start: sign in as the bootstrap admin and choose a password."""
    with serving(venv, env, log) as url:
        admin = Browser(url)
        if not admin.sign_in(BOOTSTRAP_PASSWORD).get("must_change_password"):
            raise StepFailed("the bootstrap admin was not asked to change the password")
        admin.call(
            "POST",
            "/api/auth/password",
            json={"current_password": BOOTSTRAP_PASSWORD, "new_password": NEW_PASSWORD},
        )


def plugin_entry(admin: Browser) -> dict:
    items = admin.call("GET", "/api/admin/plugins")["items"]
    entry = next((item for item in items if item["name"] == PLUGIN_ID), None)
    if entry is None:
        raise StepFailed(f"GET /api/admin/plugins does not list {PLUGIN_ID}: {items}")
    return entry


def enable_in_admin(venv: Path, env: dict[str, str], log: Path) -> dict:
    """Restart, find the plugin disabled in Admin → Plugins, enable it, call its route."""
    with serving(venv, env, log) as url:
        admin = Browser(url)
        admin.sign_in(NEW_PASSWORD)
        entry = plugin_entry(admin)
        if entry["state"] != "disabled" or entry["enabled"]:
            raise StepFailed(f"a plugin installed after the first start is not disabled: {entry}")
        missing = [key for key in ("distribution", "version", "author") if not entry.get(key)]
        if missing or not entry.get("routes") or not entry.get("permissions"):
            raise StepFailed(f"Admin → Plugins lacks {missing or 'routes/permissions'}: {entry}")
        admin.call("GET", f"/api/{PLUGIN_ID}/hello", expected=404)  # PLUGIN_DISABLED
        enabled = admin.call("PUT", f"/api/admin/plugins/{PLUGIN_ID}", json={"enabled": True})
        if enabled.get("state") != "enabled":
            raise StepFailed(f"enabling {PLUGIN_ID} left it {enabled.get('state')}: {enabled}")
        hello = admin.call("GET", f"/api/{PLUGIN_ID}/hello")
        if hello != {"hello": ADMIN}:
            raise StepFailed(f"/api/{PLUGIN_ID}/hello answered {hello}")
        return plugin_entry(admin)


def author_path(work: Path) -> dict[str, float]:
    data_dir = work / "data"
    env = author_env(data_dir)
    venv = work / "venv"
    pip = [venv / "bin" / "python", "-m", "pip"]
    log = work / "serve.log"

    step("build the core's wheel")
    wheel = build_core_wheel(work / "dist", env)
    step(f"fresh venv, pip install {wheel.name}")
    run([sys.executable, "-m", "venv", venv], env=env)
    run([*pip, "install", "--quiet", wheel], env=env)
    step("first start of the installation (no plugin yet)")
    first_start(venv, env, log)

    started = time.monotonic()
    step(f"copier copy --defaults --data plugin_id={PLUGIN_ID}")
    plugin_dir = work / f"medianest-{PLUGIN_ID}"
    copier = Path(sys.executable).with_name("copier")
    run(
        [
            copier if copier.exists() else "copier",
            "copy",
            "--quiet",
            "--defaults",
            "--data",
            f"plugin_id={PLUGIN_ID}",
            "--data",
            "author=Ann Author",
            ROOT / "plugin-template",
            plugin_dir,
        ],
        env=env,
    )
    step("pip install -e './medianest-weather[test]'")
    run([*pip, "install", "--quiet", "-e", f"{plugin_dir}[test]"], env=env)
    step("pytest")
    output = run([venv / "bin" / "pytest", "-q", "-p", "no:cacheprovider"], env=env, cwd=plugin_dir)
    green = time.monotonic() - started
    print(output.strip().splitlines()[-1], flush=True)

    step("medianest plugins list")
    listed = run([venv / "bin" / "medianest", "plugins", "list"], env=env)
    line = next((row for row in listed.splitlines() if row.split()[:1] == [PLUGIN_ID]), None)
    if line is None or "disabled" not in line:
        raise StepFailed(f"`medianest plugins list` does not show {PLUGIN_ID} disabled:\n{listed}")
    listed_after = time.monotonic() - started
    print(line, flush=True)

    step("restart; Admin → Plugins lists it disabled; the admin enables it")
    entry = enable_in_admin(venv, env, log)
    print(
        f"{entry['name']} {entry['version']} by {entry['author']}: {entry['state']}, "
        f"{len(entry['routes'])} route(s), {len(entry['permissions'])} permission(s)",
        flush=True,
    )
    return {"green": green, "listed": listed_after, "enabled": time.monotonic() - started}


def main() -> int:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="medianest-author-path-") as work:
        try:
            times = author_path(Path(work))
        except (StepFailed, subprocess.TimeoutExpired, OSError) as exc:
            print(f"author path FAILED: {exc}", file=sys.stderr, flush=True)
            return 1
    print(
        f"author path ok: copier copy → green tests {times['green']:.1f} s, "
        f"→ listed by `medianest plugins list` {times['listed']:.1f} s, "
        f"→ enabled in Admin → Plugins {times['enabled']:.1f} s "
        f"(whole path {time.monotonic() - began:.1f} s)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
