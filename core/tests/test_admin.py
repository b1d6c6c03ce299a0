"""The admin API on both backends: who may call it, users, services, plugins, config, audit."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from click.testing import CliRunner

import medianest_uptime_kuma
from admin_support import Guarded, Watch, closed_port, code, data
from medianest.auth.models import Session, User
from medianest.cli import main
from medianest.config.models import ServiceConnection
from medianest.config.services import key_context
from medianest.plugins.models import PluginStateRow
from medianest.testing.clients import ApiClient, create_user, signed_in
from medianest_uptime_kuma.testing import DEFAULT_API_KEY, FakeUptimeKuma

SERVICE_KEY = "uk1_kumaKeyForTheAdminTests0123456789"

# Every admin route, with placeholders the tests fill in. A test checks this list against the app.
ADMIN_ROUTES = [
    ("GET", "/api/admin/users"),
    ("GET", "/api/admin/permissions"),
    ("GET", "/api/admin/users/{user}"),
    ("PUT", "/api/admin/users/{user}"),
    ("DELETE", "/api/admin/users/{user}"),
    ("DELETE", "/api/admin/users/{user}/sessions"),
    ("GET", "/api/admin/users/{user}/tokens"),
    ("DELETE", "/api/admin/users/{user}/tokens/{token}"),
    ("GET", "/api/admin/services"),
    ("PUT", "/api/admin/services/{plugin}"),
    ("POST", "/api/admin/services/test"),
    ("GET", "/api/admin/plugins"),
    ("PUT", "/api/admin/plugins/{plugin}"),
    ("GET", "/api/admin/config"),
    ("GET", "/api/admin/config/labels"),
    ("PUT", "/api/admin/config"),
    ("GET", "/api/admin/audit"),
]
GARBAGE_BODIES = [
    {"json": {"role": "admin", "status": "active", "url": "ftp://x", "name": 5, "extra": [1, 2]}},
    {"json": ["not", "an", "object"]},
    {"json": None},
]


@pytest.fixture
async def watch(app_factory):
    """(app, plugin, admin client, user client) with the Watch plugin loaded."""
    plugin = Watch()
    app = await app_factory(plugins=[plugin])
    admin = await signed_in(app, "root", role="admin")
    user = await signed_in(app, "alice")
    return app, plugin, admin, user


def fill(path: str, app, plugin: Watch, user_id: str) -> str:
    return path.format(user=user_id, plugin=plugin.id, token=uuid.uuid4())


async def user_id(app, username: str) -> str:
    return str((await User.get(username=username)).id)


# ---- who may call ------------------------------------------------------------------------


async def test_the_route_table_lists_every_admin_route(watch):
    app = watch[0]
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/admin/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {
        (
            method,
            path.replace("{user}", "<uuid:user_id>")
            .replace("{plugin}", "<name>")
            .replace("{token}", "<uuid:token_id>"),
        )
        for method, path in ADMIN_ROUTES
    }
    assert served == listed


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_a_plain_user_gets_403_whatever_the_body(watch, method, path):
    app, plugin, _admin, user = watch
    target = fill(path, app, plugin, await user_id(app, "alice"))
    for body in GARBAGE_BODIES:
        response = await user.request(method, target, **body)
        assert response.status_code == 403, (method, target, body)
        assert await code(response) == "FORBIDDEN"
    text = await user.request(method, target, headers={"Content-Type": "text/plain"})
    assert text.status_code == 403
    assert await User.filter(username="alice", role="user", status="active").exists()


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_anonymous_gets_401(watch, method, path):
    app, plugin, _admin, _user = watch
    target = fill(path, app, plugin, await user_id(app, "alice"))
    response = await ApiClient(app).request(method, target, json={"role": "admin"})
    assert response.status_code == 401
    assert await code(response) == "UNAUTHENTICATED"


# ---- users -------------------------------------------------------------------------------


async def test_users_are_listed_filtered_and_paged(watch):
    app, _plugin, admin, _user = watch
    for name in ("bob", "bobby", "carol"):
        await create_user(app, name)
    everyone = await data(await admin.get("/api/admin/users"))
    names = [item["username"] for item in everyone["items"]]
    assert names == sorted(names) and {"root", "alice", "bob", "bobby", "carol", "admin"} <= set(
        names
    )
    assert everyone["total"] == len(names)
    alice = next(item for item in everyone["items"] if item["username"] == "alice")
    assert alice["role"] == "user" and alice["status"] == "active" and alice["last_login_at"]
    assert "media.request" in alice["permissions"] and alice["grants"] == {}
    assert not {"password_hash", "plex_token"} & set(alice)

    bobs = await data(await admin.get("/api/admin/users?q=BOB"))
    assert [item["username"] for item in bobs["items"]] == ["bob", "bobby"] and bobs["total"] == 2
    page = await data(await admin.get("/api/admin/users?q=bob&offset=1&limit=1"))
    assert [item["username"] for item in page["items"]] == ["bobby"]
    assert (page["total"], page["offset"], page["limit"]) == (2, 1, 1)
    bad = await admin.get("/api/admin/users?limit=0")
    assert (
        bad.status_code == 422 and "limit" in (await bad.get_json())["error"]["details"]["fields"]
    )


@pytest.mark.parametrize("bad_id", ["missing", "not-a-uuid", "1", "%2e%2e", "x" * 300])
async def test_unknown_or_malformed_user_ids_are_404(watch, bad_id):
    _app, _plugin, admin, _user = watch
    user_ref = str(uuid.uuid4()) if bad_id == "missing" else bad_id
    for method, suffix, body in [
        ("GET", "", None),
        ("PUT", "", {"role": "user"}),
        ("DELETE", "", None),
        ("DELETE", "/sessions", None),
    ]:
        response = await admin.request(method, f"/api/admin/users/{user_ref}{suffix}", json=body)
        assert response.status_code == 404, (method, suffix)


async def test_an_admin_cannot_demote_disable_or_delete_themselves(watch):
    app, _plugin, admin, _user = watch
    me = await user_id(app, "root")
    for change in (
        {"role": "user"},
        {"status": "disabled"},
        {"role": "user", "status": "disabled"},
    ):
        response = await admin.put(f"/api/admin/users/{me}", json=change)
        assert response.status_code == 409 and await code(response) == "CONFLICT"
    assert (await admin.delete(f"/api/admin/users/{me}")).status_code == 409
    assert await User.filter(username="root", role="admin", status="active").exists()
    same = await admin.put(f"/api/admin/users/{me}", json={"role": "admin", "status": "active"})
    assert same.status_code == 200  # no power lost: allowed


async def test_two_admins_demoting_each_other_leave_one_admin(watch):
    app, _plugin, admin, _user = watch
    await User.filter(username="admin").update(
        status="disabled"
    )  # the bootstrap admin is not in play
    other = await signed_in(app, "ops", role="admin")
    root_id, ops_id = await user_id(app, "root"), await user_id(app, "ops")
    first, second = await asyncio.gather(
        admin.put(f"/api/admin/users/{ops_id}", json={"role": "user"}),
        other.put(f"/api/admin/users/{root_id}", json={"role": "user"}),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses[0] == 200 and statuses[1] in (401, 403, 409)
    assert await User.filter(role="admin", status="active").count() == 1


async def test_the_last_active_admin_cannot_be_deleted_or_disabled(watch):
    app, _plugin, admin, _user = watch
    await User.filter(username="admin").update(status="disabled")
    ops = await signed_in(app, "ops", role="admin")
    ops_id = await user_id(app, "ops")
    assert (
        await admin.put(f"/api/admin/users/{ops_id}", json={"status": "disabled"})
    ).status_code == 200
    assert (await ops.get("/api/admin/users")).status_code == 401  # disabled: signed out at once
    # root is now the only active admin; a disabled admin may go, root may not.
    assert (await admin.delete(f"/api/admin/users/{ops_id}")).status_code == 200
    assert await User.filter(role="admin", status="active").count() == 1


async def test_disabling_a_user_ends_their_sessions_at_once(watch):
    app, _plugin, admin, _user = watch
    await create_user(app, "bob")
    bob = ApiClient(app)
    await bob.sign_in("bob", remember=True)
    assert (await bob.get("/api/auth/session")).status_code == 200
    bob_id = await user_id(app, "bob")

    changed = await admin.put(f"/api/admin/users/{bob_id}", json={"status": "disabled"})
    assert changed.status_code == 200 and (await data(changed))["status"] == "disabled"
    assert (
        await bob.get("/api/auth/session")
    ).status_code == 401  # neither session nor remember cookie
    refused = await ApiClient(app).post(
        "/api/auth/admin", json={"username": "bob", "password": "a long test password 1"}
    )
    assert refused.status_code == 401

    assert (
        await admin.put(f"/api/admin/users/{bob_id}", json={"status": "active"})
    ).status_code == 200
    await ApiClient(app).sign_in("bob")


async def test_a_role_change_applies_to_the_next_request(watch):
    app, _plugin, admin, _user = watch
    carol = await signed_in(app, "carol")
    carol_id = await user_id(app, "carol")
    assert (await carol.get("/api/admin/users")).status_code == 403

    promoted = await admin.put(f"/api/admin/users/{carol_id}", json={"role": "admin"})
    assert (await data(promoted))["role"] == "admin"
    assert (
        await carol.get("/api/admin/users")
    ).status_code == 401  # old session ended: sign in again
    await carol.sign_in("carol")
    assert (await carol.get("/api/admin/users")).status_code == 200

    await admin.put(f"/api/admin/users/{carol_id}", json={"role": "user"})
    await carol.sign_in("carol")
    assert (await carol.get("/api/admin/users")).status_code == 403


async def test_per_user_permissions_grant_revoke_and_reset(watch):
    app, _plugin, admin, user = watch
    alice_id = await user_id(app, "alice")

    async def listed() -> list[str]:
        return (await data(await user.get("/api/auth/session")))["user"]["permissions"]

    assert "media.request" in await listed()
    revoked = await admin.put(
        f"/api/admin/users/{alice_id}", json={"permissions": {"media.request": False}}
    )
    assert (await data(revoked))["grants"] == {"media.request": False}
    assert "media.request" not in await listed()
    reset = await admin.put(
        f"/api/admin/users/{alice_id}", json={"permissions": {"media.request": None}}
    )
    assert (await data(reset))["grants"] == {}
    assert "media.request" in await listed()


async def test_every_declared_permission_is_listed_with_its_default_roles(app_factory):
    app = await app_factory(plugins=[Guarded()])
    admin = await signed_in(app, "root", role="admin")
    listed = await data(await admin.get("/api/admin/permissions"))
    by_name = {item["name"]: item for item in listed["items"]}
    assert listed["total"] == len(listed["items"])
    assert by_name["media.request"] == {
        "name": "media.request",
        "description": "Search for and request movies and shows",
        "plugin": "core",
        "default_roles": ["admin", "user"],
    }
    assert by_name["guarded.use"]["plugin"] == "guarded"
    assert by_name["guarded.use"]["default_roles"] == ["admin"]  # admins hold every permission


async def test_unknown_permissions_and_unknown_fields_are_422(watch):
    app, _plugin, admin, _user = watch
    alice_id = await user_id(app, "alice")
    for body, field in [
        ({"permissions": {"made.up": True}}, "permissions.made.up"),
        ({"role": "superuser"}, "role"),
        ({"status": "banned"}, "status"),
        ({"password_hash": "x"}, "password_hash"),
        ({"permissions": {"media.request": "yes"}}, "permissions.media.request"),
    ]:
        response = await admin.put(f"/api/admin/users/{alice_id}", json=body)
        assert response.status_code == 422, body
        assert field in (await response.get_json())["error"]["details"]["fields"], body
    alice = await User.get(id=alice_id)
    assert (alice.role, alice.status) == ("user", "active")


async def test_deleting_a_user_and_ending_their_sessions(watch):
    app, _plugin, admin, user = watch
    bob = await signed_in(app, "bob")
    bob_id, alice_id = await user_id(app, "bob"), await user_id(app, "alice")

    ended = await admin.delete(f"/api/admin/users/{alice_id}/sessions")
    assert ended.status_code == 200 and (await data(ended))["ended"] >= 1
    assert (await user.get("/api/auth/session")).status_code == 401

    assert (await admin.delete(f"/api/admin/users/{bob_id}")).status_code == 200
    assert (await bob.get("/api/auth/session")).status_code == 401
    assert (await admin.get(f"/api/admin/users/{bob_id}")).status_code == 404
    assert (await admin.delete(f"/api/admin/users/{bob_id}")).status_code == 404


# ---- services ----------------------------------------------------------------------------


async def test_a_service_key_is_write_only_and_encrypted_at_rest(watch):
    app, plugin, admin, _user = watch
    core = app.extensions["medianest"]
    saved = await admin.put(
        f"/api/admin/services/{plugin.id}",
        json={
            "url": "http://kuma.lan:3001/",
            "api_key": SERVICE_KEY,
            "config": {"status_page": "home"},
        },
    )
    assert saved.status_code == 200
    assert SERVICE_KEY not in (await saved.get_data(as_text=True))
    view = await data(saved)
    assert view["url"] == "http://kuma.lan:3001" and view["has_api_key"] is True
    assert view["api_key"] == "••••" + SERVICE_KEY[-4:] and view["needs_reentry"] is False

    listed = await admin.get("/api/admin/services")
    assert SERVICE_KEY not in await listed.get_data(as_text=True)
    entry = next(item for item in (await data(listed))["items"] if item["name"] == plugin.id)
    assert entry["api_key"] == view["api_key"] and entry["config"] == {"status_page": "home"}
    assert entry["config_schema"]["properties"]["status_page"]

    row = await ServiceConnection.get(name=plugin.id)
    assert (
        row.api_key != SERVICE_KEY
        and SERVICE_KEY not in row.api_key
        and row.api_key.startswith("v1.")
    )
    assert core.secrets.decrypt(row.api_key, context=key_context(plugin.id)) == SERVICE_KEY
    connection = await core.services.get(plugin.id)
    assert connection.api_key == SERVICE_KEY and connection.url == "http://kuma.lan:3001"


async def test_service_updates_are_partial_and_the_mask_keeps_the_key(watch):
    app, plugin, admin, _user = watch
    core = app.extensions["medianest"]
    path = f"/api/admin/services/{plugin.id}"
    await admin.put(path, json={"url": "http://kuma.lan", "api_key": SERVICE_KEY})

    await admin.put(path, json={"enabled": False})
    kept = await core.services.get(plugin.id)
    assert (kept.url, kept.api_key, kept.enabled) == ("http://kuma.lan", SERVICE_KEY, False)
    await admin.put(path, json={"enabled": True})
    await admin.put(path, json={"enabled": None, "url": None})
    kept = await core.services.get(plugin.id)
    assert (kept.url, kept.api_key, kept.enabled) == (None, SERVICE_KEY, True)

    mask = (await data(await admin.put(path, json={"api_key": "••••" + SERVICE_KEY[-4:]})))[
        "api_key"
    ]
    assert mask == "••••" + SERVICE_KEY[-4:]
    assert (await core.services.get(plugin.id)).api_key == SERVICE_KEY

    cleared = await data(await admin.put(path, json={"api_key": ""}))
    assert cleared["has_api_key"] is False and cleared["api_key"] is None
    assert (await ServiceConnection.get(name=plugin.id)).api_key is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://kuma.lan/",
        "javascript:alert(1)",
        "http://",
        "http:///path",
        "kuma.lan:3001",
        "http://user:pass@kuma.lan",
        "http://token@kuma.lan",
        "http://kuma.lan/#frag",
        "http://kuma.lan/?token=abc",
        "http://kuma.lan:99999",
        "http://kuma lan/",
        "http://kuma.lan/\n",
        "http://kuma.lan/" + "a" * 600,
        "file:///etc/passwd",
    ],
)
async def test_unusable_service_urls_are_422_and_nothing_is_saved(watch, url):
    _app, plugin, admin, _user = watch
    response = await admin.put(
        f"/api/admin/services/{plugin.id}", json={"url": url, "api_key": SERVICE_KEY}
    )
    assert response.status_code == 422
    assert "url" in (await response.get_json())["error"]["details"]["fields"]
    assert not await ServiceConnection.exists(name=plugin.id)
    tested = await admin.post("/api/admin/services/test", json={"name": plugin.id, "url": url})
    assert tested.status_code == 422


async def test_service_config_is_validated_by_the_plugin_model(watch):
    _app, plugin, admin, _user = watch
    response = await admin.put(
        f"/api/admin/services/{plugin.id}", json={"config": {"status_page": "Not a slug!"}}
    )
    assert response.status_code == 422
    assert "config.status_page" in (await response.get_json())["error"]["details"]["fields"]
    extra = await admin.put(
        f"/api/admin/services/{plugin.id}", json={"url": "http://kuma.lan", "owner": "me"}
    )
    assert (
        extra.status_code == 422
        and "owner" in (await extra.get_json())["error"]["details"]["fields"]
    )
    assert not await ServiceConnection.exists(name=plugin.id)


async def test_unknown_services_are_404(watch):
    _app, _plugin, admin, _user = watch
    assert (
        await admin.put("/api/admin/services/nope", json={"url": "http://x.lan"})
    ).status_code == 404
    assert (await admin.post("/api/admin/services/test", json={"name": "nope"})).status_code == 404
    assert not await ServiceConnection.exists(name="nope")


async def test_testing_a_connection_against_uptime_kuma(watch):
    app, plugin, admin, _user = watch
    async with FakeUptimeKuma(slug="home") as kuma:
        kuma.add_monitor("Plex", group="Media")
        path = "/api/admin/services/test"
        await admin.put(
            f"/api/admin/services/{plugin.id}", json={"url": kuma.url, "api_key": DEFAULT_API_KEY}
        )

        saved = await admin.post(path, json={"name": plugin.id})
        outcome = await data(saved)
        assert outcome["ok"] is True and outcome["status"] == "online" and outcome["error"] is None
        assert outcome["response_time_ms"] >= 0
        assert ("GET", "/metrics") in kuma.request_log
        assert DEFAULT_API_KEY not in await saved.get_data(as_text=True)

        wrong = await admin.post(path, json={"name": plugin.id, "api_key": "uk1_wrongWrongWrong"})
        refused = await data(wrong)
        assert (
            refused["ok"] is False and "refused" in refused["error"] and "401" in refused["error"]
        )
        assert "uk1_wrongWrongWrong" not in await wrong.get_data(as_text=True)

        slug = await data(
            await admin.post(path, json={"name": plugin.id, "config": {"status_page": "nope"}})
        )
        assert slug["ok"] is False and "404" in slug["error"]

    down_url = f"http://127.0.0.1:{closed_port()}"  # another port: the key must come along again
    down = await data(
        await admin.post(
            path, json={"name": plugin.id, "url": down_url, "api_key": DEFAULT_API_KEY}
        )
    )
    assert (
        down["ok"] is False and down["status"] == "offline" and "connect" in down["error"].lower()
    )
    connection = await app.extensions["medianest"].services.get(plugin.id)
    assert connection.api_key == DEFAULT_API_KEY  # a test saves nothing


async def eventually(check, attempts: int = 100) -> bool:
    """Poll `check` while the event bus delivers (at most a few seconds)."""
    for _ in range(attempts):
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_change_made_by_another_instance_reaches_the_caches(watch):
    app, plugin, _admin, _user = watch
    core = app.extensions["medianest"]
    await core.services.put(plugin.id, url="http://127.0.0.1:1")
    await core.plugin_settings_store.update(plugin.id, {"refresh_seconds": 60})
    assert (await core.services.get(plugin.id)).url == "http://127.0.0.1:1"
    assert (await core.plugin_settings(plugin.id)).refresh_seconds == 60

    # Another instance writes the rows, then announces it on the bus.
    await ServiceConnection.filter(name=plugin.id).update(url="http://127.0.0.1:2")
    await PluginStateRow.filter(id=plugin.id).update(settings={"refresh_seconds": 90})
    assert (await core.services.get(plugin.id)).url == "http://127.0.0.1:1"  # served from the cache
    await core.publish("service:connection", {"name": plugin.id})
    await core.publish("plugin:settings", {"plugin": plugin.id})

    async def followed() -> bool:
        url = (await core.services.get(plugin.id)).url
        return (
            url == "http://127.0.0.1:2"
            and (await core.plugin_settings(plugin.id)).refresh_seconds == 90
        )

    assert await eventually(followed)


async def test_a_disabled_plugin_cannot_be_tested(watch):
    _app, plugin, admin, _user = watch
    await admin.put(f"/api/admin/plugins/{plugin.id}", json={"enabled": False})
    outcome = await data(
        await admin.post(
            "/api/admin/services/test", json={"name": plugin.id, "url": "http://kuma.lan"}
        )
    )
    assert outcome["ok"] is False and "disabled" in outcome["error"]


async def test_testing_the_first_party_uptime_kuma_connection(app_factory):
    app = await app_factory(plugins=[medianest_uptime_kuma])
    await app.extensions["medianest"].http.reset_breaker(
        "uptime_kuma"
    )  # breakers may live in Redis
    admin = await signed_in(app, "root", role="admin")
    path = "/api/admin/services/test"
    async with FakeUptimeKuma(slug="home") as kuma:
        kuma.add_monitor("Plex", group="Media")
        saved = await admin.put(
            "/api/admin/services/uptime_kuma",
            json={"url": kuma.url, "api_key": DEFAULT_API_KEY, "config": {"status_page": "home"}},
        )
        assert saved.status_code == 200
        assert (await data(await admin.post(path, json={"name": "uptime_kuma"})))["ok"] is True

        wrong = await admin.post(
            path, json={"name": "uptime_kuma", "api_key": "uk9_notTheKeyAtAll"}
        )
        outcome = await data(wrong)
        assert outcome["ok"] is False and outcome["error"]
        assert "uk9_notTheKeyAtAll" not in await wrong.get_data(as_text=True)
        missing = await data(
            await admin.post(path, json={"name": "uptime_kuma", "config": {"status_page": "nope"}})
        )
        assert missing["ok"] is False and missing["status"] == "offline"


# ---- plugins -----------------------------------------------------------------------------


async def test_plugins_are_listed_with_schema_and_state(watch):
    _app, plugin, admin, _user = watch
    items = (await data(await admin.get("/api/admin/plugins")))["items"]
    entry = next(item for item in items if item["name"] == plugin.id)
    assert entry["state"] == "enabled" and entry["enabled"] is True and entry["error"] is None
    assert entry["settings"] == {"refresh_seconds": 30, "webhook_secret": None}
    schema = entry["settings_schema"]["properties"]
    assert schema["refresh_seconds"]["minimum"] == 5 and "webhook_secret" in schema
    assert {"version", "description", "distribution", "requires_core", "title"} <= set(entry)


async def test_disabling_a_plugin_closes_its_routes_and_enabling_reopens_them(watch):
    _app, plugin, admin, user = watch
    assert (await user.get(f"/api/{plugin.id}/ping")).status_code == 200
    disabled = await admin.put(f"/api/admin/plugins/{plugin.id}", json={"enabled": False})
    assert (await data(disabled))["state"] == "disabled"
    closed = await user.get(f"/api/{plugin.id}/ping")
    assert closed.status_code == 404 and await code(closed) == "PLUGIN_DISABLED"
    assert not (await PluginStateRow.get(id=plugin.id)).enabled
    await admin.put(f"/api/admin/plugins/{plugin.id}", json={"enabled": True})
    assert (await user.get(f"/api/{plugin.id}/ping")).status_code == 200


async def test_invalid_plugin_settings_are_422_and_nothing_is_written(watch):
    _app, plugin, admin, _user = watch
    path = f"/api/admin/plugins/{plugin.id}"
    await admin.put(path, json={"settings": {"refresh_seconds": 60}})
    for settings, field in [
        ({"refresh_seconds": 1}, "settings.refresh_seconds"),
        ({"refresh_seconds": 90, "colour": "red"}, "settings.colour"),
        ({"refresh_seconds": "soon"}, "settings.refresh_seconds"),
    ]:
        response = await admin.put(path, json={"settings": settings, "enabled": False})
        assert response.status_code == 422, settings
        assert field in (await response.get_json())["error"]["details"]["fields"]
    row = await PluginStateRow.get(id=plugin.id)
    assert (
        row.settings["refresh_seconds"] == 60 and row.enabled
    )  # neither the settings nor the toggle
    assert (await admin.put("/api/admin/plugins/nope", json={"enabled": False})).status_code == 404


async def test_secret_settings_are_masked_encrypted_and_reach_the_plugin(watch):
    app, plugin, admin, _user = watch
    core = app.extensions["medianest"]
    path = f"/api/admin/plugins/{plugin.id}"
    secret = "hook-secret-for-the-admin-tests"
    response = await admin.put(path, json={"settings": {"webhook_secret": secret}})
    assert secret not in await response.get_data(as_text=True)
    assert (await data(response))["settings"]["webhook_secret"] == "••••" + secret[-4:]

    stored = (await PluginStateRow.get(id=plugin.id)).settings["webhook_secret"]
    assert set(stored) == {"$encrypted"} and secret not in stored["$encrypted"]
    settings = await core.plugin_settings(plugin.id)
    assert settings.webhook_secret.get_secret_value() == secret and settings.refresh_seconds == 30

    await admin.put(
        path, json={"settings": {"webhook_secret": "••••" + secret[-4:], "refresh_seconds": 45}}
    )
    settings = await core.plugin_settings(plugin.id)
    assert settings.webhook_secret.get_secret_value() == secret and settings.refresh_seconds == 45

    await admin.put(path, json={"settings": {"webhook_secret": ""}})
    assert (await core.plugin_settings(plugin.id)).webhook_secret is None


# ---- system config -----------------------------------------------------------------------


async def test_config_updates_are_partial_and_validated(watch):
    app, _plugin, admin, _user = watch
    before = await data(await admin.get("/api/admin/config"))
    assert before["rate_limits"]["checks"] == {"limit": 5, "window": 3600}  # declared by the plugin

    updated = await data(
        await admin.put("/api/admin/config", json={"rate_limits": {"checks": {"limit": 7}}})
    )
    assert updated["rate_limits"]["checks"] == {"limit": 7, "window": 3600}
    assert updated["rate_limits"]["api"] == before["rate_limits"]["api"]
    assert updated["registration"] == before["registration"]
    assert app.extensions["medianest"].system.current.rate_limits["checks"].limit == 7
    labels = await data(await admin.get("/api/admin/config/labels"))
    assert labels["rate_limits"]["checks"]["title"] == "Manual checks per person"

    for body, field in [
        ({"rate_limits": {"api": {"limit": 0}}}, "rate_limits.api.limit"),
        ({"rate_limits": {"api": {"window": "hourly"}}}, "rate_limits.api.window"),
        ({"registration": {"default_role": "owner"}}, "registration.default_role"),
        ({"rate_limits": {"uploads": {"limit": 1}}}, "rate_limits.uploads"),
        ({"registration": {"providers": {"nobody": False}}}, "registration.providers.nobody"),
        ({"theme": "dark"}, "theme"),
    ]:
        response = await admin.put("/api/admin/config", json=body)
        assert response.status_code == 422, body
        assert field in (await response.get_json())["error"]["details"]["fields"], body
    assert await data(await admin.get("/api/admin/config")) == updated


# ---- audit -------------------------------------------------------------------------------


async def test_the_audit_trail_lists_changes_newest_first_without_secrets(watch):
    app, plugin, admin, _user = watch
    alice_id = await user_id(app, "alice")
    await admin.put(
        f"/api/admin/services/{plugin.id}", json={"url": "http://kuma.lan", "api_key": SERVICE_KEY}
    )
    await admin.put(
        f"/api/admin/plugins/{plugin.id}",
        json={"settings": {"webhook_secret": "another-secret-value"}},
    )
    await admin.put(f"/api/admin/users/{alice_id}", json={"permissions": {"media.request": False}})
    await admin.put("/api/admin/config", json={"rate_limits": {"api": {"limit": 500}}})

    response = await admin.get("/api/admin/audit?action=admin.")
    text = await response.get_data(as_text=True)
    assert SERVICE_KEY not in text and "another-secret-value" not in text
    entries = (await data(response))["items"]
    assert [entry["action"] for entry in entries] == [
        "admin.config_updated",
        "admin.user_updated",
        "admin.plugin_updated",
        "admin.service_updated",
    ]
    service = entries[-1]
    assert service["actor_name"] == "root" and service["target"] == f"service:{plugin.id}"
    assert service["details"] == {"url": "http://kuma.lan", "api_key": "changed"}
    assert entries[2]["details"] == {"settings": {"webhook_secret": "changed"}}
    assert entries[1]["details"]["permissions"] == {"media.request": False}

    page = await data(await admin.get("/api/admin/audit?offset=1&limit=2"))
    assert len(page["items"]) == 2 and page["total"] > 4
    assert page["items"][0]["id"] == entries[1]["id"]
    signins = await data(await admin.get("/api/admin/audit?action=auth.sign_in"))
    assert signins["items"] and all(
        item["action"].startswith("auth.sign_in") for item in signins["items"]
    )


# ---- the command line --------------------------------------------------------------------


def cli_env(settings: dict) -> dict:
    return {
        "MEDIANEST_DATA_DIR": str(settings["data_dir"]),
        "MEDIANEST_DATABASE_URL": settings.get("database_url"),
        "MEDIANEST_REDIS_URL": settings.get("redis_url"),
        "MEDIANEST_REDIS_PREFIX": settings.get("redis_prefix"),
        "MEDIANEST_LOG_LEVEL": "WARNING",
    }


async def cli(args: list[str], settings: dict, stdin: str | None = None):
    """The `medianest` command in a thread (it runs its own event loop), with the test's install."""
    return await asyncio.to_thread(
        CliRunner().invoke, main, args, input=stdin, env=cli_env(settings)
    )


