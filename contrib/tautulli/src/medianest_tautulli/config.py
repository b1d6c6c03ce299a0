"""The options of the `tautulli` service connection, besides its URL and API key.

The key is Tautulli's API key (Settings → Web Interface → API Key). MediaNest stores it
encrypted like every service key; Tautulli's API v2 accepts it only as the `apikey` query
parameter, which the core's client never logs (it logs scheme, host, port and path only).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PLUGIN_ID = "tautulli"
SERVICE = "tautulli"  # the connection's name, the probe's service and core.http's breaker
DEFAULT_URL = "http://tautulli:8181"


class TautulliConfig(BaseModel):
    """`config` of the `tautulli` connection."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    history_length: int = Field(
        default=5, ge=1, le=25, title="Recent plays", description="How many recent plays to show"
    )
    timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for Tautulli before giving up"
    )
