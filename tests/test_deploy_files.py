"""What can be checked of the container deployment without a container engine.

`docker-compose.yml`, the Dockerfile, `.dockerignore` and `deploy/nginx.conf`, parsed: a stack
that comes up by itself in the right order and stays up, an image built from `uv.lock` that runs
as a non-root user and owns its `/data`, secrets as files, and no secret in the build context.
`.ci/start-sequence` runs the same commands as processes against PostgreSQL and Redis.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[1]
LONG_RUNNING = ("nginx", "app", "worker", "postgres", "redis")
MEDIANEST = ("migrate", "app", "worker")
ROOTS = ("root", "0", "0:0", "root:root")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def stages() -> list[list[dict[str, str]]]:
    """The Dockerfile's instructions, one list per build stage."""
    parsed = DockerfileParser(path=str(REPO / "Dockerfile"))
    result: list[list[dict[str, str]]] = []
    for instruction in parsed.structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if result and instruction["instruction"] != "COMMENT":
            result[-1].append(instruction)
    return result


def values(stage: list[dict[str, str]], instruction: str) -> list[str]:
    return [" ".join(item["value"].split()) for item in stage if item["instruction"] == instruction]


# ---- compose ----------------------------------------------------------------------------------


def test_every_long_running_service_restarts_and_the_migration_runs_once(services):
    for name in LONG_RUNNING:
        assert services[name].get("restart") in ("unless-stopped", "always"), name
    assert services["migrate"].get("restart") == "no"
    assert services["migrate"]["command"] == ["medianest", "db", "upgrade"]


def test_medianest_starts_after_healthy_backends_and_the_migration(services):
    for name in MEDIANEST:
        depends = services[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name
    for name in ("app", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["nginx"]["depends_on"]["app"] == {"condition": "service_healthy"}


def test_postgres_and_redis_have_health_checks(services):
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_the_worker_has_a_health_check_of_its_own(services, stages):
    check = services["worker"]["healthcheck"]["test"]
    assert check == ["CMD", "medianest", "worker", "--check"]
    assert services["worker"]["command"] == ["medianest", "worker"]
    # several workers must not share one heartbeat: theirs is not in the shared /data volume
    heartbeat = services["worker"]["environment"]["MEDIANEST_WORKER_HEARTBEAT_FILE"]
    assert not heartbeat.startswith("/data")
    # the app's own check is the image's: /readyz through `medianest serve --check`
    (image_check,) = values(stages[-1], "HEALTHCHECK")
    assert image_check.endswith('CMD ["medianest", "serve", "--check"]')
    assert "healthcheck" not in services["app"]


def test_the_database_password_is_a_secret_file(compose, services):
    postgres = services["postgres"]["environment"]
    assert "POSTGRES_HOST_AUTH_METHOD" not in postgres and "POSTGRES_PASSWORD" not in postgres
    assert postgres["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "postgres_password" in services["postgres"]["secrets"]
    assert compose["secrets"]["postgres_password"]["file"].startswith("./deploy/secrets/")
    for name in MEDIANEST:
        environment = services[name]["environment"]
        assert environment["MEDIANEST_DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
        assert "postgres_password" in services[name]["secrets"]
        url = environment["MEDIANEST_DATABASE_URL"]
        assert re.fullmatch(r"postgres://medianest@postgres:5432/medianest", url), (
            "no password in the URL"
        )
        assert environment["MEDIANEST_SECRET_KEY_FILE"].startswith("/run/secrets/")


def test_nothing_runs_as_root(services, stages):
    for name in ("postgres", "redis"):
        assert services[name]["user"] not in ROOTS, name
    assert "unprivileged" in services["nginx"]["image"]
    for name in MEDIANEST:
        assert services[name].get("user", "medianest") not in ROOTS, name
    (user,) = values(stages[-1], "USER")
    assert user not in ROOTS


def test_nginx_redirects_80_to_443(services):
    ports = dict(port.split(":") for port in services["nginx"]["ports"])
    config = (REPO / "deploy" / "nginx.conf").read_text()
    servers = re.findall(r"server\s*\{(.*?)\n\}", config, flags=re.S)
    plain = [s for s in servers if re.search(rf"listen\s+{ports['80']};", s)]
    assert len(plain) == 1 and re.search(r"return\s+301\s+https://\$host\$request_uri;", plain[0])
    assert any(re.search(rf"listen\s+{ports['443']}\s+ssl;", s) for s in servers)


# ---- the image ------------------------------------------------------------------------------


def test_the_image_is_built_from_uv_lock(stages):
    build = stages[0]
    syncs = [
        run
        for run in values(build, "RUN")
        if " uv sync " in f" {run} " or run.startswith("uv sync")
    ]
    assert syncs, "dependencies are installed with `uv sync`"
    arguments = shlex.split(syncs[0].split("uv sync", 1)[1])
    assert "--locked" in arguments and "--no-dev" in arguments
    for stage in stages:
        for run in values(stage, "RUN"):
            assert "pip install" not in run or re.search(
                r'pip install --no-cache-dir "uv==[\d.]+"', run
            ), run


def test_data_belongs_to_the_apps_user(stages):
    final = stages[-1]
    (user,) = values(final, "USER")
    setup = " ".join(values(final, "RUN"))
    assert re.search(rf"useradd .*\b{user}\b", setup)
    assert re.search(rf"chown {user}(:{user})? /data", setup)
    assert values(final, "VOLUME") == ['["/data"]']
    # the ownership is set before the volume is declared, or a new volume would be root's
    order = [item["instruction"] for item in final]
    assert order.index("VOLUME") > max(
        i
        for i, item in enumerate(final)
        if "/data" in item["value"] and item["instruction"] == "RUN"
    )


# ---- the build context ----------------------------------------------------------------------


def docker_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regular expression (Go's filepath.Match, plus `**`)."""
    regex, index, pattern = "", 0, pattern.strip("/")
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] in "*?":
            regex, index = regex + ("[^/]*" if pattern[index] == "*" else "[^/]"), index + 1
        elif pattern[index] == "[":
            close = pattern.index("]", index)
            regex, index = regex + pattern[index : close + 1], close + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return re.compile(regex)


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves `path` out of the build context (itself or a folder holding it)."""
    parts = path.split("/")
    candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    return any(docker_pattern(p).fullmatch(c) for p in patterns for c in candidates)


def test_dockerignore_keeps_secrets_and_local_state_out():
    lines = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "no exceptions to the exclusions"
    for path in (
        ".venv/bin/python",
        "data/secret.key",
        "data/medianest.sqlite3",
        ".env",
        ".git/config",
        "deploy/secrets/medianest.key",
        "deploy/secrets/postgres_password",
        "deploy/tls/privkey.pem",
        "plugins/plex/.venv/lib",
        "somewhere/else/secret.key",
        "core/src/medianest/__pycache__/x.pyc",
    ):
        assert ignored(path, patterns), path
    for path in (
        "uv.lock",
        "pyproject.toml",
        "core/pyproject.toml",
        "core/src/medianest/cli.py",
        "core/src/medianest/migrations/0001_initial.py",
        "web/src/medianest_web/__init__.py",
        "plugins/plex/pyproject.toml",
    ):
        assert not ignored(path, patterns), path
