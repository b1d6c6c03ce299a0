"""Errors on pages become redirects and friendly pages; the JSON API keeps its envelope.

The core checks a route's policy in `before_request` and raises `Unauthenticated`,
`PasswordChangeRequired` or `Forbidden`. Quart picks error handlers by the blueprint of the
matched route even for errors raised before the view runs, so the handlers below, registered
on the shell's blueprint and on each plugin's page blueprint (`adopt_page_blueprint`), see
exactly the page routes' errors. One more is registered app-wide: a URL that matches no route
at all, visited by a browser, gets the 404 page.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Response, current_app, g, redirect, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as RoutingNotFound

from medianest.errors import (
    ApiError,
    Forbidden,
    InternalError,
    PasswordChangeRequired,
    Unauthenticated,
    error_response,
)
from medianest.errors import NotFound as ApiNotFound
from medianest_web.navigation import login_url
from medianest_web.rendering import NO_STORE, page

log = logging.getLogger("medianest.web")

# Paths that are never pages, whatever the client accepts.
NON_PAGE_PREFIXES = (
    "/api/",
    "/ws/",
    "/static/",
    "/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
)

TITLES = {
    403: "You can't open this page",
    404: "Page not found",
    405: "That doesn't work here",
    500: "Something went wrong",
}
MESSAGES = {
    403: "Your account doesn't have access to this page. An admin can change that.",
    404: (
        "The page you asked for isn't here. It may have moved, or the plugin that provides it is "
        "off."
    ),
    500: (
        "MediaNest hit an error while building this page. Try again in a moment; if it keeps "
        "happening, tell your admin."
    ),
}


async def to_sign_in(error: Unauthenticated) -> Response:
    if not _is_page_route():
        return error_response(error)
    return _redirect(login_url(_current_target()))


async def to_password(error: PasswordChangeRequired) -> Response:
    if not _is_page_route():
        return error_response(error)
    return _redirect("/password")


async def forbidden(error: Forbidden) -> Response:
    if not _is_page_route():
        return error_response(error)
    return await error_page(403)


async def api_error(error: ApiError) -> Response:
    if not _is_page_route():
        return error_response(error)
    return await error_page(error.status, message=error.message if error.status < 500 else None)


async def http_error(error: HTTPException) -> Any:
    if not _is_page_route():
        return await _core_http_handler(error)
    return await error_page(error.code or 500)


async def crashed(error: Exception) -> Response:
    log.exception("page %s failed", request.path)
    if not _is_page_route():
        return error_response(InternalError())
    return await error_page(500)


# Most specific first: a blueprint that handles a class (or a base of it) keeps its own handler.
PAGE_HANDLERS: dict[type[Exception], Any] = {
    Unauthenticated: to_sign_in,
    PasswordChangeRequired: to_password,
    Forbidden: forbidden,
    ApiError: api_error,
    HTTPException: http_error,
    Exception: crashed,
}


def install_error_pages(bp: Any) -> None:
    """The shell's own blueprint: every page handler, and the 404 page for unknown URLs."""
    for exception, handler in PAGE_HANDLERS.items():
        bp.register_error_handler(exception, handler)

    @bp.app_errorhandler(RoutingNotFound)
    async def no_such_page(error: RoutingNotFound) -> Any:
        """A URL no route matches: a page for browsers, the API's envelope for everyone else."""
        if (
            request.method in ("GET", "HEAD")
            and not request.path.startswith(NON_PAGE_PREFIXES)
            and _wants_html()
        ):
            return await error_page(404)
        return await _core_http_handler(error)


def adopt_page_blueprint(bp: Any) -> None:
    """A plugin's page blueprint: the shell's handlers for the errors it leaves to the shell
    (those it handles, by their class or a base class, it keeps: must be registered first)."""
    own = tuple(bp.error_handler_spec.get(None, {}).get(None, {}))
    for exception, handler in PAGE_HANDLERS.items():
        if not any(issubclass(exception, handled) for handled in own):
            bp.register_error_handler(exception, handler)


async def error_page(status: int, *, message: str | None = None) -> Response:
    return await page(
        "web/error.html",
        status=status,
        error_status=status,
        error_title=TITLES.get(status, "That didn't work"),
        error_message=message or MESSAGES.get(status, "MediaNest couldn't answer this request."),
        bare=g.get("actor") is None,
    )


def _is_page_route() -> bool:
    endpoint = request.endpoint
    return endpoint is not None and endpoint.rsplit(".", 1)[-1] not in ("static", "plugin_static")


def _current_target() -> str:
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def _wants_html() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _redirect(location: str) -> Response:
    # quart's redirect answers with the app's Response; its signature names werkzeug's.
    response: Response = redirect(location)  # type: ignore[assignment]
    response.headers["Cache-Control"] = NO_STORE
    return response


async def _core_http_handler(error: HTTPException) -> Any:
    """Hand back to the app's own HTTP error handler (the JSON envelope)."""
    handler = current_app.error_handler_spec.get(None, {}).get(None, {}).get(HTTPException)
    if handler is None:
        return error_response(ApiNotFound() if error.code == 404 else InternalError())
    return await current_app.ensure_async(handler)(error)
