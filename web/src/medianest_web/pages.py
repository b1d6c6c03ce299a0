"""Page routes (placeholder until the dashboard lands)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from medianest.auth.policy import public


def build_blueprint(core: Any) -> Blueprint:
    bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

    @bp.get("/")
    @public
    async def index():
        return "MediaNest"

    return bp
