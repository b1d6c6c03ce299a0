"""The Plex browse pages, mounted at `/plex`: the libraries, a library's posters, a collection.

Server-rendered inside the shell (`render_page`, templates extending `shell/base.html`), so
they are served only where a shell (the `medianest-web` plugin) is installed. They read
through the JSON API's own functions and per-person cache (`routes.fetch_*`), with the
signed-in person's own Plex access: a page shows exactly what the API would. Paging, search
and sort are plain links and a GET form; no script needed.

Every failure is a page, never a stack trace: Plex down → 503 with a retry link, no Plex
access → 403 saying what to do, a library Plex does not share with you → 404, signed out →
the sign-in page. Query values out of range are clamped rather than refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, Response, redirect, request
from werkzeug.exceptions import HTTPException

from medianest.sdk import (
    NO_STORE,
    ApiError,
    Forbidden,
    NotFound,
    PasswordChangeRequired,
    PluginDisabled,
    ServiceUnavailable,
    Unauthenticated,
    current_actor,
    current_core,
    login_url,
    render_page,
    requires,
)
from medianest_plex.access import PlexNotConfigured, connection
from medianest_plex.routes import (
    BROWSE,
    fetch_collections,
    fetch_details,
    fetch_items,
    fetch_libraries,
)

log = logging.getLogger("medianest.plugins.plex")

blueprint = Blueprint("plex_pages", __name__, url_prefix="/plex")

PAGE_SIZE = 60  # posters per page: fills rows of 2, 3, 4, 5 and 6
INDEX_COLLECTIONS = 60  # collections shown on the libraries page
MAX_OFFSET = 100_000_000  # as the API's
MAX_QUERY = 100  # characters of a title search, as the API's
#: The page's sort choices (API sort names) with their labels; the first is the default.
SORTS = {"title": "Title", "-added_at": "Recently added", "-year": "Year"}


@dataclass(frozen=True)
class Browse:
    """What a library page shows: where it starts, its order and its title search."""

    offset: int = 0
    sort: str = "title"
    q: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Browse:
        """Clamped, never refused: a bad offset is the first page, an unknown sort the default."""
        try:
            offset = min(max(int(args.get("offset") or 0), 0), MAX_OFFSET)
        except ValueError:
            offset = 0
        sort = args.get("sort") or ""
        q = " ".join((args.get("q") or "").split())[:MAX_QUERY]
        return cls(
            offset=offset - offset % PAGE_SIZE,  # page-aligned, so pages share cache entries
            sort=sort if sort in SORTS else next(iter(SORTS)),
            q=q or None,
        )

    def url(self, base: str, **changes: Any) -> str:
        """`base` with this browse's query (defaults left out), after `changes`."""
        wanted = replace(self, **changes)
        query = {
            "q": wanted.q,
            "sort": wanted.sort if wanted.sort != next(iter(SORTS)) else None,
            "offset": wanted.offset or None,
        }
        present = {name: value for name, value in query.items() if value is not None}
        return f"{base}?{urlencode(present)}" if present else base


# ---- pages ------------------------------------------------------------------------------------


@blueprint.get("/")
@requires(BROWSE)
async def libraries_page() -> Response:
    """The libraries Plex shares with you, and their collections."""
    found, collections = await asyncio.gather(
        fetch_libraries(), fetch_collections(None, offset=0, limit=INDEX_COLLECTIONS)
    )
    return await render_page(
        "plex/libraries.html",
        libraries=found,
        collections=_by_library(collections["items"]),
        collections_total=collections["total"],
        collections_shown=len(collections["items"]),
    )


