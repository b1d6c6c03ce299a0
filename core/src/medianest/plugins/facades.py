"""The small services the core hands plugins through `core` (typed in `medianest.sdk.PluginCore`).

Each wraps one part of the platform so a plugin needs nothing else of it: budgets it declared,
capabilities other plugins offer, and the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from medianest import audit
from medianest.errors import RateLimited, ServiceUnavailable
from medianest.plugins.contributions import Capability, RateLimit
from medianest.ratelimit import Decision, LimiterUnavailable

if TYPE_CHECKING:
    from medianest.core import Core


class Limits:
    """`core.limits`: budgets, the ones admins set (`spend`) and fixed ones (`hit`)."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self.declared: dict[str, tuple[str, RateLimit]] = {}  # name -> (plugin id, declaration)

    def declare(self, plugin_id: str, limits: Iterable[RateLimit]) -> None:
        from medianest.config.system import Limit

        for limit in limits:
            owner = self.declared.get(limit.name, (None,))[0]
            if limit.name in self._core.system.limit_defaults and owner != plugin_id:
                raise ValueError(f"rate limit {limit.name!r} is declared already")
            self.declared[limit.name] = (plugin_id, limit)
            self._core.system.declare_limit(
                limit.name, Limit(limit=limit.limit, window=limit.window)
            )

    async def spend(
        self, name: str, subject: str, *, fail_open: bool = False, message: str | None = None
    ) -> Decision:
        """Spend one unit of the budget `rate_limits.<name>` for `subject` (a user id, …).

        Raises `RateLimited` (429 with Retry-After) when it is used up, and
        `ServiceUnavailable` when the limiter cannot answer, unless `fail_open`.
        """
        budget = self._core.system.current.rate_limits[name]
        return await self.hit(
            f"{name}:{subject}",
            limit=budget.limit,
            window=budget.window,
            fail_open=fail_open,
            message=message,
        )

    async def hit(
        self,
        key: str,
        *,
        limit: int,
        window: int,
        fail_open: bool = False,
        message: str | None = None,
    ) -> Decision:
        """Spend one unit of a fixed budget of `limit` per `window` seconds under `key`."""
        try:
            decision = await self._core.limiter.hit(f"plugin:{key}", limit=limit, window=window)
        except LimiterUnavailable:
            if fail_open:
                return Decision(
                    allowed=True, limit=limit, remaining=limit, window=window, retry_after=0
                )
            raise ServiceUnavailable(
                "rate_limiter", "This is unavailable right now; try again shortly"
            ) from None
        if not decision.allowed:
            raise RateLimited(
                limit=decision.limit,
                window=decision.window,
                retry_after=decision.retry_after,
                message=message or "Too many requests; wait before trying again",
            )
        return decision

    async def claim(self, key: str, *, window: int) -> bool:
        """True for exactly one caller per `key` within `window` seconds, across instances."""
        try:
            decision = await self._core.limiter.hit(f"plugin:claim:{key}", limit=1, window=window)
        except LimiterUnavailable:
            raise ServiceUnavailable(
                "rate_limiter", "This is unavailable right now; try again shortly"
            ) from None
        return decision.allowed


class Capabilities:
    """`core.capabilities`: what one plugin offers others, answered only while it is active."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._offered: dict[str, list[tuple[str, Any]]] = {}

    def offer(self, plugin_id: str, capabilities: Iterable[Capability]) -> None:
        for capability in capabilities:
            self._offered.setdefault(capability.name, []).append((plugin_id, capability.provider))

    def get(self, name: str) -> Any | None:
        for plugin_id, provider in self._offered.get(name, []):
            record = self._core.host.get(plugin_id)
            if record is not None and record.active:
                return provider
        return None


class AuditLog:
    """`core.audit`: who did what, for Admin → Audit."""

    async def record(
        self,
        action: str,
        *,
        actor: Any = None,
        target: str | None = None,
        ip: str | None = None,
        **details: Any,
    ) -> None:
        """One entry. `actor` is the request's actor, a user, or None (the system)."""
        await audit.record(action, actor=actor, target=target, ip=ip, **details)
