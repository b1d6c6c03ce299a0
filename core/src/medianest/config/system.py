"""System settings an admin can change at run time, with their defaults."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medianest.config.models import SystemSetting


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(ge=1, le=1_000_000)
    window: int = Field(ge=1, le=86_400 * 7, description="seconds")


class RateLimits(BaseModel):
    """Each limit's `title` and `description` label it in Admin → Settings (`describe`)."""

    model_config = ConfigDict(extra="forbid")
    api: Limit = Field(
        default=Limit(limit=100, window=60),
        title="API requests",
        description="Per person, across the whole API.",
    )
    images: Limit = Field(  # image proxies: a page shows dozens at once
        default=Limit(limit=1200, window=60),
        title="Images",
        description="Posters and artwork one person may load (a library page shows dozens).",
    )
    youtube: Limit = Field(
        default=Limit(limit=5, window=3600),
        title="YouTube downloads",
        description="Playlists one person may submit.",
    )
    media_request: Limit = Field(
        default=Limit(limit=20, window=3600),
        title="Media requests",
        description="Movies and shows one person may request.",
    )


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plex_sign_in: bool = Field(
        default=True,
        title="Let people with access to the Plex server sign in with Plex",
        description="let Plex users with access to the server sign in",
    )
    default_role: str = Field(
        default="user",
        pattern="^(user|admin)$",
        title="Role for people signing in for the first time",
    )


class SystemConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_limits: RateLimits = RateLimits()
    registration: Registration = Registration()


def describe(core: Any) -> dict[str, dict[str, dict[str, str]]]:
    """What Admin → Settings calls each setting: `{group: {key: {"title", "hint"}}}`, from the
    fields' `title` and `description`, so that the page names nothing itself."""
    groups = {"rate_limits": RateLimits, "registration": Registration}
    return {
        group: {
            key: {"title": field.title or key, "hint": field.description or ""}
            for key, field in model.model_fields.items()
        }
        for group, model in groups.items()
    }


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A deep merge for partial updates: `{"rate_limits": {"api": {"limit": 50}}}` keeps the rest."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class SystemSettings:
    """The current system config, cached in memory; `reload()` when another instance changed it."""

    KEY = "system"

    def __init__(self) -> None:
        self.current = SystemConfig()

    async def reload(self) -> SystemConfig:
        row = await SystemSetting.get_or_none(key=self.KEY)
        self.current = SystemConfig.model_validate(row.value) if row else SystemConfig()
        return self.current

    async def update(self, patch: dict[str, Any]) -> SystemConfig:
        """Validate the merged result before writing anything (pydantic ValidationError on bad input)."""
        updated = SystemConfig.model_validate(merge(self.current.model_dump(), patch))
        await SystemSetting.update_or_create(key=self.KEY, defaults={"value": updated.model_dump()})
        self.current = updated
        return updated
