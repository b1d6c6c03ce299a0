"""The server subprocess of every bench: `_server.py APP_PATH PORT` serves a hypercorn
application path on 127.0.0.1 with the settings `medianest serve` uses. It also holds the
baseline app. Kept apart from `_harness.py` so that the server imports nothing of the load
client's (httpx): the baseline's memory and start time are bare Quart's and hypercorn's.
"""

from __future__ import annotations

import sys
from typing import Any


def bare_app() -> Any:
    """A Quart app with nothing but one JSON endpoint, shaped like MediaNest's /healthz."""
    from quart import Quart

    app = Quart("bare")

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"success": True, "data": {"status": "ok"}}

    return app


def serve_forever(app_path: str, port: int) -> None:
    from hypercorn.run import run

    from medianest.server import hypercorn_config
    from medianest.settings import load_settings

    config = hypercorn_config(load_settings(host="127.0.0.1", port=port, workers=1))
    config.application_path = app_path
    run(config)


if __name__ == "__main__":
    serve_forever(sys.argv[1], int(sys.argv[2]))
