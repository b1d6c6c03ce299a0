"""The MediaNest web dashboard. The core mounts `blueprint(core)` at `/` when this package is installed."""

from __future__ import annotations

from typing import Any

from quart import Blueprint


def blueprint(core: Any) -> Blueprint:
    from medianest_web.pages import build_blueprint

    return build_blueprint(core)
