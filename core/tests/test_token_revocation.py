"""Personal API tokens end with everything else: a password change, "sign out everywhere", a role
or status change, and a plugin's report that the person lost access all revoke them, on both
backends. Admins list and revoke a user's tokens."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from quart.testing.connections import WebsocketDisconnectError

from medianest.auth.models import ApiToken, User
from medianest.realtime import CLOSE_UNAUTHENTICATED
from medianest.testing.clients import DEFAULT_PASSWORD, ApiClient, signed_in

WAIT = 10.0  # guards against hanging forever; never an expectation about speed


async def token_of(browser: ApiClient, name: str = "script") -> str:
    created = await browser.post("/api/auth/tokens", json={"name": name})
    assert created.status_code == 201, await created.get_data()
    return (await created.get_json())["data"]["token"]


async def bearer_status(
    app: Any, token: str, method: str = "GET", path: str = "/api/auth/session"
) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": "minted"} if method == "POST" else None
    return (
        await app.test_client().open(path, method=method, json=body, headers=headers)
    ).status_code


async def socket_close_code(app: Any, token: str) -> int | None:
    """How `/ws/status` ends for a socket that sends `token` first (None: it was let in)."""
    async with app.test_client().websocket("/ws/status") as ws:
        await ws.send(json.dumps({"token": token}))
        try:
            first = json.loads(await asyncio.wait_for(ws.receive(), WAIT))
        except WebsocketDisconnectError as closed:
            return closed.args[0]
        assert first["event"] == "ready"
        return None


async def assert_dead(app: Any, token: str) -> None:
    assert await bearer_status(app, token) == 401
    assert await bearer_status(app, token, "POST", "/api/auth/tokens") == 401  # cannot mint another
    assert await socket_close_code(app, token) == CLOSE_UNAUTHENTICATED


async def user_id(username: str) -> str:
    return str((await User.get(username=username)).id)


@pytest.fixture
async def bob(app):
    """(bob's browser, bob's token), the token proven to work before the test acts."""
    browser = await signed_in(app, "bob")
    token = await token_of(browser)
    assert await bearer_status(app, token) == 200
    assert await socket_close_code(app, token) is None
    return browser, token


async def test_a_password_change_revokes_the_tokens(app, bob):
    browser, token = bob
    changed = await browser.post(
        "/api/auth/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a new long password 2"},
    )
    assert changed.status_code == 200
    await assert_dead(app, token)
    assert (
        await browser.get("/api/auth/session")
    ).status_code == 200  # the browser that changed it stays


async def test_sign_out_everywhere_revokes_the_tokens(app, bob, admin_client):
    _, token = bob
    ended = await admin_client.delete(f"/api/admin/users/{await user_id('bob')}/sessions")
    assert ended.status_code == 200
    assert (await ended.get_json())["data"]["tokens"] == 1
    await assert_dead(app, token)


@pytest.mark.parametrize("change", [{"role": "admin"}, {"status": "disabled"}])
async def test_a_role_or_status_change_revokes_the_tokens(app, bob, admin_client, change):
    _, token = bob
    changed = await admin_client.put(f"/api/admin/users/{await user_id('bob')}", json=change)
    assert changed.status_code == 200
    if change.get("status") == "disabled":
        await admin_client.put(
            f"/api/admin/users/{await user_id('bob')}", json={"status": "active"}
        )
    await assert_dead(app, token)


async def test_a_permission_change_keeps_the_tokens(app, bob, admin_client):
    _, token = bob
    changed = await admin_client.put(
        f"/api/admin/users/{await user_id('bob')}", json={"permissions": {"media.request": False}}
    )
    assert changed.status_code == 200, await changed.get_data()
    assert await bearer_status(app, token) == 200


async def test_lost_external_access_revokes_the_tokens(app, bob):
    """What a plugin calls when the person lost access to its service (Plex: `revoke_user`)."""
    _, token = bob
    await app.extensions["medianest"].auth.revoke_user(await user_id("bob"))
    await assert_dead(app, token)


async def test_a_cached_bearer_actor_goes_with_the_token(app, bob):
    _, token = bob
    assert await bearer_status(app, token) == 200  # the actor is in the cache now
    await app.extensions["medianest"].auth.revoke_user(await user_id("bob"))
    assert await bearer_status(app, token) == 401


# ---- admins list and revoke a user's tokens ----------------------------------------------------


async def test_an_admin_lists_a_users_tokens_without_their_secret(app, bob, admin_client):
    _, token = bob
    listed = await admin_client.get(f"/api/admin/users/{await user_id('bob')}/tokens")
    assert listed.status_code == 200
    body = await listed.get_json()
    assert body["data"]["total"] == 1
    item = body["data"]["items"][0]
    assert item["name"] == "script" and item["prefix"] == token[:10]
    assert token not in json.dumps(body) and "token_hash" not in item


async def test_an_admin_revokes_one_token(app, bob, admin_client):
    browser, token = bob
    other = await token_of(browser, "other")
    row = await ApiToken.get(prefix=token[:10])
    revoked = await admin_client.delete(f"/api/admin/users/{await user_id('bob')}/tokens/{row.id}")
    assert revoked.status_code == 200
    assert await bearer_status(app, token) == 401
    assert await bearer_status(app, other) == 200
    assert (await browser.get("/api/auth/session")).status_code == 200  # only the token ends
    entry = await admin_client.get("/api/admin/audit")
    actions = [item["action"] for item in (await entry.get_json())["data"]["items"]]
    assert "admin.token_revoked" in actions


async def test_another_users_token_is_404(app, bob, admin_client):
    _, token = bob
    carol = await signed_in(app, "carol")
    await token_of(carol)
    bobs = await ApiToken.get(prefix=token[:10])
    path = f"/api/admin/users/{await user_id('carol')}/tokens/{bobs.id}"
    refused = await admin_client.delete(path)
    assert refused.status_code == 404
    assert (await refused.get_json())["error"]["code"] == "NOT_FOUND"
    assert await bearer_status(app, token) == 200
    unknown = await admin_client.delete(
        f"/api/admin/users/{await user_id('bob')}/tokens/{uuid.uuid4()}"
    )
    assert unknown.status_code == 404
    nobody = await admin_client.get(f"/api/admin/users/{uuid.uuid4()}/tokens")
    assert nobody.status_code == 404


async def test_plain_users_and_anonymous_callers_are_refused(app, bob, user_client):
    _, token = bob
    bobs = await ApiToken.get(prefix=token[:10])
    bob_id = await user_id("bob")
    for method, path in (
        ("GET", f"/api/admin/users/{bob_id}/tokens"),
        ("DELETE", f"/api/admin/users/{bob_id}/tokens/{bobs.id}"),
    ):
        forbidden = await user_client.request(method, path)
        assert forbidden.status_code == 403, (method, path)
        anonymous = await ApiClient(app).request(method, path)
        assert anonymous.status_code == 401, (method, path)
        as_bob = await app.test_client().open(
            path, method=method, headers={"Authorization": f"Bearer {token}"}
        )
        assert as_bob.status_code == 403, (method, path)
    assert await bearer_status(app, token) == 200
