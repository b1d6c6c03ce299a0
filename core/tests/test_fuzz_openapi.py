"""Schemathesis over the app's own `/openapi.json`, against `medianest serve` on hypercorn, signed
in as an admin (a personal API token) so that requests reach past the policy checks: valid and
invalid inputs for every operation, and not one answer may be a 5xx or leave the envelope.

Bounded for CI: `MAX_EXAMPLES` per operation and generation mode (about a minute per backend on
a 2-core machine). `MEDIANEST_FUZZ_EXAMPLES=500` runs a longer search locally.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from medianest.testing.processes import cli_env, free_port

MAX_EXAMPLES = int(os.environ.get("MEDIANEST_FUZZ_EXAMPLES", "12"))
START_TIMEOUT = 60.0
ADMIN_PASSWORD = "the fuzzing admin's own password"
OPEN_LIMITS = {
    "api": {"limit": 1_000_000, "window": 1},
    "images": {"limit": 1_000_000, "window": 1},
}


def _serve(settings_: dict[str, Any], log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("MEDIANEST_")}
    overrides = cli_env(
        settings_,
        MEDIANEST_PORT=str(port),
        MEDIANEST_ADMIN_PASSWORD=settings_["admin_password"],
        MEDIANEST_DISABLE_PLUGIN_AUTOLOAD="1",  # the core's API; plugins fuzz their own
        MEDIANEST_PLEX_TV_URL="http://127.0.0.1:9",
    )
    env.update({name: value for name, value in overrides.items() if value is not None})
    command = [str(Path(sys.executable).with_name("medianest")), "serve"]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"medianest serve did not start:\n{log.read_text()}")


def _admin_token(url: str, bootstrap_password: str) -> str:
    """The bootstrap admin, password changed, API limits opened: a personal API token."""
    with httpx.Client(base_url=url, timeout=10) as client:
        signed = client.post(
            "/api/auth/admin", json={"username": "admin", "password": bootstrap_password}
        )
        assert signed.status_code == 200, signed.text
        csrf = {"X-CSRF-Token": client.cookies["csrf_token"]}
        changed = client.post(
            "/api/auth/password",
            json={"current_password": bootstrap_password, "new_password": ADMIN_PASSWORD},
            headers=csrf,
        )
        assert changed.status_code == 200, changed.text
        csrf = {"X-CSRF-Token": client.cookies["csrf_token"]}
        assert (
            client.put(
                "/api/admin/config", json={"rate_limits": OPEN_LIMITS}, headers=csrf
            ).status_code
            == 200
        )
        created = client.post("/api/auth/tokens", json={"name": "fuzzer"}, headers=csrf)
        assert created.status_code == 201, created.text
        return created.json()["data"]["token"]


@pytest.fixture
def served(backend_settings: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    log = tmp_path / "serve.log"
    process, url = _serve(backend_settings, log)
    try:
        yield {
            "url": url,
            "token": _admin_token(url, backend_settings["admin_password"]),
            "log": log,
        }
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


NOT_SET_UP = {"no_provider", "not_configured"}  # SPEC §3: 503 SERVICE_UNAVAILABLE, by design


def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """No 5xx, but for the SPEC's answer when what a route needs is not set up on this install
    (no request provider enabled, a service not connected): 503 naming the reason."""
    if response.status_code == 503 and case.path.startswith("/api/"):
        error = response.json().get("error") or {}
        if (
            error.get("code") == "SERVICE_UNAVAILABLE"
            and error.get("details", {}).get("reason") in NOT_SET_UP
        ):
            return
    not_a_server_error(ctx, response, case)


def errors_use_the_envelope(ctx: Any, response: Any, case: Any) -> None:
    """An API error answers `{"success": false, "error": {"code", "message", "details"}}`."""
    if response.status_code < 400 or not case.path.startswith("/api/"):
        return
    if response.status_code == 431 and not response.content and _header_bytes(response) > 16_384:
        return  # hypercorn refuses headers over its limit (64 KiB) before the app sees them
    body = response.json()
    assert body["success"] is False, body
    assert {"code", "message", "details"} <= set(body["error"]), body


def _header_bytes(response: Any) -> int:
    return sum(len(name) + len(value) for name, value in response.request.headers.items())


def fuzz(operation: Any, mode: GenerationMode, served: dict[str, Any], statuses: set[int]) -> None:
    """Up to MAX_EXAMPLES cases of one operation in one mode; raises on the first bad answer.
    Every status answered goes into `statuses`."""
    headers = {"Authorization": f"Bearer {served['token']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers, timeout=30)
        statuses.add(response.status_code)
        case.validate_response(response, checks=[no_server_error, errors_use_the_envelope])
        if (
            case.method.upper() == "PUT"
            and case.path == "/api/admin/config"
            and response.status_code == 200
        ):
            _reopen_limits(served)  # a valid config may have lowered them: keep the rest reachable

    run()


def _reopen_limits(served: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {served['token']}"}
    reopened = httpx.put(
        f"{served['url']}/api/admin/config", json={"rate_limits": OPEN_LIMITS}, headers=headers
    )
    assert reopened.status_code == 200, reopened.text


def test_no_input_makes_the_api_fail(served: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_url(f"{served['url']}/openapi.json")
    # /readyz answers 503 by design while a backend is slow or down: a probe, with no input to fuzz.
    operations = [
        result.ok() for result in schema.get_all_operations() if result.ok().path != "/readyz"
    ]
    assert len(operations) >= 20  # the whole core API, not an empty document
    failures = []
    for operation in operations:
        statuses: set[int] = set()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, served, statuses)
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters, no body): positive covers it
            except (Exception, FailureGroup) as failure:  # every operation runs; all are reported
                failures.append(f"{operation.label} ({mode.value}): {failure}")
        if operation.definition.raw.get("security") and statuses <= {401, 403}:
            failures.append(
                f"{operation.label}: never got past the policy check ({sorted(statuses)})"
            )
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in served["log"].read_text(errors="replace")
