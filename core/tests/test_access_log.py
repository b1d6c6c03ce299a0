"""The access log: one line per request, which an operator finds by the response's request id."""

from __future__ import annotations

import json
import logging

import pytest


@pytest.fixture
def logs(capfd):
    """What the app logs to stderr (set up before the app, so that its stop still logs there).
    Afterwards the app's handler goes: it writes to this test's stream, which closes."""
    yield capfd
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_medianest", False)]:
        root.removeHandler(handler)


def access_lines(captured: str) -> list[dict]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "medianest.access"]


async def test_a_plain_get_leaves_one_json_line_with_its_request_id(logs, app_factory):
    app = await app_factory(log_format="json", log_level="INFO")
    logs.readouterr()
    response = await app.test_client().get("/api/auth/session?token=do-not-log-me")
    request_id = response.headers["X-Request-ID"]

    (line,) = [
        entry for entry in access_lines(logs.readouterr().err) if entry["request_id"] == request_id
    ]
    assert (line["method"], line["path"], line["status"]) == (
        "GET",
        "/api/auth/session",
        response.status_code,
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] is None and line["level"] == "INFO"
    assert "do-not-log-me" not in json.dumps(line)


async def test_the_signed_in_user_and_refusals_are_logged(logs, app_factory):
    from medianest.auth.models import User
    from medianest.testing.clients import signed_in

    app = await app_factory(log_format="json", log_level="INFO")
    user = await signed_in(app, "kim")
    logs.readouterr()
    mine = await user.get("/api/auth/session")
    refused = await app.test_client().get("/api/admin/users")
    lines = {entry["request_id"]: entry for entry in access_lines(logs.readouterr().err)}
    kim = await User.get(username="kim")
    assert lines[mine.headers["X-Request-ID"]]["user_id"] == str(kim.id)
    assert lines[refused.headers["X-Request-ID"]]["status"] == 401


async def test_probes_are_left_out_unless_asked_for(logs, app_factory):
    app = await app_factory(log_format="json", log_level="INFO")
    logs.readouterr()
    await app.test_client().get("/healthz")
    assert access_lines(logs.readouterr().err) == []

    await app_factory.stop(app)
    app = await app_factory(log_format="json", log_level="INFO", access_log_probes=True)
    logs.readouterr()
    await app.test_client().get("/healthz")
    assert [line["path"] for line in access_lines(logs.readouterr().err)] == ["/healthz"]


@pytest.mark.parametrize("backend", ["embedded"])
async def test_the_access_log_can_be_turned_off(logs, app_factory):
    app = await app_factory(log_format="json", log_level="INFO", access_log=False)
    logs.readouterr()
    await app.test_client().get("/api/auth/session")
    assert access_lines(logs.readouterr().err) == []


@pytest.mark.parametrize("backend", ["embedded"])
async def test_text_lines_carry_the_same_facts(logs, app_factory):
    app = await app_factory(log_format="text", log_level="INFO")
    logs.readouterr()
    response = await app.test_client().get("/api/auth/session")
    request_id = response.headers["X-Request-ID"]
    (line,) = [line for line in logs.readouterr().err.splitlines() if "medianest.access" in line]
    assert (
        f"[{request_id}] GET /api/auth/session {response.status_code} " in line
        and line.endswith("user=-")
    )
