"""The plugin's settings and its service connection's options, as pydantic models.

The connection (`core.services.get("overseerr")`) is what an admin enters under Admin →
Services: Overseerr's URL, its API key (Settings → General in Overseerr) and `ConnectionOptions`.
`OverseerrSettings` are the plugin's own settings under Admin → Plugins.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

PLUGIN_ID = "overseerr"
SERVICE = "overseerr"  # the connection's name, and core.http's name for Overseerr (its breaker)
MIN_SECRET_LENGTH = 16


class ConnectionOptions(BaseModel):
    """Options of the `overseerr` service connection."""

    model_config = ConfigDict(extra="ignore")

    timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for Overseerr before giving up"
    )


class OverseerrSettings(BaseModel):
    """The Overseerr plugin's settings."""

    model_config = ConfigDict(extra="ignore")

    webhook_secret: SecretStr | None = Field(
        default=None,
        description=(
            "What Overseerr's webhook agent sends as its Authorization header (at least 16 "
            "characters). Without it, MediaNest refuses every webhook and relies on its sync."
        ),
    )
    import_users: bool = Field(
        default=False,
        description=(
            "Import a person from Plex into Overseerr the first time they request something, "
            "when Overseerr does not know them yet"
        ),
    )
    search_cache_seconds: int = Field(
        default=60, ge=0, le=3600, description="How long a search answer is reused (0: never)"
    )

    @field_validator("webhook_secret")
    @classmethod
    def _usable_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is None:
            return None
        value = secret.get_secret_value()
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters long")
        if value[:7].lower() == "bearer " or any(ord(c) < 0x21 or ord(c) > 0x7E for c in value):
            # MediaNest reads `Bearer …` as an API token, and a header holds printable ASCII
            raise ValueError("must be printable ASCII without spaces, not starting with 'Bearer '")
        return secret


async def plugin_settings(core: Any) -> OverseerrSettings:
    """The admin's settings for this plugin, or the defaults."""
    settings = await core.plugin_settings(PLUGIN_ID)
    return settings if isinstance(settings, OverseerrSettings) else OverseerrSettings()


def connection_options(config: dict[str, Any] | None) -> ConnectionOptions:
    return ConnectionOptions.model_validate(config or {})
