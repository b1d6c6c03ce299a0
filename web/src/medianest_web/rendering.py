"""Rendering a page: HTML is personal and changes with state, so it is never cached."""

from __future__ import annotations

from typing import Any

from quart import Response, render_template

NO_STORE = "no-store"


async def page(template: str, status: int = 200, **context: Any) -> Response:
    html = await render_template(template, **context)
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = NO_STORE
    return response
