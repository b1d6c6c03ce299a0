"""Run the start sequence of docker-compose.yml as processes: there is no container engine here.

Reads the MediaNest services of docker-compose.yml (`migrate`, `app`, `worker`) and the image's
ENV, CMD and HEALTHCHECK from the Dockerfile, maps the containers' hosts and paths onto this
machine (PostgreSQL and Redis on 127.0.0.1, a fresh database, secrets as files in a temporary
folder), then starts each service once its `depends_on` conditions hold, as compose would:
`migrate` to completion, then `app` and `worker` together, each until its own health check
passes. Finally /readyz must answer 200, and SIGTERM must stop both cleanly.

    uv run python .ci/start_sequence.py     # needs MEDIANEST_TEST_DATABASE_URL (a role that may
                                            # create databases) and MEDIANEST_TEST_REDIS_URL
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from dockerfile_parse import DockerfileParser

from medianest.testing import services as backends
from medianest.testing.processes import free_port

REPO = Path(__file__).resolve().parents[1]
MEDIANEST = Path(sys.executable).with_name("medianest")
HEALTHY_WITHIN = 120.0  # seconds; generous for a busy CI machine, never a speed expectation


def say(message: str) -> None:
    print(f"start-sequence: {message}", flush=True)


def image() -> tuple[dict[str, str], list[str], list[str]]:
    """The final stage's ENV, CMD and HEALTHCHECK command."""
    parsed = DockerfileParser(path=str(REPO / "Dockerfile"))
    check = parsed.structure[[i["instruction"] for i in parsed.structure].index("HEALTHCHECK")][
        "value"
    ]
    return parsed.envs, json.loads(parsed.cmd), json.loads(check.split(" CMD ", 1)[1])


class Mapping:
    """The containers' world (hosts, paths, ports) → this machine."""

    def __init__(self, folder: Path, database: str, password: str) -> None:
        self.folder = folder
        self.port = str(free_port())
        redis = urlsplit(backends.redis_url())
        admin = urlsplit(backends.postgres_admin_url())
        postgres = f"{admin.hostname}:{admin.port or 5432}"
        self.replacements = {
            "postgres://medianest@postgres:5432/medianest": f"postgres://medianest@{postgres}/{database}",
            "redis://redis:6379/0": f"redis://{redis.hostname}:{redis.port or 6379}/0",
            "/run/secrets": str(folder / "secrets"),
            "/data": str(folder / "data"),
            "/media": str(folder / "media"),
            "/tmp/medianest-worker.heartbeat": str(folder / "worker.heartbeat"),
        }
        secrets_dir = folder / "secrets"
        secrets_dir.mkdir(mode=0o700)
        (secrets_dir / "postgres_password").write_text(password + "\n")
        key = secrets_dir / "medianest.key"
        key.write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        key.chmod(0o600)
        (secrets_dir / "medianest_key").symlink_to(key)

    def value(self, value: str) -> str:
        for container, here in self.replacements.items():
            if value == container or value.startswith(container + "/"):
                return here + value[len(container) :]
        return value

    def environment(self, image_env: dict[str, str], service: dict) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIANEST_")}
        for name, value in {**image_env, **service.get("environment", {})}.items():
            if name.startswith("MEDIANEST_"):
                env[name] = self.value(str(value))
        env["MEDIANEST_HOST"] = "127.0.0.1"  # the container's 0.0.0.0
        env["MEDIANEST_PORT"] = self.port
        env["MEDIANEST_REDIS_PREFIX"] = f"mnci:{uuid.uuid4().hex[:8]}:"  # this run's keys only
        return env


def command(argv: list[str]) -> list[str]:
    assert argv[0] == "medianest", argv
    return [str(MEDIANEST), *argv[1:]]


def wait_healthy(
    name: str, check: list[str], env: dict[str, str], process: subprocess.Popen, log: Path
) -> None:
    deadline = time.monotonic() + HEALTHY_WITHIN
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}:\n{log.read_text()}")
        done = subprocess.run(command(check), env=env, capture_output=True, text=True)
        if done.returncode == 0:
            say(f"{name} healthy: {done.stdout.strip()}")
            return
        if time.monotonic() > deadline:
            raise SystemExit(
                f"{name} never became healthy ({done.stderr.strip()}):\n{log.read_text()}"
            )
        time.sleep(1)


def run(folder: Path, database_url: str) -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    image_env, image_cmd, image_check = image()
    mapping = Mapping(
        folder,
        urlsplit(database_url).path.lstrip("/"),
        urlsplit(database_url).password or "medianest",
    )
    order = ["migrate", "app", "worker"]
    assert compose["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (
        compose["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )

    migrate = compose[order[0]]
    env = mapping.environment(image_env, migrate)
    say(f"migrate: {' '.join(migrate['command'])}")
    done = subprocess.run(command(migrate["command"]), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"migrate failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    running: dict[str, tuple[subprocess.Popen, Path, dict[str, str]]] = {}
    try:
        for name in order[1:]:
            service = compose[name]
            env = mapping.environment(image_env, service)
            argv = service.get("command", image_cmd)
            log = folder / f"{name}.log"
            say(f"{name}: {' '.join(argv)}")
            with log.open("wb") as output:
                process = subprocess.Popen(
                    command(argv), env=env, stdout=output, stderr=subprocess.STDOUT
                )
            running[name] = (process, log, env)
        for name, (process, log, env) in running.items():
            check = compose[name].get("healthcheck", {}).get("test", ["CMD", *image_check])
            assert check[0] == "CMD", check
            wait_healthy(name, check[1:], env, process, log)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{mapping.port}/readyz", timeout=10
        ) as answer:
            say(f"/readyz {answer.status}: {json.loads(answer.read())['data']['checks']}")
    finally:
        for process, _, _ in running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {name: process.wait(60) for name, (process, _, _) in running.items()}
    for name, code in codes.items():
        if code != 0:
            raise SystemExit(f"{name} stopped with {code}:\n{running[name][1].read_text()}")
        if "Traceback" in running[name][1].read_text():
            raise SystemExit(f"{name} logged a traceback:\n{running[name][1].read_text()}")
    say("migrate, app and worker came up as compose starts them, were ready, and stopped cleanly")


async def main() -> None:
    admin_url = backends.postgres_admin_url()
    name = f"medianest_ci_{uuid.uuid4().hex[:8]}"
    await backends.create_database(admin_url, name)
    if urlsplit(admin_url).username != "medianest":  # compose's role must own its database
        import asyncpg

        connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
        try:
            await connection.execute(f'ALTER DATABASE "{name}" OWNER TO medianest')
        finally:
            await connection.close()
    try:
        with tempfile.TemporaryDirectory(prefix="medianest-start-") as folder:
            await asyncio.to_thread(run, Path(folder), backends.database_url(admin_url, name))
    finally:
        await backends.drop_database(admin_url, name)


if __name__ == "__main__":
    os.environ.setdefault("MEDIANEST_REQUIRE_SERVICES", "1")
    asyncio.run(main())