@blueprint.get("/library/<int:library_id>")
@requires(BROWSE)
async def library_page(library_id: int) -> Response:
    """One page of a library's posters, with search, sort and paging."""
    wanted = Browse.from_args(request.args)
    found, items = await asyncio.gather(fetch_libraries(), _items(library_id, wanted))
    shown = next((lib for lib in found if lib["id"] == str(library_id)), None)
    if shown is None:
        raise NotFound()  # Plex answered, yet does not list it for you
    if not items["items"] and wanted.offset >= items["total"] > 0:
        wanted = replace(wanted, offset=(items["total"] - 1) // PAGE_SIZE * PAGE_SIZE)
        items = await _items(library_id, wanted)  # past the end: the last page
    base = f"/plex/library/{library_id}"
    return await render_page(
        "plex/library.html",
        library=shown,
        items=items["items"],
        paging=_paging(wanted, base, len(items["items"]), items["total"]),
        browse=wanted,
        action=base,
        sorts=SORTS,
    )


@blueprint.get("/collection/<int:collection_id>")
@requires(BROWSE)
async def collection_page(collection_id: int) -> Response:
    """A collection's items (the first 100, as the API's details give them)."""
    found = await fetch_details(collection_id)
    if found.get("type") != "collection":
        raise NotFound()
    children = found.get("children") or []
    return await render_page(
        "plex/collection.html",
        collection=found,
        items=children,
        paging=_paging(Browse(), None, len(children), found.get("children_total") or 0),
    )


async def _items(library_id: int, wanted: Browse) -> dict[str, Any]:
    return await fetch_items(
        library_id, offset=wanted.offset, limit=PAGE_SIZE, sort=wanted.sort, query=wanted.q
    )


def _paging(wanted: Browse, base: str | None, count: int, total: int) -> dict[str, Any]:
    """Where this page sits ("Showing 61–120 of 250") and, given a `base`, the links either side."""
    start = wanted.offset
    prev_url = next_url = None
    if base is not None and start:
        prev_url = wanted.url(base, offset=max(0, start - PAGE_SIZE))
    if base is not None and start + count < total:
        next_url = wanted.url(base, offset=start + PAGE_SIZE)
    return {
        "first": start + 1 if count else 0,
        "last": start + count,
        "total": total,
        "page": start // PAGE_SIZE + 1,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "prev_url": prev_url,
        "next_url": next_url,
    }


def _by_library(collections: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for collection in collections:
        grouped.setdefault(str(collection.get("library_id")), []).append(collection)
    return grouped


# ---- failures as pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    status: int
    kind: str  # the page's `data-plex-problem`, stable for tests
    title: str
    message: str
    retry: bool = False


NOT_LINKED = (
    "MediaNest reaches Plex with your own Plex account, and yours isn't linked yet. Link it "
    "below: approve the code on plex.tv as yourself, and this page opens by itself."
)
REFUSED = (
    "Plex no longer lets your account into this server: its owner may have stopped sharing "
    "it with you. Ask them, then sign in with Plex again."
)


@blueprint.errorhandler(Unauthenticated)
async def _to_sign_in(error: Unauthenticated) -> Response:
    query = request.query_string.decode("latin-1")
    return _redirect(login_url(f"{request.path}?{query}" if query else request.path))


@blueprint.errorhandler(PasswordChangeRequired)
async def _to_password(error: PasswordChangeRequired) -> Response:
    return _redirect("/password")


@blueprint.errorhandler(ApiError)
async def _api_problem(error: ApiError) -> Response:
    return await _problem_page(await _problem(error))


@blueprint.errorhandler(HTTPException)
async def _http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    return await _problem_page(Problem(status, "http", "That didn't work", _generic(status)))


@blueprint.errorhandler(Exception)
async def _crashed(error: Exception) -> Response:
    log.exception("plex page %s failed", request.path)
    return await _problem_page(Problem(500, "error", "Something went wrong", _generic(500)))


async def _problem(error: ApiError) -> Problem:
    reason = error.details.get("reason")
    if isinstance(error, ServiceUnavailable):
        return await _unavailable(error)
    if isinstance(error, Forbidden) and reason == "plex_not_linked":
        return Problem(403, "not-linked", "Link your Plex account to browse", NOT_LINKED)
    if isinstance(error, Forbidden) and reason in ("plex_refused", "no_server_access"):
        return Problem(403, "refused", "Plex refused your access", REFUSED)
    if isinstance(error, Forbidden):
        message = "Your account may not browse Plex here. An admin can change that."
        return Problem(403, "forbidden", "You can't browse Plex", message)
    if isinstance(error, PluginDisabled):
        message = "Plex browsing is turned off. An admin can turn the Plex plugin on."
        return Problem(404, "disabled", "Plex is turned off", message)
    if isinstance(error, NotFound):
        message = "It doesn't exist, or Plex doesn't share it with you."
        return Problem(404, "not-found", "Not found in your Plex", message)
    return Problem(error.status, "error", "That didn't work", _generic(error.status))


async def _unavailable(error: ServiceUnavailable) -> Problem:
    if error.details.get("plugin"):
        return Problem(503, "plugin-failed", "Plex browsing is unavailable", error.message)
    try:
        await connection(current_core())
    except PlexNotConfigured:
        message = "An admin connects MediaNest to the Plex server under Admin → Services."
        return Problem(503, "not-configured", "Plex isn't set up yet", message)
    message = "MediaNest couldn't reach the Plex server just now. Try again in a moment."
    return Problem(503, "unavailable", "Plex isn't answering", message, retry=True)


def _generic(status: int) -> str:
    if status >= 500:
        return "MediaNest hit an error while building this page. Try again in a moment."
    return "MediaNest couldn't answer this request."


async def _problem_page(problem: Problem) -> Response:
    return await render_page(
        "plex/problem.html",
        status=problem.status,
        problem=problem,
        retry_url=request.full_path.rstrip("?"),
        bare=current_actor() is None,
    )


def _redirect(location: str) -> Response:
    # quart's redirect answers with the app's Response; its signature names werkzeug's.
    response: Response = redirect(location)  # type: ignore[assignment]
    response.headers["Cache-Control"] = NO_STORE
    return response
