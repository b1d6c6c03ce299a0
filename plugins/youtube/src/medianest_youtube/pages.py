"""The page `/youtube/`: the form, your downloads with live progress bars (overall and per
item), cancel and delete, and a link to each Plex collection.

The page is drawn from the same view the API answers (`records.view`) and kept current by
`static/js/youtube.js`, which follows each unfinished download over its socket
(`/ws/youtube/<id>`); every change goes through the JSON API.

Today the page extends the web dashboard's layout (`LAYOUT`) and is rendered with Quart's own
`render_template`, the web's context processors filling in the header; its script and styles
are this blueprint's static files. All of that is behind `page_blueprint()`: wired to the
plugin UI hooks, it is returned from `register_pages`, `render` becomes the sdk's
`render_page`, `LAYOUT` the shell's base template, `asset_url` the shell's `asset(…, plugin=…)`
and `sign_in_url` its `login_url`.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, Response, redirect, render_template, request

from medianest.sdk import (
    PasswordChangeRequired,
    Unauthenticated,
    current_actor,
    signed_in,
)

from .config import DOWNLOAD, PLUGIN_ID
from .models import Download
from .records import view

LAYOUT = "web/base.html"
URL_PREFIX = f"/{PLUGIN_ID}"
NO_STORE = "no-store"
SHOWN = 50  # downloads on the page; the rest stay in the API's list


def pages_available() -> bool:
    """The page extends the web dashboard's layout: served only where that is installed."""
    return find_spec("medianest_web") is not None


def asset_url(path: str) -> str:
    return f"{URL_PREFIX}/static/{path}"


def sign_in_url(next_path: str) -> str:
    return f"/login?{urlencode({'next': next_path})}"


async def render(template: str, **context: Any) -> Response:
    html = await render_template(template, layout=LAYOUT, asset_url=asset_url, **context)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = NO_STORE
    return response


def page_blueprint() -> Blueprint:
    pages = Blueprint(
        "youtube_pages",
        __name__,
        url_prefix=URL_PREFIX,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )

    @pages.get("/")
    @signed_in
    async def downloads_page() -> Response:
        """Your downloads, and the form to start one."""
        actor = current_actor()
        assert actor is not None  # signed in: the policy let the request through
        mine = Download.filter(user_id=actor.user_id).order_by("-created_at").limit(SHOWN)
        return await render(
            "youtube/page.html",
            downloads=[view(download) for download in await mine],
            may_download=actor.can(DOWNLOAD),
        )

    @pages.errorhandler(Unauthenticated)
    async def to_sign_in(error: Unauthenticated) -> Response:
        return _no_store(redirect(sign_in_url(request.path)))

    @pages.errorhandler(PasswordChangeRequired)
    async def to_password(error: PasswordChangeRequired) -> Response:
        return _no_store(redirect("/password"))

    return pages


def _no_store(response: Any) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response
