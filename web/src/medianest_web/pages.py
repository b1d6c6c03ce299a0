"""The dashboard's page routes, its static files and the template context they share.

Pages are HTML shells rendered on the server; their data comes from the JSON API through
the ES modules under `static/js/`. The core checks each route's policy before the view
runs, and `error_pages` turns its refusals into redirects and friendly pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quart import Blueprint, Response, g, redirect, request
from quart_schema import tag_blueprint

from medianest.auth.policy import admin_only, allowed_before_password_change, public, signed_in
from medianest.errors import NotFound
from medianest_web import __version__
from medianest_web.assets import URL_PREFIX, AssetManifest
from medianest_web.error_pages import install_error_pages
from medianest_web.navigation import available_nav, is_current, safe_next
from medianest_web.rendering import NO_STORE, page

STATIC_ROOT = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # an unversioned or outdated URL: usable, but checked every time

ADMIN_SECTIONS = {
    "users": "Users",
    "services": "Services",
    "plugins": "Plugins",
    "settings": "Settings",
    "audit": "Audit",
}


def build_blueprint(core: Any) -> Blueprint:
    bp = Blueprint("web", __name__, template_folder="templates")
    manifest = AssetManifest(STATIC_ROOT)

    @bp.app_context_processor
    def shell_context() -> dict[str, Any]:
        """What every page needs, plugin pages that extend `web/base.html` included."""
        actor = g.get("actor")
        return {
            "asset": manifest.url,
            "viewer": actor,
            "nav_items": available_nav(core, is_admin=actor.is_admin) if actor else [],
            "nav_current": is_current,
            "medianest_web_version": __version__,
        }

    @bp.after_request
    async def no_store_pages(response: Response) -> Response:
        if request.endpoint != "web.static":
            response.headers["Cache-Control"] = NO_STORE
        return response

    _add_static_route(bp, manifest)
    _add_page_routes(bp)
    install_error_pages(bp)
    tag_blueprint(bp, ["web pages"])  # grouped apart from the JSON API in /openapi.json
    return bp


def _add_static_route(bp: Blueprint, manifest: AssetManifest) -> None:
    @bp.get(f"{URL_PREFIX}/<path:filename>")
    @public
    async def static(filename: str) -> Response:
        """A static file of the dashboard (immutable under its versioned URL)."""
        asset = manifest.get(filename)
        if asset is None:
            raise NotFound()
        etag = f'"{asset.digest}"'
        fresh = request.args.get("v") == asset.digest
        headers = {"Cache-Control": IMMUTABLE if fresh else REVALIDATE, "ETag": etag}
        if etag in request.headers.get("If-None-Match", ""):
            return Response(b"", status=304, headers=headers)
        return Response(asset.body, content_type=asset.content_type, headers=headers)


def _add_page_routes(bp: Blueprint) -> None:
    @bp.get("/login")
    @public
    async def login() -> Any:
        """The sign-in page: Plex PIN, and the admin's password form."""
        next_path = safe_next(request.args.get("next"))
        actor = g.get("actor")
        if actor is not None:
            return redirect("/password" if actor.must_change_password else next_path)
        return await page("web/login.html", next_path=next_path, bare=True)

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
        return await page(f"web/admin/{section}.html", section=section, sections=ADMIN_SECTIONS)

