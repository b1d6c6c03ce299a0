"""The front end is a plugin: the core takes one shell, mounts plugin pages inside it, and
serves the API without any (the web, `medianest-web`, is never needed here)."""

from __future__ import annotations

from quart import Blueprint, Response

from medianest.auth.policy import public, signed_in
from medianest.plugins import PluginSpec, Shell, hookimpl
from medianest.sdk.ui import has_shell, login_url, render_page
from medianest.testing.clients import signed_in as signed_in_client


async def plain_render(template: str, status: int = 200, **context) -> Response:
    return Response(
        f"{template} {sorted(context.items())}", status=status, content_type="text/html"
    )


class TinyShell:
    """A front end of a few lines: a home page at `/` and a page the test names."""

    def __init__(self, plugin_id: str = "tiny", path: str = "/") -> None:
        self.plugin = PluginSpec(id=plugin_id, title="Tiny shell")
        self.path = path
        self.adopted: list[str] = []

    @hookimpl
    def register_shell(self):
        bp = Blueprint(f"{self.plugin.id}_shell", __name__)

        @bp.get(self.path)
        @public
        async def home():
            return Response("home of the tiny shell", content_type="text/html")

        return [
            Shell(
                blueprint=bp,
                render=plain_render,
                login_url=lambda next_path: f"/in?n={next_path}",
                adopt=lambda blueprint: self.adopted.append(blueprint.name),
            )
        ]


class Pages:
    """A plugin with one page rendered through `medianest.sdk.ui`."""

    def __init__(self, prefix: str | None = None) -> None:
        self.plugin = PluginSpec(id="pages", title="Pages")
        self.prefix = prefix

    @hookimpl
    def register_pages(self):
        bp = Blueprint("pages_pages", __name__, url_prefix=self.prefix)

        @bp.get("/")
        @signed_in
        async def index():
            return await render_page("pages/index.html", status=203, sign_in=login_url("/pages/"))

        return [bp]


def state_of(app, plugin_id: str) -> tuple[str, str | None]:
    record = app.extensions["medianest"].host.get(plugin_id)
    return record.state.value, record.error


async def test_without_a_shell_the_api_serves_and_pages_are_envelope_404s(app_factory):
    app = await app_factory(plugins=[Pages()])
    core = app.extensions["medianest"]
    admin = await signed_in_client(app, "root", role="admin")

    assert not has_shell(core) and state_of(app, "pages") == ("enabled", None)
    assert (await admin.get("/api/admin/plugins")).status_code == 200
    for path in ("/", "/login", "/pages/", "/static/web/css/app.css"):
        response = await admin.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404, path
        assert (await response.get_json())["error"]["code"] == "NOT_FOUND", path


async def test_the_installed_api_runs_with_the_web_blocked(app_factory):
    """Entry-point discovery with `MEDIANEST_BLOCK_PLUGINS=web`: what an API-only install is."""
    app = await app_factory(plugins=None, block_plugins=["web"])
    core = app.extensions["medianest"]
    admin = await signed_in_client(app, "root", role="admin")

    assert "web" not in core.host.records and core.shell is None
    listed = (await (await admin.get("/api/admin/plugins")).get_json())["data"]["items"]
    assert listed and all(row["state"] == "enabled" for row in listed), listed
    assert (await admin.get("/api/auth/session")).status_code == 200
    for path in ("/", "/login", "/admin/users"):
        response = await admin.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404, path
        assert response.mimetype == "application/json"
        body = await response.get_json()
        assert body["success"] is False and body["error"]["code"] == "NOT_FOUND", path
    mounted = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    assert mounted <= {"api", "ws", "healthz", "readyz", "metrics", "openapi.json"}, mounted


async def test_a_shell_owns_the_root_and_plugin_pages_render_inside_it(app_factory):
    shell = TinyShell()
    app = await app_factory(plugins=[shell, Pages()])
    core = app.extensions["medianest"]
    browser = await signed_in_client(app, "alice")

    assert core.shell_owner == "tiny" and shell.adopted == ["pages_pages"]
    assert await (await browser.get("/")).get_data(as_text=True) == "home of the tiny shell"
    page = await browser.get("/pages/")
    assert page.status_code == 203
    assert await page.get_data(as_text=True) == "pages/index.html [('sign_in', '/in?n=/pages/')]"
    document = await (await browser.get("/openapi.json")).get_json()
    assert "/" not in document["paths"] and "/pages/" not in document["paths"]


async def test_a_second_shell_fails_its_plugin(app_factory):
    app = await app_factory(plugins=[TinyShell("tiny"), TinyShell("other", path="/other-home")])
    assert app.extensions["medianest"].shell_owner == "tiny"
    state, error = state_of(app, "other")
    assert state == "failed" and "already provided by 'tiny'" in error


async def test_a_shell_may_not_take_the_apis_or_another_plugins_paths(app_factory):
    app = await app_factory(plugins=[TinyShell("tiny", path="/api/status"), Pages()])
    assert (
        state_of(app, "tiny")[0] == "failed"
        and "/api/status is inside /api" in state_of(app, "tiny")[1]
    )
    await app_factory.stop(app)

    app = await app_factory(plugins=[TinyShell("tiny", path="/pages/mine"), Pages()])
    assert "/pages/mine is inside /pages" in state_of(app, "tiny")[1]


async def test_pages_stay_inside_their_plugins_space(app_factory):
    app = await app_factory(plugins=[TinyShell(), Pages(prefix="/elsewhere")])
    state, error = state_of(app, "pages")
    assert state == "failed" and "outside /pages" in error


async def test_the_shell_cannot_be_switched_off_from_its_own_pages(app_factory):
    app = await app_factory(plugins=[TinyShell(), Pages()])
    admin = await signed_in_client(app, "root", role="admin")

    refused = await admin.put("/api/admin/plugins/tiny", json={"enabled": False})
    body = await refused.get_json()
    assert refused.status_code == 409 and body["error"]["code"] == "CONFLICT"
    assert "medianest plugins disable tiny" in body["error"]["message"]
    assert app.extensions["medianest"].host.is_active("tiny")
    assert (await admin.put("/api/admin/plugins/pages", json={"enabled": False})).status_code == 200
