"""Liveness and readiness probes for proxies and orchestrators."""

from __future__ import annotations

from quart import Blueprint, current_app

from medianest.auth.policy import public, uncounted
from medianest.errors import ok

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
@public
@uncounted
async def healthz():
    """Liveness: the process answers. Never touches the database or a plugin."""
    return ok({"status": "ok"})


@blueprint.get("/readyz")
@public
@uncounted
async def readyz():
    """Readiness: every backend the app needs answers (database, and Redis when configured)."""
    checks = await current_app.extensions["medianest"].readiness()
    ready = all(check["ok"] for check in checks.values())
    return ok(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