async def test_admin_create_from_the_command_line(app_factory, backend_settings):
    app = await app_factory()
    await app_factory.stop(app)
    password = "a household admin password"

    created = await cli(
        ["admin", "create", "ops", "--password-stdin"], backend_settings, f"{password}\n"
    )
    assert created.exit_code == 0, created.output
    weak = await cli(
        ["admin", "create", "weak", "--role", "user", "--password-stdin"],
        backend_settings,
        "short\n",
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    again = await cli(
        ["admin", "create", "ops", "--password-stdin"], backend_settings, f"{password}\n"
    )
    assert again.exit_code != 0 and "already exists" in again.output
    bad_name = await cli(
        ["admin", "create", "no spaces", "--password-stdin"], backend_settings, f"{password}\n"
    )
    assert bad_name.exit_code != 0
    mismatch = await cli(
        ["admin", "create", "typo", "--role", "user"],
        backend_settings,
        f"{password}\nsomething else\n",
    )
    assert mismatch.exit_code != 0
    prompted = await cli(
        ["admin", "create", "viewer", "--role", "user"],
        backend_settings,
        f"{password}\n{password}\n",
    )
    assert prompted.exit_code == 0, prompted.output

    app = await app_factory()
    assert await User.filter(username="ops", role="admin", must_change_password=False).exists()
    assert await User.filter(username="viewer", role="user").exists()
    assert not await User.filter(username__in=["weak", "typo", "no spaces"]).exists()
    ops = ApiClient(app)
    await ops.sign_in("ops", password)
    assert (await ops.get("/api/admin/users")).status_code == 200


async def test_admin_reset_password_from_the_command_line(app_factory, backend_settings):
    app = await app_factory()
    await create_user(app, "bob")
    bob = ApiClient(app)
    await bob.sign_in("bob", remember=True)
    cookies = "; ".join(
        f"{name}={bob.cookie(name)}" for name in ("medianest_session", "medianest_remember")
    )
    await app_factory.stop(app)
    new_password = "a fresh password for bob"

    missing = await cli(
        ["admin", "reset-password", "nobody", "--password-stdin"],
        backend_settings,
        f"{new_password}\n",
    )
    assert missing.exit_code != 0 and "no user" in missing.output
    weak = await cli(
        ["admin", "reset-password", "bob", "--password-stdin"], backend_settings, "bob\n"
    )
    assert weak.exit_code != 0
    reset = await cli(
        ["admin", "reset-password", "bob", "--password-stdin"],
        backend_settings,
        f"{new_password}\n",
    )
    assert reset.exit_code == 0, reset.output

    app = await app_factory()
    replayed = await app.test_client().get("/api/auth/session", headers={"Cookie": cookies})
    assert replayed.status_code == 401  # neither the session nor the remember-me token survived
    assert not await Session.filter(user__username="bob").exists()
    assert (await User.get(username="bob")).must_change_password
    fresh = ApiClient(app)
    signed = await fresh.sign_in("bob", new_password)
    assert (await signed.get_json())["data"]["must_change_password"] is True
    assert (await fresh.get("/api/auth/tokens")).status_code == 403  # must change it first


@pytest.mark.parametrize("command", [["admin"], ["admin", "create"], ["admin", "reset-password"]])
def test_admin_commands_have_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
