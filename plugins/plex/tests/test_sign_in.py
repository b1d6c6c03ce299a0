"""Sign in with Plex: the PIN flow and its refusals, against the plex.tv and Plex stand-ins."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from medianest.sdk import DecryptionError
from medianest.testing.clients import ApiClient, disable_admins, signed_in, stored_token
from medianest_plex.auth import PIN_COOKIE
from medianest_plex.models import PlexAccess


async def json_of(response) -> dict:
    return await response.get_json()


def core_of(app):
    return app.extensions["medianest"]


async def session_user(browser: ApiClient) -> dict:
    return (await json_of(await browser.get("/api/auth/session")))["data"]["user"]


def plex_names(user: dict) -> list[str]:
    """The Plex usernames the API shows linked to a user."""
    return [
        linked["username"] for linked in user["linked_accounts"] if linked["provider"] == "plex"
    ]


async def as_admin(app, path: str, body: dict) -> None:
    """`PUT path` as an admin would, through the admin API."""
    admin = await signed_in(app, "root", role="admin")
    response = await admin.put(path, json=body)
    assert response.status_code == 200, await response.get_data(as_text=True)


async def poll(browser: ApiClient, pin_id: int, **extra):
    return await browser.post("/api/auth/plex", json={"pin_id": pin_id, **extra})


# ---- the happy path ---------------------------------------------------------------------------


async def test_a_pin_is_strong_and_its_link_carries_this_install_and_the_code(
    plex_app, household, new_pin
):
    browser = ApiClient(plex_app)

    pin = await new_pin(browser)

    assert set(pin) == {"pin_id", "code", "auth_url", "expires_at"}
    assert len(pin["code"]) == 25  # a strong PIN, not the 4-character plex.tv/link kind
    link = urlsplit(pin["auth_url"])
    assert f"{link.scheme}://{link.netloc}" == household.plextv.url and link.path == "/link"
    query = parse_qs(link.query)
    assert query["code"] == [pin["code"]]
    assert query["clientID"] == [household.plextv.pin(pin["pin_id"]).client_identifier]
    assert query["context[device][product]"] == ["MediaNest"]


async def test_the_pin_cookie_is_http_only_and_strict(plex_app, new_pin):
    browser = ApiClient(plex_app)
    response = await browser.post("/api/auth/plex/pin")

    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith(f"{PIN_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie


async def test_polling_waits_until_the_pin_is_linked_then_signs_in(plex_app, household, new_pin):
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)

    waiting = await poll(browser, pin["pin_id"])
    assert waiting.status_code == 202
    assert (await json_of(waiting))["data"] == {"status": "waiting"}
    assert (await browser.get("/api/auth/session")).status_code == 401

    household.plextv.link_pin(pin["pin_id"], household.friend)
    done = await poll(browser, pin["pin_id"])

    assert done.status_code == 200
    body = (await json_of(done))["data"]
    assert body["must_change_password"] is False
    assert plex_names(body["user"]) == ["friend"] and body["user"]["role"] == "user"
    session = await browser.get("/api/auth/session")
    assert (await json_of(session))["data"]["user"]["username"] == "friend"


async def test_the_same_plex_account_signs_in_to_the_same_user_again(
    plex_app, household, sign_in_with_plex
):
    first = await sign_in_with_plex(plex_app, household.friend)
    second = await sign_in_with_plex(plex_app, household.friend)

    ids = [
        (await json_of(await b.get("/api/auth/session")))["data"]["user"]["id"]
        for b in (first, second)
    ]
    assert ids[0] == ids[1]
    assert (await core_of(plex_app).accounts.find("plex", str(household.friend.id))).user_id == ids[
        0
    ]


async def test_remember_me_sets_the_remember_cookie(plex_app, household, sign_in_with_plex):
    browser = await sign_in_with_plex(plex_app, household.friend, remember=True)
    assert browser.cookie("medianest_remember") is not None


async def test_a_plex_name_taken_locally_gets_a_new_local_name(
    plex_app, household, sign_in_with_plex
):
    await signed_in(plex_app, "friend")  # a local account already called "friend"
    browser = await sign_in_with_plex(plex_app, household.friend)

    user = await session_user(browser)
    assert user["username"] == "friend-2" and plex_names(user) == ["friend"]


# ---- roles ------------------------------------------------------------------------------------


async def test_the_owner_is_a_plain_user_while_an_admin_exists(
    plex_app, household, sign_in_with_plex
):
    # The core creates its bootstrap admin at start, so an admin always exists at first.
    assert await core_of(plex_app).users.active_admin_exists()
    browser = await sign_in_with_plex(plex_app, household.owner)

    user = await session_user(browser)
    assert user["role"] == "user"
    assert (await PlexAccess.get(user_id=user["id"])).owner is True


async def test_the_owner_becomes_admin_when_no_active_admin_exists(
    plex_app, household, sign_in_with_plex
):
    await disable_admins(plex_app)
    browser = await sign_in_with_plex(plex_app, household.owner)

    assert (await json_of(await browser.get("/api/auth/session")))["data"]["user"][
        "role"
    ] == "admin"


async def test_a_shared_user_never_becomes_admin_even_without_admins(
    plex_app, household, sign_in_with_plex
):
    await disable_admins(plex_app)
    browser = await sign_in_with_plex(plex_app, household.friend)

    assert (await json_of(await browser.get("/api/auth/session")))["data"]["user"]["role"] == "user"


async def test_the_role_is_decided_at_the_first_sign_in_only(
    plex_app, household, sign_in_with_plex
):
    await sign_in_with_plex(plex_app, household.owner)  # an admin exists: the owner is a user
    await disable_admins(plex_app)

    again = await sign_in_with_plex(plex_app, household.owner)

    assert (await json_of(await again.get("/api/auth/session")))["data"]["user"]["role"] == "user"


async def test_a_local_admin_links_their_plex_account_and_then_signs_in_with_it(
    plex_app, household, new_pin, sign_in_with_plex
):
    admin = await signed_in(plex_app, "root", role="admin")
    pin = await new_pin(admin)
    assert (
        await admin.post("/api/auth/plex/link", json={"pin_id": pin["pin_id"]})
    ).status_code == 202
    household.plextv.link_pin(pin["pin_id"], household.owner)

    linked = await admin.post("/api/auth/plex/link", json={"pin_id": pin["pin_id"]})
    assert linked.status_code == 200
    assert plex_names((await json_of(linked))["data"]["user"]) == ["owner"]

    browser = await sign_in_with_plex(plex_app, household.owner)
    user = await session_user(browser)
    assert user["username"] == "root" and user["role"] == "admin"


async def test_linking_a_plex_account_that_another_user_holds_conflicts(
    plex_app, household, new_pin, sign_in_with_plex
):
    await sign_in_with_plex(plex_app, household.friend)
    other = await signed_in(plex_app, "bob")
    pin = await new_pin(other)
    household.plextv.link_pin(pin["pin_id"], household.friend)

    response = await other.post("/api/auth/plex/link", json={"pin_id": pin["pin_id"]})

    assert response.status_code == 409
    bob = await session_user(other)
    assert await core_of(plex_app).accounts.of_user(bob["id"], "plex") is None
    assert plex_names(bob) == []


async def test_linking_needs_a_signed_in_user(plex_app, new_pin):
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)
    response = await browser.post("/api/auth/plex/link", json={"pin_id": pin["pin_id"]})
    assert response.status_code == 401


# ---- refusals ---------------------------------------------------------------------------------


async def test_a_stranger_without_access_to_the_server_is_forbidden(plex_app, household, new_pin):
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)
    household.plextv.link_pin(pin["pin_id"], household.stranger)

    response = await poll(browser, pin["pin_id"])

    assert response.status_code == 403
    error = (await json_of(response))["error"]
    assert error["code"] == "FORBIDDEN" and error["details"]["reason"] == "no_server_access"
    assert browser.cookie("medianest_session") is None
    assert await core_of(plex_app).accounts.find("plex", str(household.stranger.id)) is None


async def test_an_expired_pin_answers_410_pin_expired(plex_app, household, new_pin):
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)
    household.plextv.expire_pin(pin["pin_id"])

    response = await poll(browser, pin["pin_id"])

    assert response.status_code == 410
    assert (await json_of(response))["error"]["code"] == "PIN_EXPIRED"


async def test_a_pin_polled_from_another_browser_is_not_found(plex_app, household, new_pin):
    mine, theirs = ApiClient(plex_app), ApiClient(plex_app)
    pin = await new_pin(mine)
    household.plextv.link_pin(pin["pin_id"], household.friend)

    response = await poll(theirs, pin["pin_id"], remember_me=True)

    assert response.status_code == 404
    assert (await json_of(response))["error"]["code"] == "NOT_FOUND"
    assert theirs.cookie("medianest_session") is None
    assert (await poll(mine, pin["pin_id"])).status_code == 200  # still works where it started


async def test_another_browsers_pin_cookie_does_not_open_this_pin(plex_app, household, new_pin):
    mine, theirs = ApiClient(plex_app), ApiClient(plex_app)
    pin = await new_pin(mine)
    await new_pin(theirs)  # they hold a valid cookie, for their own PIN
    household.plextv.link_pin(pin["pin_id"], household.friend)

    assert (await poll(theirs, pin["pin_id"])).status_code == 404


async def test_an_unknown_pin_is_not_found(plex_app, new_pin):
    browser = ApiClient(plex_app)
    await new_pin(browser)
    assert (await poll(browser, 123456789)).status_code == 404


async def test_a_tampered_pin_cookie_is_not_found(plex_app, household, new_pin):
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)
    household.plextv.link_pin(pin["pin_id"], household.friend)
    sealed = browser.cookie(PIN_COOKIE)
    later = sealed.replace(".", ".9", 1)  # push the expiry out without the key
    browser.client.set_cookie("localhost", PIN_COOKIE, later)

    assert (await poll(browser, pin["pin_id"])).status_code == 404


async def test_a_pin_signs_in_once(plex_app, household, new_pin):
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)
    sealed = browser.cookie(PIN_COOKIE)
    household.plextv.link_pin(pin["pin_id"], household.friend)
    assert (await poll(browser, pin["pin_id"])).status_code == 200
    assert browser.cookie(PIN_COOKIE) is None  # cleared on success

    replay = ApiClient(plex_app)
    replay.client.set_cookie("localhost", PIN_COOKIE, sealed)
    response = await poll(replay, pin["pin_id"])

    assert response.status_code == 404
    assert replay.cookie("medianest_session") is None


async def test_a_bad_pin_body_is_a_validation_error(plex_app):
    response = await ApiClient(plex_app).post("/api/auth/plex", json={"pin_id": "seven"})
    assert response.status_code == 422
    assert "pin_id" in (await json_of(response))["error"]["details"]["fields"]


async def test_pin_creation_is_rate_limited_per_address(plex_app):
    browser = ApiClient(plex_app)
    statuses = [(await browser.post("/api/auth/plex/pin")).status_code for _ in range(21)]

    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    refused = await browser.post("/api/auth/plex/pin")
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await json_of(refused))["error"]["details"]["limit"] == 20


async def test_new_plex_accounts_are_refused_when_registration_is_closed(
    plex_app, household, new_pin, sign_in_with_plex
):
    await sign_in_with_plex(plex_app, household.owner)  # known before the door closed
    await as_admin(plex_app, "/api/admin/config", {"registration": {"providers": {"plex": False}}})
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)
    household.plextv.link_pin(pin["pin_id"], household.friend)

    response = await poll(browser, pin["pin_id"])

    assert response.status_code == 403
    assert (await json_of(response))["error"]["details"]["reason"] == "registration_closed"
    await sign_in_with_plex(plex_app, household.owner)  # a known account still gets in


async def test_a_disabled_user_cannot_sign_in_with_plex(
    plex_app, household, new_pin, sign_in_with_plex
):
    friend = await session_user(await sign_in_with_plex(plex_app, household.friend))
    await as_admin(plex_app, f"/api/admin/users/{friend['id']}", {"status": "disabled"})
    browser = ApiClient(plex_app)
    pin = await new_pin(browser)
    household.plextv.link_pin(pin["pin_id"], household.friend)

    response = await poll(browser, pin["pin_id"])

    assert response.status_code == 403
    assert browser.cookie("medianest_session") is None


async def test_sign_in_is_unavailable_until_an_admin_connects_plex(app_factory, household):
    import medianest_plex

    app = await app_factory(plugins=[medianest_plex])
    response = await ApiClient(app).post("/api/auth/plex/pin")

    assert response.status_code == 503
    error = (await json_of(response))["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE" and error["details"]["service"] == "plex"
    assert household.plextv.requests_to("/api/v2/pins") == []  # no PIN made for nothing


async def test_plex_tv_failing_answers_503_naming_plex_tv(plex_app, household):
    household.plextv.fail(500)
    try:
        response = await ApiClient(plex_app).post("/api/auth/plex/pin")
    finally:
        household.plextv.recover()

    assert response.status_code == 503
    assert (await json_of(response))["error"]["details"]["service"] == "plex.tv"


# ---- where plex.tv is ---------------------------------------------------------------------------


async def test_the_plex_tv_url_setting_wins_over_the_environment(
    make_plex_app, household, new_pin, monkeypatch
):
    monkeypatch.setenv("MEDIANEST_PLEX_TV_URL", "http://127.0.0.1:9")  # nothing answers there
    app = await make_plex_app()
    browser = ApiClient(app)
    assert (await browser.post("/api/auth/plex/pin")).status_code == 503

    await as_admin(
        app, "/api/admin/plugins/plex", {"settings": {"plex_tv_url": household.plextv.url}}
    )
    pin = await new_pin(browser)

    assert pin["auth_url"].startswith(f"{household.plextv.url}/link?")
    assert household.plextv.pin(pin["pin_id"]).code == pin["code"]  # made at the stand-in


@pytest.mark.parametrize("url", ["ftp://plex.example", "plex.tv", "https://", "https://a b.tv"])
async def test_a_plex_tv_url_that_is_not_a_web_address_is_refused(plex_app, url):
    admin = await signed_in(plex_app, "root", role="admin")

    response = await admin.put("/api/admin/plugins/plex", json={"settings": {"plex_tv_url": url}})

    assert response.status_code == 422
    assert "settings.plex_tv_url" in (await json_of(response))["error"]["details"]["fields"]
    plugins = (await json_of(await admin.get("/api/admin/plugins")))["data"]["items"]
    plex = next(plugin for plugin in plugins if plugin["name"] == "plex")
    assert plex["settings"]["plex_tv_url"] == "https://plex.tv"  # nothing written


async def test_the_plugin_disabled_closes_plex_sign_in(plex_app):
    core = plex_app.extensions["medianest"]
    await core.host.set_enabled("plex", False, core)

    response = await ApiClient(plex_app).post("/api/auth/plex/pin")

    assert response.status_code == 404
    assert (await json_of(response))["error"]["code"] == "PLUGIN_DISABLED"


# ---- what is stored ---------------------------------------------------------------------------


async def test_tokens_are_stored_encrypted_and_bound_to_the_user(
    plex_app, household, sign_in_with_plex
):
    browser = await sign_in_with_plex(plex_app, household.friend)
    core = core_of(plex_app)
    user_id = (await session_user(browser))["id"]
    stored = await stored_token(plex_app, "plex", user_id)
    access = await PlexAccess.get(user_id=user_id)

    assert stored is not None and household.friend.token not in stored
    assert household.friend_token not in access.server_token
    assert await core.accounts.token("plex", user_id) == household.friend.token
    assert (
        core.secrets.decrypt(stored, context=f"users|plex_token|{user_id}")
        == household.friend.token
    )
    decrypted = core.secrets.decrypt(
        access.server_token, context=f"plex_access|server_token|{user_id}"
    )
    assert decrypted == household.friend_token  # the share's own token, not the account's
    with pytest.raises(DecryptionError):  # a token moved to another row must not decrypt
        core.secrets.decrypt(stored, context="users|plex_token|someone-else")
    assert sorted(access.library_ids) == sorted([str(household.movies.id), str(household.shows.id)])
