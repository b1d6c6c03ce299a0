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
    model_config = ConfigDict(extra="forbid")
    api: Limit = Limit(limit=100, window=60)
    images: Limit = Limit(limit=1200, window=60)  # image proxies: a page shows dozens at once
    pages: Limit = Limit(limit=120, window=60)  # HTML pages (dashboard, plugins), not their assets
    youtube: Limit = Limit(limit=5, window=3600)
    media_request: Limit = Limit(limit=20, window=3600)


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plex_sign_in: bool = Field(default=True, description="let Plex users with access to the server sign in")
    default_role: str = Field(default="user", pattern="^(user|admin)$")


class SystemConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_limits: RateLimits = RateLimits()
    registration: Registration = Registration()


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
