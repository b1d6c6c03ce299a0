"""The sign-in throttle on both backends: every attempt is counted before its password is
checked, and a browser that signed in before keeps its own limit (a device cookie), so somebody
else's burst against the account does not lock its owner out."""

from __future__ import annotations

import asyncio

import pytest

from medianest.testing.clients import DEFAULT_PASSWORD, ApiClient, create_user

SIGN_IN = "/api/auth/admin"
DEVICE = "medianest_device"


async def attempt(browser: ApiClient, password: str, username: str = "bob") -> int:
    return (
        await browser.post(SIGN_IN, json={"username": username, "password": password})
    ).status_code


async def burst(app, count: int, username: str = "bob") -> list[int]:
    """`count` wrong passwords from fresh browsers (no device cookie), all at once."""
    return list(
        await asyncio.gather(
            *(attempt(ApiClient(app), "wrong guess", username) for _ in range(count))
        )
    )


async def trusted_browser(app, username: str = "bob") -> ApiClient:
    browser = ApiClient(app)
    await browser.sign_in(username)
    assert browser.cookie(DEVICE), "a successful sign-in leaves a device cookie"
    return browser


async def test_a_concurrent_burst_is_counted_before_any_password_is_checked(app):
    await create_user(app, "bob")
    codes = await burst(app, 40)
    assert codes.count(401) == 10, codes  # exactly the account's limit was checked
    assert codes.count(429) == 30, codes


async def test_a_known_browser_signs_in_through_somebody_elses_burst(app):
    await create_user(app, "bob")
    laptop = await trusted_browser(app)
    await burst(app, 12)
    assert (
        await attempt(ApiClient(app), DEFAULT_PASSWORD) == 429
    )  # a new browser waits out the lock
    assert await attempt(laptop, DEFAULT_PASSWORD) == 200


async def test_a_known_browser_has_its_own_limit(app):
    await create_user(app, "bob")
    laptop, phone = await trusted_browser(app), await trusted_browser(app)
    codes = [await attempt(laptop, "wrong guess") for _ in range(11)]
    assert codes == [401] * 10 + [429]
    assert await attempt(laptop, DEFAULT_PASSWORD) == 429  # this device is locked out now
    assert await attempt(phone, DEFAULT_PASSWORD) == 200  # the owner's other device is not
    assert await attempt(ApiClient(app), DEFAULT_PASSWORD) == 200  # nor the account


async def test_a_device_cookie_vouches_for_its_own_account_only(app):
    await create_user(app, "bob")
    await create_user(app, "carol")
    bobs_laptop = await trusted_browser(app, "bob")
    await burst(app, 12, "carol")
    assert await attempt(bobs_laptop, DEFAULT_PASSWORD, "carol") == 429
    assert await attempt(bobs_laptop, DEFAULT_PASSWORD, "bob") == 200


@pytest.mark.parametrize(
    "forged", ["", "garbage", "AAAAAAAAAAAAAAAAAAAAAA.0123456789abcdef0123456789abcdef"]
)
async def test_a_forged_device_cookie_is_an_unknown_browser(app, forged):
    await create_user(app, "bob")
    laptop = await trusted_browser(app)
    stolen_nonce = laptop.cookie(DEVICE).split(".")[0]
    await burst(app, 12)
    for value in (forged, f"{stolen_nonce}.{'0' * 32}"):
        browser = ApiClient(app)
        browser.client.set_cookie("localhost", DEVICE, value)
        assert await attempt(browser, DEFAULT_PASSWORD) == 429


async def test_the_device_cookie_is_http_only_strict_and_long_lived(app):
    await create_user(app, "bob")
    response = await ApiClient(app).sign_in("bob")
    header = next(
        value for value in response.headers.getlist("Set-Cookie") if value.startswith(DEVICE + "=")
    )
    lowered = header.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert "max-age=" in lowered and int(lowered.split("max-age=")[1].split(";")[0]) >= 90 * 86400


async def test_the_device_cookie_is_a_host_cookie_over_https(app_factory):
    app = await app_factory(public_url="https://media.example")
    await create_user(app, "bob")
    response = await ApiClient(app).sign_in("bob")
    names = [value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie")]
    assert f"__Host-{DEVICE}" in names


async def test_successful_sign_ins_give_their_count_back(app):
    """Sign-ins that succeed never add up to a lock: only failures stay counted."""
    await create_user(app, "bob")
    for _ in range(12):
        assert await attempt(ApiClient(app), DEFAULT_PASSWORD) == 200
    assert await attempt(ApiClient(app), "wrong guess") == 401
