"""Sign-in, sessions, CSRF, remember-me, API tokens and throttling, on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from medianest.auth.models import RememberToken, Session, User
from medianest.auth.sessions import now
from medianest.testing.clients import DEFAULT_PASSWORD, ApiClient, create_user, signed_in
from medianest.testing.pytest_plugin import BOOTSTRAP_PASSWORD

NEW_PASSWORD = "a brand new household password"


async def code_of(response) -> str:
    return (await response.get_json())["error"]["code"]


def set_cookie_headers(response) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}


async def test_bootstrap_admin_must_change_password_first(app):
    browser = ApiClient(app)
    response = await browser.sign_in("admin", BOOTSTRAP_PASSWORD)
    assert (await response.get_json())["data"]["must_change_password"] is True

    blocked = await browser.get("/api/auth/tokens")
    assert blocked.status_code == 403 and await code_of(blocked) == "PASSWORD_CHANGE_REQUIRED"
    assert (await browser.get("/api/auth/session")).status_code == 200

    weak = await browser.post(
        "/api/auth/password", json={"current_password": BOOTSTRAP_PASSWORD, "new_password": "short"}
    )
    assert (
        weak.status_code == 422
        and "new_password" in (await weak.get_json())["error"]["details"]["fields"]
    )

    changed = await browser.post(
        "/api/auth/password",
        json={"current_password": BOOTSTRAP_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200
    assert (await browser.get("/api/auth/tokens")).status_code == 200
    assert (
        await ApiClient(app).post(
            "/api/auth/admin", json={"username": "admin", "password": NEW_PASSWORD}
        )
    ).status_code == 200


async def test_wrong_password_and_unknown_user_look_the_same(app):
    await create_user(app, "bob")
    wrong = await ApiClient(app).post(
        "/api/auth/admin", json={"username": "bob", "password": "nope"}
    )
    unknown = await ApiClient(app).post(
        "/api/auth/admin", json={"username": "nobody", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (await wrong.get_json())["error"] == (await unknown.get_json())["error"]


async def test_session_cookie_attributes(app):
    await create_user(app, "bob")
    response = await ApiClient(app).sign_in("bob")
    cookies = set_cookie_headers(response)
    session = cookies["medianest_session"].lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    assert "httponly" not in cookies["csrf_token"].lower()
    body = (await response.get_data()).decode()
    assert cookies["medianest_session"].split("=", 1)[1].split(";")[0] not in body


async def test_every_sign_in_gets_a_new_session_and_the_old_one_dies(app):
    await create_user(app, "bob")
    browser = ApiClient(app)
    await browser.sign_in("bob")
    first = browser.cookie("medianest_session")
    await browser.sign_in("bob")
    assert browser.cookie("medianest_session") != first
    stale = app.test_client()
    response = await stale.get(
        "/api/auth/session", headers={"Cookie": f"medianest_session={first}"}
    )
    assert response.status_code == 401


async def test_replayed_cookie_after_logout_is_refused(app):
    browser = await signed_in(app, "bob")
    token = browser.cookie("medianest_session")
    assert (await browser.post("/api/auth/logout")).status_code == 200
    replay = await app.test_client().get(
        "/api/auth/session", headers={"Cookie": f"medianest_session={token}"}
    )
    assert replay.status_code == 401 and await code_of(replay) == "UNAUTHENTICATED"


async def test_cookie_post_without_csrf_header_is_refused(app):
    browser = await signed_in(app, "bob")
    refused = await browser.post("/api/auth/tokens", json={"name": "x"}, csrf=False)
    assert refused.status_code == 403 and await code_of(refused) == "FORBIDDEN"
    wrong = await browser.post(
        "/api/auth/tokens", json={"name": "x"}, csrf=False, headers={"X-CSRF-Token": "0" * 64}
    )
    assert wrong.status_code == 403
    assert (await browser.post("/api/auth/tokens", json={"name": "x"})).status_code == 201


async def test_cross_site_origin_is_refused(app):
    browser = await signed_in(app, "bob")
    response = await browser.post(
        "/api/auth/tokens", json={"name": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    same = await browser.post(
        "/api/auth/tokens", json={"name": "x"}, headers={"Origin": "http://localhost"}
    )
    assert same.status_code == 201


async def test_password_change_ends_other_sessions_and_remember_tokens(app):
    await create_user(app, "bob")
    laptop, phone = ApiClient(app), ApiClient(app)
    await laptop.sign_in("bob")
    await phone.sign_in("bob", remember=True)
    changed = await laptop.post(
        "/api/auth/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200
    assert (await laptop.get("/api/auth/session")).status_code == 200
    assert (await phone.get("/api/auth/session")).status_code == 401
    assert await RememberToken.all().count() == 0


async def test_disabled_or_deleted_user_is_signed_out_at_once(app):
    auth = app.extensions["medianest"].auth
    browser = await signed_in(app, "bob")
    assert (await browser.get("/api/auth/session")).status_code == 200  # now cached
    bob = await User.get(username="bob")
    await User.filter(id=bob.id).update(status="disabled")
    await auth.invalidate_user(bob.id)  # what the admin API does with every user change
    assert (await browser.get("/api/auth/session")).status_code == 401
    other = await signed_in(app, "carol")
    assert (await other.get("/api/auth/session")).status_code == 200
    carol = await User.get(username="carol")
    await auth.revoke_user(carol.id)
    await User.filter(id=carol.id).delete()
    assert (await other.get("/api/auth/session")).status_code == 401


async def test_idle_and_absolute_expiry(app):
    idle = await signed_in(app, "bob")
    old = now() - timedelta(days=2)
    await Session.filter(user__username="bob").update(last_seen_at=old)
    assert (await idle.get("/api/auth/session")).status_code == 401

    lived = await signed_in(app, "carol")
    await Session.filter(user__username="carol").update(expires_at=now() - timedelta(seconds=1))
    assert (await lived.get("/api/auth/session")).status_code == 401


def remember_only(app, token: str):
    client = app.test_client()
    return client, {"Cookie": f"medianest_remember={token}"}


async def test_remember_me_signs_in_once_and_rotates(app):
    browser = await signed_in(app, "bob", remember=True)
    first = browser.cookie("medianest_remember")
    client, headers = remember_only(app, first)
    response = await client.get("/api/auth/session", headers=headers)
    assert response.status_code == 200
    cookies = set_cookie_headers(response)
    assert "medianest_session" in cookies and "medianest_remember" in cookies
    rotated = cookies["medianest_remember"].split("=", 1)[1].split(";")[0]
    assert rotated != first
    new_session = cookies["medianest_session"].split("=", 1)[1].split(";")[0]

    # The spent token comes back: someone copied it. The whole family ends.
    replay_client, replay_headers = remember_only(app, first)
    assert (await replay_client.get("/api/auth/session", headers=replay_headers)).status_code == 401
    after = await app.test_client().get(
        "/api/auth/session", headers={"Cookie": f"medianest_session={new_session}"}
    )
    assert after.status_code == 401
    rotated_client, rotated_headers = remember_only(app, rotated)
    assert (
        await rotated_client.get("/api/auth/session", headers=rotated_headers)
    ).status_code == 401


async def test_concurrent_remember_redemption_has_one_winner(app):
    browser = await signed_in(app, "bob", remember=True)
    token = browser.cookie("medianest_remember")

    async def attempt():
        client, headers = remember_only(app, token)
        return (await client.get("/api/auth/session", headers=headers)).status_code

    codes = await asyncio.gather(*(attempt() for _ in range(50)))
    assert codes.count(200) == 1, codes
    assert codes.count(401) == 49


async def test_api_tokens_are_shown_once_and_revocable(app):
    bob = await signed_in(app, "bob")
    created = await bob.post("/api/auth/tokens", json={"name": "script"})
    data = (await created.get_json())["data"]
    token = data["token"]
    assert token.startswith("mn_")
    listed = (await (await bob.get("/api/auth/tokens")).get_json())["data"]
    assert listed["total"] == 1 and "token" not in listed["items"][0]
    assert token not in str(listed)

    bearer = {"Authorization": f"Bearer {token}"}
    script = app.test_client()
    assert (await script.get("/api/auth/session", headers=bearer)).status_code == 200
    # Bearer requests carry no cookie, so they need no CSRF header.
    assert (
        await script.post("/api/auth/tokens", json={"name": "second"}, headers=bearer)
    ).status_code == 201

    carol = await signed_in(app, "carol")
    assert (await carol.delete(f"/api/auth/tokens/{data['id']}")).status_code == 404
    assert (await bob.delete(f"/api/auth/tokens/{data['id']}")).status_code == 200
    assert (await script.get("/api/auth/session", headers=bearer)).status_code == 401
    assert (
        await script.get("/api/auth/session", headers={"Authorization": "Bearer mn_forged"})
    ).status_code == 401


async def test_failed_sign_ins_are_throttled_per_account(app):
    await create_user(app, "bob")
    codes = []
    for _ in range(11):
        response = await ApiClient(app).post(
            "/api/auth/admin", json={"username": "bob", "password": "guess"}
        )
        codes.append(response.status_code)
    assert codes[:10] == [401] * 10 and codes[10] == 429
    body = await response.get_json()
    assert int(response.headers["Retry-After"]) >= 1
    assert body["error"]["details"]["limit"] == 10 and body["error"]["details"]["window"] == 900
    # Even the right password waits now: the account is locked for the window.
    assert (
        await ApiClient(app).post(
            "/api/auth/admin", json={"username": "bob", "password": DEFAULT_PASSWORD}
        )
    ).status_code == 429


async def test_failed_sign_ins_are_throttled_per_address(app):
    codes = []
    for index in range(31):
        response = await ApiClient(app).post(
            "/api/auth/admin", json={"username": f"user{index}", "password": "x"}
        )
        codes.append(response.status_code)
    assert codes.count(401) == 30 and codes[-1] == 429


async def test_concurrent_api_requests_over_the_limit(app):
    core = app.extensions["medianest"]
    await core.system.update({"rate_limits": {"api": {"limit": 5, "window": 60}}})
    bob = await signed_in(app, "bob")
    responses = await asyncio.gather(*(bob.get("/api/auth/tokens") for _ in range(12)))
    codes = [response.status_code for response in responses]
    assert codes.count(200) == 5 and codes.count(429) == 7
    limited = next(response for response in responses if response.status_code == 429)
    details = (await limited.get_json())["error"]["details"]
    assert details == {"limit": 5, "window": 60, "retryAfter": int(limited.headers["Retry-After"])}


async def test_anonymous_gets_401_before_the_body_is_validated(app):
    response = await app.test_client().post("/api/auth/tokens", json={"wrong": True})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "payload", [{}, {"username": "", "password": "x"}, {"username": "a" * 65, "password": "x"}]
)
async def test_sign_in_validation(app, payload):
    response = await ApiClient(app).post("/api/auth/admin", json=payload)
    assert response.status_code == 422 and await code_of(response) == "VALIDATION_ERROR"
