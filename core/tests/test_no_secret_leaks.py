"""Canary test: distinctive secrets go in through every door an admin has, are used for real
(a connection test against a live Uptime Kuma stand-in), and never come out again: not in a
response body or header, not in a log record (DEBUG), not in plaintext in the database."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import pytest

from admin_support import Watch, closed_port
from medianest.audit import AuditEntry
from medianest.auth.models import LinkedAccount
from medianest.config.models import ServiceConnection
from medianest.config.services import key_context
from medianest.plugins.models import PluginStateRow
from medianest.testing.clients import ApiClient, create_user, signed_in
from medianest_uptime_kuma.testing import FakeUptimeKuma


def canary(kind: str) -> str:
    return f"CANARY{kind}{secrets.token_hex(8)}"


class Recorder:
    """Every response seen, so the test can search them all at the end."""

    def __init__(self) -> None:
        self.responses: list[tuple[str, str, int, str, str]] = []

    async def call(self, client: ApiClient, method: str, path: str, **kwargs: Any) -> Any:
        response = await client.request(method, path, **kwargs)
        body = await response.get_data(as_text=True)
        headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
        self.responses.append((method, path, response.status_code, body, headers))
        return response


def log_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), record.exc_text or ""]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


async def get_routes_without_arguments(app: Any) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        and "GET" in rule.methods
        and not rule.arguments
        and not rule.websocket
    )


@pytest.mark.timeout(120)
async def test_canaries_never_leave_through_responses_logs_or_plaintext(app_factory, caplog):
    caplog.set_level(logging.DEBUG, logger="medianest")
    service_key, hook_secret, plex_token, password = (
        canary("svc"),
        canary("hook"),
        canary("plex"),
        canary("pw"),
    )
    watch = Watch()
    app = await app_factory(plugins=[watch])
    core = app.extensions["medianest"]
    admin = await signed_in(app, "root", role="admin")
    viewer = await create_user(app, "viewer")
    await core.accounts.link(viewer.id, "plex", "4242", username="viewer_p", token=plex_token)
    seen = Recorder()
    service = f"/api/admin/services/{watch.id}"

    async with FakeUptimeKuma(slug="home", api_key=service_key) as kuma:
        kuma.add_monitor("Plex", group="Media")
        # Services: save, read, send the mask back, test (right key, wrong key, unreachable), bad
        # input.
        await seen.call(admin, "PUT", service, json={"url": kuma.url, "api_key": service_key})
        listed = await seen.call(admin, "GET", "/api/admin/services")
        mask = next(
            item for item in (await listed.get_json())["data"]["items"] if item["name"] == watch.id
        )["api_key"]
        await seen.call(admin, "PUT", service, json={"api_key": mask, "enabled": True})
        tested = await seen.call(admin, "POST", "/api/admin/services/test", json={"name": watch.id})
        assert (await tested.get_json())["data"]["ok"] is True  # the key really was used
        await seen.call(
            admin,
            "POST",
            "/api/admin/services/test",
            json={"name": watch.id, "api_key": service_key + "x"},
        )
        await seen.call(
            admin,
            "POST",
            "/api/admin/services/test",
            json={"name": watch.id, "url": f"http://127.0.0.1:{closed_port()}"},
        )
        await seen.call(admin, "PUT", service, json={"url": f"http://admin:{service_key}@kuma.lan"})
        await seen.call(
            admin, "PUT", service, json={"url": f"http://kuma.lan/?apikey={service_key}"}
        )
        await seen.call(admin, "PUT", service, json={"api_key": service_key, "colour": service_key})

    # Plugins: a secret setting, read back, invalid input that carries the secret.
    plugin = f"/api/admin/plugins/{watch.id}"
    await seen.call(admin, "PUT", plugin, json={"settings": {"webhook_secret": hook_secret}})
    await seen.call(admin, "GET", "/api/admin/plugins")
    await seen.call(
        admin,
        "PUT",
        plugin,
        json={"settings": {"webhook_secret": hook_secret, "refresh_seconds": 1}},
    )
    await seen.call(admin, "PUT", plugin, json={"settings": {"colour": hook_secret}})
    assert (await core.plugin_settings(watch.id)).webhook_secret.get_secret_value() == hook_secret

    # Users and the rest of the admin API, then the user's own view of the world.
    await seen.call(admin, "GET", "/api/admin/users")
    await seen.call(admin, "GET", f"/api/admin/users/{viewer.id}")
    await seen.call(
        admin,
        "PUT",
        f"/api/admin/users/{viewer.id}",
        json={"permissions": {"media.request": False}},
    )
    await seen.call(admin, "GET", "/api/admin/config")
    await seen.call(
        admin, "PUT", "/api/admin/config", json={"rate_limits": {"api": {"limit": 200}}}
    )
    await seen.call(admin, "GET", "/api/admin/audit?limit=200")
    await seen.call(
        ApiClient(app), "POST", "/api/auth/admin", json={"username": "viewer", "password": password}
    )
    viewer_client = ApiClient(app)
    await viewer_client.sign_in("viewer")
    for path in await get_routes_without_arguments(app):
        await seen.call(admin, "GET", path)
        await seen.call(viewer_client, "GET", path)

    canaries = {
        "service key": service_key,
        "plugin secret": hook_secret,
        "plex token": plex_token,
        "password": password,
    }
    for method, path, status, body, headers in seen.responses:
        for name, value in canaries.items():
            assert value not in body, f"{name} in the body of {method} {path} ({status})"
            assert value not in headers, f"{name} in the headers of {method} {path} ({status})"
    for record in caplog.records:
        text = log_text(record)
        for name, value in canaries.items():
            assert value not in text, f"{name} logged by {record.name}: {record.msg!r}"

    row = await ServiceConnection.get(name=watch.id)
    assert row.api_key != service_key and service_key not in row.api_key
    assert core.secrets.decrypt(row.api_key, context=key_context(watch.id)) == service_key
    linked_row = await LinkedAccount.get(user_id=viewer.id)
    assert linked_row.token != plex_token and plex_token not in linked_row.token
    stored_settings = json.dumps((await PluginStateRow.get(id=watch.id)).settings)
    audit = json.dumps(
        [entry.details for entry in await AuditEntry.all()]
        + [entry.target for entry in await AuditEntry.all()]
    )
    for value in canaries.values():
        assert value not in stored_settings and value not in audit
    assert len(seen.responses) > 30
