"""Bodies no JSON parser should take (bytes that are not UTF-8, nesting a thousand deep) and text
no database can store (NUL, half a surrogate pair; PostgreSQL refuses them) are a 400 in the
envelope on every route, the core's and the plugins', signed in or not, and leave no traceback
in the log."""

from __future__ import annotations

import json
import logging

import pytest
from quart.testing.connections import WebsocketDisconnectError

from medianest.auth.models import User
from medianest.testing.clients import signed_in
from sample_plugins.everything import Everything

NOT_UTF8 = [
    b'{"current_password": "\x80\x81", "new_password": "x"}',
    b"\xff\xfe{\x00}\x00",  # UTF-16 with a byte-order mark: JSON must be UTF-8 (RFC 8259)
    b'{"enabled": true, "settings": {"name": "caf\xe9"}}',  # Latin-1
]


def nested(levels: int) -> dict:
    inner: dict = {}
    for _ in range(levels):
        inner = {"x": inner}
    return inner


TOO_DEEP = [
    b"[" * 1000 + b"]" * 1000,
    b'{"a":' * 1000 + b"1" + b"}" * 1000,
    b"[" * 100_000,  # not even closed: the parser must not be the first to notice
    json.dumps({"settings": nested(100), "config": nested(100)}).encode(),  # parses, but too deep
]


@pytest.fixture
async def routes(app_factory):
    """(app, admin client, [(method, path)]): body-taking routes of the core and a plugin."""
    app = await app_factory(plugins=[Everything()])
    admin = await signed_in(app, "root", role="admin")
    user_id = str((await User.get(username="root")).id)
    return (
        app,
        admin,
        [
            ("POST", "/api/auth/admin"),
            ("POST", "/api/auth/password"),
            ("POST", "/api/auth/tokens"),
            ("PUT", "/api/admin/config"),
            ("PUT", "/api/admin/plugins/everything"),
            ("PUT", f"/api/admin/users/{user_id}"),
            ("PUT", "/api/admin/services/everything"),
            ("POST", "/api/admin/services/test"),
            ("POST", "/api/everything/echo"),
        ],
    )


def tracebacks(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.exc_info or record.levelno >= logging.ERROR
    ]


async def assert_bad_request(response, what) -> None:
    assert response.status_code == 400, (what, response.status_code, await response.get_data())
    body = await response.get_json()
    assert body["success"] is False and body["error"]["code"] == "BAD_REQUEST", what
    assert isinstance(body["error"]["details"], dict) and body["error"]["message"]


@pytest.mark.parametrize("body", NOT_UTF8, ids=["invalid-utf8", "utf16-bom", "latin1"])
async def test_bytes_that_are_not_utf8_are_a_400_everywhere(routes, caplog, body):
    _app, admin, paths = routes
    for method, path in paths:
        response = await admin.client.open(
            path,
            method=method,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-CSRF-Token": admin.cookie("csrf_token"),
            },
        )
        await assert_bad_request(response, (method, path))
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("body", TOO_DEEP, ids=["arrays", "objects", "unclosed", "deep-in-a-field"])
async def test_nesting_too_deep_is_a_400_everywhere(routes, caplog, body):
    app, admin, paths = routes
    for method, path in paths:
        response = await admin.client.open(
            path,
            method=method,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-CSRF-Token": admin.cookie("csrf_token"),
            },
        )
        await assert_bad_request(response, (method, path))
    anonymous = await app.test_client().post(
        "/api/auth/admin", data=body, headers={"Content-Type": "application/json"}
    )
    await assert_bad_request(anonymous, "anonymous sign-in")
    assert tracebacks(caplog) == []


async def test_reasonable_nesting_still_passes(routes):
    _app, admin, _paths = routes
    nested = {"message": "deep enough", "count": 1}
    response = await admin.post("/api/everything/echo", json=nested)
    assert response.status_code == 200
    settings = {"level": {"two": {"three": {"four": [1, [2, [3]]]}}}}
    answer = await admin.put("/api/admin/plugins/everything", json={"settings": settings})
    assert answer.status_code != 400, await answer.get_data()


@pytest.mark.parametrize(
    "message", ["[" * 100_000, '{"token": ' * 5000 + '"x"' + "}" * 5000, "\udc80"]
)
async def test_a_websocket_first_message_that_cannot_be_read_is_a_4401(app, caplog, message):
    app.extensions["medianest"].realtime.first_message_timeout = 5
    async with app.test_client().websocket("/ws/status") as ws:
        await ws.send(message)
        with pytest.raises(WebsocketDisconnectError) as closed:
            await ws.receive()
    assert closed.value.args[0] == 4401
    assert tracebacks(caplog) == []


UNSTORABLE = [
    b'{"username": "adm\\u0000in", "password": "x", "name": "a\\u0000b", "message": "\\u0000"}',
    b'{"username": "\\ud800", "password": "\\udfff", "name": "\\ud83d", "message": "\\ud800"}',
    b'{"settings": {"\\u0000": 1}, "config": {"a\\u0000": "b"}, "current_password": "x", '
    b'"new_password": "\\u0000"}',
]


@pytest.mark.parametrize("body", UNSTORABLE, ids=["nul", "lone-surrogates", "nul-in-keys"])
async def test_text_no_database_can_store_is_a_400_everywhere(routes, caplog, body):
    app, admin, paths = routes
    for method, path in paths:
        response = await admin.client.open(
            path,
            method=method,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-CSRF-Token": admin.cookie("csrf_token"),
            },
        )
        await assert_bad_request(response, (method, path))
    anonymous = await app.test_client().post(
        "/api/auth/admin", data=body, headers={"Content-Type": "application/json"}
    )
    await assert_bad_request(anonymous, "anonymous sign-in")
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    "path", ["/api/admin/users?q=%00", "/api/admin/users?%00=x", "/api/admin/services/a%00b"]
)
async def test_a_nul_in_the_url_is_a_400(routes, caplog, path):
    _app, admin, _paths = routes
    method = "PUT" if path.startswith("/api/admin/services/") else "GET"
    await assert_bad_request(
        await admin.request(method, path, json={"enabled": True} if method == "PUT" else None), path
    )
    assert tracebacks(caplog) == []
