"""The shell: the site's page routes, the static files (its own and each plugin's) and the
template context every page shares, plugin pages included.

Pages are HTML rendered on the server; their data comes from the JSON API through the ES
modules under `static/js/`. The core checks each route's policy before the view runs, and
`error_pages` turns its refusals into redirects and friendly pages, for plugin pages too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader
from quart import Blueprint, Response, g, redirect, request

from medianest.auth.policy import admin_only, allowed_before_password_change, public, signed_in
from medianest.config.system import describe as describe_config
from medianest.errors import NotFound
from medianest.plugins.contributions import AuthProvider, Shell
from medianest_web import __version__
from medianest_web.assets import PLUGIN_URL_PREFIX, URL_PREFIX, Asset, AssetManifest, SiteAssets
from medianest_web.error_pages import adopt_page_blueprint, install_error_pages
from medianest_web.navigation import available_nav, is_current, login_url, safe_next
from medianest_web.rendering import NO_STORE, PluginTemplates, page

STATIC_ROOT = Path(__file__).parent / "static"
TEMPLATES_ROOT = Path(__file__).parent / "templates"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # an unversioned or outdated URL: usable, but checked every time

ADMIN_SECTIONS = {
    "users": "Users",
    "services": "Services",
    "plugins": "Plugins",
    "settings": "Settings",
    "audit": "Audit",
}


def build_shell(core: Any) -> Shell:
    """What `register_shell` hands the core: the pages at `/`, and how plugins render theirs."""
    return Shell(
        blueprint=build_blueprint(core),
        render=page,
        login_url=login_url,
        adopt=adopt_page_blueprint,
    )


def build_blueprint(core: Any) -> Blueprint:
    bp = Blueprint("web", __name__, template_folder="templates")
    bp.jinja_loader = ChoiceLoader([FileSystemLoader(TEMPLATES_ROOT), PluginTemplates(core)])
    assets = SiteAssets(core, AssetManifest(STATIC_ROOT))

    @bp.app_context_processor
    def shell_context() -> dict[str, Any]:
        """What every page needs, plugin pages that extend `shell/base.html` included."""
        actor = g.get("actor")
        return {
            "asset": assets.url,
            "viewer": actor,
            "nav_items": available_nav(core, actor, assets) if actor else [],
            "nav_current": is_current,
            "medianest_web_version": __version__,
        }

    @bp.after_request
    async def no_store_pages(response: Response) -> Response:
        if request.endpoint not in STATIC_ENDPOINTS:
            response.headers["Cache-Control"] = NO_STORE
        return response

    _add_static_routes(bp, assets)
    _add_page_routes(bp, core)
    install_error_pages(bp)
    return bp


STATIC_ENDPOINTS = ("web.static", "web.plugin_static")


def _add_static_routes(bp: Blueprint, assets: SiteAssets) -> None:
    @bp.get(f"{URL_PREFIX}/<path:filename>")
    @public
    async def static(filename: str) -> Response:
        """A static file of the dashboard (immutable under its versioned URL)."""
        return _serve(assets.shell.get(filename))

    @bp.get(f"{PLUGIN_URL_PREFIX}/<plugin_id>/<path:filename>")
    @public
    async def plugin_static(plugin_id: str, filename: str) -> Response:
        """A static file of an active plugin (immutable under its versioned URL)."""
        manifest = assets.plugin(plugin_id)
        return _serve(manifest.get(filename) if manifest else None)


def _serve(asset: Asset | None) -> Response:
    if asset is None:
        raise NotFound()
    etag = f'"{asset.digest}"'
    fresh = request.args.get("v") == asset.digest
    headers = {"Cache-Control": IMMUTABLE if fresh else REVALIDATE, "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(b"", status=304, headers=headers)
    return Response(asset.body, content_type=asset.content_type, headers=headers)


def _add_page_routes(bp: Blueprint, core: Any) -> None:
    @bp.get("/login")
    @public
    async def login() -> Any:
        """The sign-in page: each active auth provider's button, and the password form."""
        next_path = safe_next(request.args.get("next"))
        actor = g.get("actor")
        if actor is not None:
            return redirect("/password" if actor.must_change_password else next_path)
        providers = _sign_in_providers(core)
        return await page("web/login.html", next_path=next_path, providers=providers, bare=True)

    @bp.get("/password")
    @signed_in
    @allowed_before_password_change
    async def password() -> Any:
        """Change your password (required once after the first sign-in with a bootstrap one)."""
        must_change = bool(g.actor.must_change_password)
        return await page(
            "web/password.html",
            must_change=must_change,
            hide_nav=must_change,  # every other page would send them straight back here
            next_path=safe_next(request.args.get("next")),
        )

    @bp.get("/")
    @signed_in
    async def dashboard() -> Any:
        """The dashboard: plugin widgets and the live status of the household's services."""
        return await page("web/dashboard.html")

    @bp.get("/admin")
    @admin_only
    async def admin() -> Any:
        """Administration: opens on its first section."""
        return redirect("/admin/users")

    @bp.get("/admin/<any(users, services, plugins, settings, audit):section>")
    @admin_only
    async def admin_section(section: str) -> Any:
        """One administration section (users, services, plugins, settings, audit)."""
        extra: dict[str, Any] = {"labels": describe_config(core)} if section == "settings" else {}
        template = f"web/admin/{section}.html"
        return await page(template, section=section, sections=ADMIN_SECTIONS, **extra)


def _sign_in_providers(core: Any) -> list[AuthProvider]:
    """The active auth providers that put a button on the sign-in page."""
    return [
        provider
        for _, provider in core.host.contributed("register_auth_providers")
        if provider.sign_in_template
    ]
