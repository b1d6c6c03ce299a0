"""The request pages, mounted at `/overseerr`: Search, My requests, and Admin → Requests.

Server-rendered inside the shell (`render_page`, templates extending `shell/base.html`), so this
module never imports the shell; `register_pages` hands the blueprint to it. The pages read
through the same functions as the JSON API (`provider`, `routes.pending_requests`), so a page
shows exactly what the API answers. Search works as a plain GET form; requesting, approving and
the live badges are small ES modules in `static/` (no inline script: the CSP forbids it).

A failure is part of the page (Overseerr down → a message and the rest of the page), never a
stack trace; signed out → the sign-in page, back here afterwards.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, Response, redirect, request

from medianest.sdk import (
    ApiError,
    Unauthenticated,
    admin_only,
    current_actor,
    current_core,
    login_url,
    render_page,
    requires,
    signed_in,
)
from medianest_overseerr import provider, routes

TYPES = {"all": "Movies and TV", "movie": "Movies", "tv": "TV shows"}
PAGE_SIZE = 30
MAX_QUERY = 200  # as the API's
STATUS_LABELS = {
    "pending": "Pending approval", "approved": "Approved", "partly": "Partly available",
    "available": "Available", "declined": "Declined", "failed": "Failed", "deleted": "Removed",
}  # fmt: skip
AVAILABILITY_LABELS = {
    "available": "Available", "partly": "Partly available", "requested": "Requested",
    "pending": "Pending", "none": None,
}  # fmt: skip
DOWNLOAD_LABELS = {  # sdk.DOWNLOAD_STATES, as a request's download is told
    "completed": "Downloaded", "queued": "Queued", "paused": "Paused",
    "downloading": "Downloading", "importing": "Importing", "warning": "Needs attention",
    "failed": "Download failed",
}  # fmt: skip


def page_blueprint() -> Blueprint:
    """The pages' blueprint, for `register_pages` (the shell serves `static/` and `templates/`)."""
    bp = Blueprint("overseerr_pages", __name__, url_prefix="/overseerr")

    async def render(template: str, status: int = 200, **context: Any) -> Response:
        return await render_page(
            template, status=status, status_labels=STATUS_LABELS,
            availability_labels=AVAILABILITY_LABELS, **context,
        )  # fmt: skip

    @bp.get("/")
    @requires("media.request")
    async def search_page() -> Response:
        """Search Overseerr: a poster grid with a type filter and a request dialog."""
        query = " ".join((request.args.get("q") or "").split())[:MAX_QUERY]
        kind = request.args.get("type", "all")
        if kind not in TYPES:
            kind = "all"
        page = _page_number(request.args.get("page"))
        found, problem = None, None
        if query:
            try:
                found = await provider.search(current_core(), _actor(), query, kind, page)
            except ApiError as error:
                problem = error

        def page_url(number: int) -> str:
            return "/overseerr/?" + urlencode({"q": query, "type": kind, "page": number})

        return await render(
            "overseerr/search.html", status=problem.status if problem else 200,
            query=query, kind=kind, types=TYPES, page=page, found=found, problem=problem,
            page_url=page_url,
        )  # fmt: skip

    @bp.get("/requests")
    @signed_in
    async def my_requests_page() -> Response:
        """Your requests, newest first, with badges that change live."""
        offset = _offset(request.args.get("offset"))
        mine = await provider.list_requests(current_core(), _actor(), False, offset, PAGE_SIZE)
        return await render(
            "overseerr/requests.html", requests=mine["items"], total=mine["total"],
            offset=offset, page_size=PAGE_SIZE, download_labels=DOWNLOAD_LABELS,
        )  # fmt: skip

    @bp.get("/admin")
    @admin_only
    async def approvals_page() -> Response:
        """Admin → Requests: what waits for approval."""
        offset = _offset(request.args.get("offset"))
        pending, problem = None, None
        try:
            pending = await routes.pending_requests(current_core(), _actor(), offset, PAGE_SIZE)
        except ApiError as error:
            problem = error
        return await render(
            "overseerr/admin.html", status=problem.status if problem else 200,
            pending=pending, problem=problem, offset=offset, page_size=PAGE_SIZE,
        )  # fmt: skip

    @bp.errorhandler(Unauthenticated)
    async def to_sign_in(error: Unauthenticated) -> Response:
        target = request.full_path.rstrip("?") if request.query_string else request.path
        response: Response = redirect(login_url(target))  # type: ignore[assignment]
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.errorhandler(ApiError)
    async def problem_page(error: ApiError) -> Response:
        return await render("overseerr/problem.html", status=error.status, problem=error)

    return bp


def _actor() -> Any:
    actor = current_actor()
    assert actor is not None  # the route's policy let only signed-in people through
    return actor


def _page_number(raw: str | None) -> int:
    """Clamped, never refused: a bad page number is the first page."""
    try:
        return min(max(int(raw or 1), 1), 500)
    except ValueError:
        return 1


def _offset(raw: str | None) -> int:
    try:
        offset = min(max(int(raw or 0), 0), 100_000)
    except ValueError:
        return 0
    return offset - offset % PAGE_SIZE
