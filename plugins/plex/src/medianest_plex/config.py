"""The plugin's settings and its service connection's options, as pydantic models.

The connection (`core.services.get("plex")`) is what an admin enters on the services page:
the Plex Media Server's URL, the server owner's Plex token as its key, and `ServerOptions`.
`PlexSettings` are the plugin's own settings on the plugins page.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from medianest.sdk import PluginCore
from medianest_plex.client import DEFAULT_PLEX_TV_URL

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
    plex_tv_url: str = Field(
        default=DEFAULT_PLEX_TV_URL,
        max_length=200,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="plex.tv's address; change it only to point at a stand-in "
        "(MEDIANEST_PLEX_TV_URL, when set, replaces this default)",
    )


class PlexEnvironment(BaseSettings):
    """What the environment (or `.env`) says for this plugin, as `MEDIANEST_PLEX_TV_URL` did
    before it was a plugin setting: tests and stand-in set-ups point plex.tv elsewhere with it."""

    model_config = SettingsConfigDict(env_prefix="MEDIANEST_", env_file=".env", extra="ignore")

    plex_tv_url: str | None = None


def plex_tv_url(settings: PlexSettings, environment: PlexEnvironment) -> str:
    """Where plex.tv is: the address an admin (or `medianest demo`) saved, else the
    environment's, else plex.tv itself."""
    if settings.plex_tv_url != DEFAULT_PLEX_TV_URL:
        return settings.plex_tv_url
    return environment.plex_tv_url or DEFAULT_PLEX_TV_URL


async def plugin_settings(core: PluginCore) -> PlexSettings:
    """The admin's settings for this plugin, or the defaults."""
    settings = await core.plugin_settings(PLUGIN_ID)
    return settings if isinstance(settings, PlexSettings) else PlexSettings()


def server_options(config: dict[str, Any] | None) -> ServerOptions:
    return ServerOptions.model_validate(config or {})
