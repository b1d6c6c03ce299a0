"""The MediaNest web dashboard. The core mounts `blueprint(core)` at `/` when this package is installed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from quart import Blueprint

try:
    __version__ = version("medianest-web")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"


def blueprint(core: Any) -> Blueprint:
    """The dashboard's pages and static files, ready to register on the app."""
    from medianest_web.pages import build_blueprint

    return build_blueprint(core)
