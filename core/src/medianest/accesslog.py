"""The access log: one line per HTTP request, on the `medianest.access` logger at INFO.

Method, path (never the query string: it may carry tokens or what someone searched for),
status, duration in ms, the request id (the one the response's X-Request-ID carries) and the
signed-in user's id. With `MEDIANEST_LOG_FORMAT=json` the fields are keys of the JSON line.
Probes (/healthz, /readyz) are left out unless `MEDIANEST_ACCESS_LOG_PROBES=true`; the whole log
is off with `MEDIANEST_ACCESS_LOG=false` (or a `MEDIANEST_LOG_LEVEL` above INFO).
"""

from __future__ import annotations

import logging
import time

from quart import Quart, Response, g, request

from medianest.settings import Settings

log = logging.getLogger("medianest.access")

PROBES = frozenset({"/healthz", "/readyz"})


def install(app: Quart, settings: Settings) -> None:
    """Call before the request pipeline's hooks: `after_request` hooks run last-added first, so
    this one sees the final status and the request id the pipeline bound."""
    if not settings.access_log:
        return
    skipped = frozenset() if settings.access_log_probes else PROBES

    @app.before_request
    async def _access_started() -> None:
        g.access_started = time.perf_counter()

    @app.after_request
    async def _access_finished(response: Response) -> Response:
        started = g.get("access_started")
        if started is None or request.path in skipped or not log.isEnabledFor(logging.INFO):
            return response
        actor = g.get("actor")
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": getattr(actor, "user_id", None),
        }
        log.info(
            "%s %s %s %.1fms user=%s",
            fields["method"],
            fields["path"],
            fields["status"],
            fields["duration_ms"],
            fields["user_id"] or "-",
            extra={"fields": fields},
        )
        return response
