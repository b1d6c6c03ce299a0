"""System settings an admin can change at run time, with their defaults."""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from medianest.config.models import SystemSetting


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(ge=1, le=1_000_000)
    window: int = Field(ge=1, le=86_400 * 7, description="seconds")


# The core's own budgets; plugins declare theirs (`register_rate_limits`) and they sit beside these.
CORE_LIMITS: dict[str, Limit] = {
    "api": Limit(limit=100, window=60),
    "images": Limit(limit=1200, window=60),  # image proxies: a page shows dozens at once
    "pages": Limit(limit=120, window=60),  # HTML pages (dashboard, plugins), not their assets
}
LIMIT_NAME = r"^[a-z][a-z0-9_]{1,47}$"


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_role: str = Field(default="user", pattern="^(user|admin)$")
    # Per auth provider: may people it vouches for, but MediaNest does not know yet, sign in?
    providers: dict[Annotated[str, StringConstraints(pattern=LIMIT_NAME)], bool] = Field(
        default_factory=dict
    )


class SystemConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_limits: dict[Annotated[str, StringConstraints(pattern=LIMIT_NAME)], Limit] = Field(
        default_factory=lambda: dict(CORE_LIMITS)
    )
    registration: Registration = Registration()


class LimitPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    limit: int | None = None
    window: int | None = None


class RegistrationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    default_role: str | None = None
    providers: dict[str, bool] | None = None


class ConfigPatch(BaseModel):
    """A partial update: what is left out keeps its value (the merged result is validated)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    rate_limits: dict[str, LimitPatch] | None = None
    registration: RegistrationPatch | None = None


CORE_LIMIT_LABELS = {
    "api": ("API requests", "Per person, across the whole API."),
    "images": ("Images", "Posters and artwork one person may load (a library page shows dozens)."),
    "pages": ("Pages", "Pages one person (or one address, signed out) may open."),
}


def describe(core: Any) -> dict[str, dict[str, dict[str, str]]]:
    """What Admin → Settings calls each setting, `{group: {key: {"title", "hint"}}}`: the core's
    words for its own, the declaring plugin's for the rest, so that the page names nothing."""
    limits = {
        name: {"title": title, "hint": hint} for name, (title, hint) in CORE_LIMIT_LABELS.items()
    }
    limits |= {
        name: {"title": limit.title, "hint": ""}
        for name, (_, limit) in core.limits.declared.items()
    }
    providers = {
        provider.id: {"title": provider.title, "hint": ""}
        for record in core.host.records.values()
        for provider in record.contributions.get("register_auth_providers", [])
    }
    registration = {
        "default_role": {"title": "Role for people signing in for the first time", "hint": ""}
    }
    return {"rate_limits": limits, "registration": registration, "sign_in": providers}


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A deep merge for partial updates: `{"rate_limits": {"api": {"limit": 5}}}` keeps the rest."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class UnknownSetting(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


class SystemSettings:
    """The current system config, cached in memory; `reload()` when another instance changed it.

    `current.rate_limits` holds every declared budget (the core's and the loaded plugins'),
    each at its stored value or its default; `registration.providers` one switch per auth
    provider. A stored value whose declarer is gone stays stored, unseen, for when it returns.
    """

    KEY = "system"

    def __init__(self) -> None:
        self.limit_defaults: dict[str, Limit] = dict(CORE_LIMITS)
        self.providers: set[str] = set()
        self._stored: dict[str, Any] = {}
        self.current = self._effective({})

    def declare_limit(self, name: str, default: Limit) -> None:
        self.limit_defaults[name] = default
        self.current = self._effective(self._stored)

    def declare_provider(self, provider: str) -> None:
        self.providers.add(provider)
        self.current = self._effective(self._stored)

    def _effective(self, stored: dict[str, Any]) -> SystemConfig:
        config = SystemConfig.model_validate(stored)
        limits = {
            name: config.rate_limits.get(name, default)
            for name, default in self.limit_defaults.items()
        }
        providers = {
            name: config.registration.providers.get(name, True) for name in sorted(self.providers)
        }
        registration = config.registration.model_copy(update={"providers": providers})
        return config.model_copy(update={"rate_limits": limits, "registration": registration})

    async def reload(self) -> SystemConfig:
        row = await SystemSetting.get_or_none(key=self.KEY)
        self._stored = dict(row.value) if row else {}
        self.current = self._effective(self._stored)
        return self.current

    async def update(self, patch: dict[str, Any]) -> SystemConfig:
        """Validate the merged result before writing anything (pydantic ValidationError, or
        UnknownSetting for a budget or provider nobody declared)."""
        unknown = {
            f"rate_limits.{name}": "no such rate limit"
            for name in patch.get("rate_limits") or {}
            if name not in self.limit_defaults
        } | {
            f"registration.providers.{name}": "no such sign-in provider"
            for name in (patch.get("registration") or {}).get("providers") or {}
            if name not in self.providers
        }
        if unknown:
            raise UnknownSetting(unknown)
        merged = merge(merge(self._stored, self.current.model_dump()), patch)
        updated = SystemConfig.model_validate(merged)
        stored = merge(self._stored, updated.model_dump())
        await SystemSetting.update_or_create(key=self.KEY, defaults={"value": stored})
        self._stored = stored
        self.current = self._effective(stored)
        return self.current
