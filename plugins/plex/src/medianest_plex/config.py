"""The plugin's settings and its service connection's options, as pydantic models.

The connection (`core.services.get("plex")`) is what an admin enters on the services page:
the Plex Media Server's URL, the server owner's Plex token as its key, and `ServerOptions`.
`PlexSettings` are the plugin's own settings on the plugins page.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PLUGIN_ID = "plex"


class ServerOptions(BaseModel):
    """Options of the `plex` service connection."""

    model_config = ConfigDict(extra="ignore")

    timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for Plex before giving up"
    )


class PlexSettings(BaseModel):
    """The Plex plugin's settings."""

    model_config = ConfigDict(extra="ignore")

    cache_seconds: int = Field(
        default=30, ge=0, le=600, description="How long a browse answer is reused (0: never)"
    )
    token_check_hours: int = Field(
        default=12,
        ge=1,
        le=168,
        description="How often each user's Plex sign-in is checked with plex.tv",
    )


async def plugin_settings(core: Any) -> PlexSettings:
    """The admin's settings for this plugin, or the defaults."""
    settings = await core.plugin_settings(PLUGIN_ID)
    return settings if isinstance(settings, PlexSettings) else PlexSettings()


def server_options(config: dict[str, Any] | None) -> ServerOptions:
    return ServerOptions.model_validate(config or {})
