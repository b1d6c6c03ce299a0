"""The page `/youtube/`: the form, your downloads with live progress bars (overall and per
item), cancel and delete, and a link to each Plex collection.

The page is drawn from the same view the API answers (`records.view`) and kept current by
`static/js/youtube.js`, which follows each unfinished download over its socket
(`/ws/youtube/<id>`); every change goes through the JSON API.

Rendered inside the shell (`render_page`, the template extends `shell/base.html`); its script
and styles are this plugin's `static/` files, which the shell serves content-hashed.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, redirect, request

from medianest.sdk import (
    NO_STORE,
    PasswordChangeRequired,
    Unauthenticated,
    current_actor,
    login_url,
    render_page,
    signed_in,
)

from .config import DOWNLOAD, PLUGIN_ID
from .models import Download
from .records import view

URL_PREFIX = f"/{PLUGIN_ID}"
SHOWN = 50  # downloads on the page; the rest stay in the API's list


def page_blueprint() -> Blueprint:
    """The page's blueprint, for `register_pages` (the shell serves `templates/` and `static/`)."""
    pages = Blueprint("youtube_pages", __name__, url_prefix=URL_PREFIX)

    @pages.get("/")
    @signed_in
    async def downloads_page() -> Response:
        """Your downloads, and the form to start one."""
        actor = current_actor()
        assert actor is not None  # signed in: the policy let the request through
        mine = Download.filter(user_id=actor.user_id).order_by("-created_at").limit(SHOWN)
        return await render_page(
            "youtube/page.html",
            downloads=[view(download) for download in await mine],
            may_download=actor.can(DOWNLOAD),
        )

    @pages.errorhandler(Unauthenticated)
    async def to_sign_in(error: Unauthenticated) -> Response:
        return _no_store(redirect(login_url(request.path)))

    @pages.errorhandler(PasswordChangeRequired)
    async def to_password(error: PasswordChangeRequired) -> Response:
        return _no_store(redirect("/password"))

    return pages


def _no_store(response: Any) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response
