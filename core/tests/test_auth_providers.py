"""Auth providers: their blueprints live under /api/auth/<id>, and the core signs their users in."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from quart import Blueprint, current_app
from quart_schema import validate_request

from medianest.auth.models import User
from medianest.auth.policy import public
from medianest.errors import NotFound, ok
from medianest.plugins import AuthProvider, PluginSpec, hookimpl
from medianest.testing.clients import ApiClient, create_user


class Claim(BaseModel):
    username: str
    remember_me: bool = False


class TrustingProvider:
    """Signs in whoever it is told to: a stand-in for a provider that proved who the person is."""

    def __init__(
        self, plugin_id: str = "trusting", provider_id: str | None = None, rule: str = "/"
    ) -> None:
        self.plugin = PluginSpec(id=plugin_id, title="Trusting")
        self.provider_id = provider_id or plugin_id
        self.rule = rule

    def blueprint(self) -> Blueprint:
        bp = Blueprint(f"{self.plugin.id}_auth", __name__)

        @bp.route(self.rule, methods=["GET", "POST"])
        @public
        @validate_request(Claim)
        async def sign_in(data: Claim):
            user = await User.get_or_none(username=data.username)
            if user is None:
                raise NotFound()
            core = current_app.extensions["medianest"]
            return ok(
                await core.auth.sign_in_external(
                    user, method=self.plugin.id, remember=data.remember_me
                )
            )

        return bp

    @hookimpl
    def register_auth_providers(self, core: Any) -> list[AuthProvider]:
        return [AuthProvider(id=self.provider_id, title="Trusting", blueprint=self.blueprint())]


async def test_a_provider_blueprint_is_mounted_under_the_core_auth_prefix_and_signs_in(app_factory):
    app = await app_factory(plugins=[TrustingProvider()])
    await create_user(app, "carol")
    browser = ApiClient(app)

    response = await browser.post(
        "/api/auth/trusting/", json={"username": "carol", "remember_me": True}
    )

    assert response.status_code == 200
    body = (await response.get_json())["data"]
    assert body["user"]["username"] == "carol"
    assert body["must_change_password"] is False
    assert browser.cookie("medianest_remember") is not None
    session = await browser.get("/api/auth/session")
    assert (await session.get_json())["data"]["user"]["username"] == "carol"


async def test_the_provider_sign_in_is_audited_with_its_method(app_factory):
    from medianest.audit import AuditEntry

    app = await app_factory(plugins=[TrustingProvider()])
    await create_user(app, "carol")
    await ApiClient(app).post("/api/auth/trusting/", json={"username": "carol"})

    entry = await AuditEntry.filter(action="auth.sign_in").first()
    assert entry is not None and entry.details["method"] == "trusting"


async def test_a_disabled_account_is_refused_without_a_session(app_factory):
    app = await app_factory(plugins=[TrustingProvider()])
    await create_user(app, "dave", status="disabled")
    browser = ApiClient(app)

    response = await browser.post("/api/auth/trusting/", json={"username": "dave"})

    assert response.status_code == 403
    assert (await response.get_json())["error"]["code"] == "FORBIDDEN"
    assert browser.cookie("medianest_session") is None


async def test_a_provider_outside_its_plugin_namespace_fails_the_plugin(app_factory):
    app = await app_factory(plugins=[TrustingProvider(provider_id="admin2")])
    record = app.extensions["medianest"].host.get("trusting")

    assert record.state.value == "failed"
    assert "must be 'trusting'" in record.error
    assert (
        await app.test_client().post("/api/auth/admin2/", json={"username": "x"})
    ).status_code == 404


async def test_a_provider_route_colliding_with_a_core_route_fails_the_plugin(app_factory):
    app = await app_factory(plugins=[TrustingProvider(plugin_id="tokens", rule="")])
    record = app.extensions["medianest"].host.get("tokens")

    assert record.state.value == "failed"
    assert "collides" in record.error


async def test_a_disabled_provider_answers_plugin_disabled(app_factory):
    app = await app_factory(plugins=[TrustingProvider()])
    core = app.extensions["medianest"]
    await core.host.set_enabled("trusting", False, core)

    response = await ApiClient(app).post("/api/auth/trusting/", json={"username": "carol"})

    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "PLUGIN_DISABLED"


async def test_available_username_never_reuses_a_local_name(app):
    auth = app.extensions["medianest"].auth
    await create_user(app, "alice")
    await create_user(app, "Alice-2")

    assert await auth.available_username("bob") == "bob"
    assert await auth.available_username("alice") == "alice-3"
    assert await auth.available_username("ADMIN") == "ADMIN-2"  # the bootstrap admin is "admin"
    assert await auth.available_username("  new user! ") == "new-user"
    assert await auth.available_username("///") == "user"
