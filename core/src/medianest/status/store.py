"""Where coordinators keep their state: `service_status` (latest) and `service_checks` (24 h).

The database is a record, not the source of truth while the app runs: a failing write is
logged once per outage and the coordinators carry on from memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from tortoise.exceptions import OperationalError

from medianest.status.coordinator import UPTIME_WINDOW, Seed, being_cancelled
from medianest.status.models import ServiceCheck, ServiceStatusRow

log = logging.getLogger("medianest.status")
T = TypeVar("T")
LOCKED_RETRIES = (0.05, 0.2, 0.5)  # seconds before each new try


async def _retried_when_locked(operation: Callable[[], Awaitable[T]]) -> T:
    """Run `operation`, again after a pause when SQLite says "database is locked". In WAL mode a
    transaction that read before another process wrote gets that at once, without waiting its
    busy timeout; the failed transaction wrote nothing, so trying again is safe."""
    for pause in LOCKED_RETRIES:
        try:
            return await operation()
        except OperationalError as exc:
            if "database is locked" not in str(exc):
                raise
        await asyncio.sleep(pause)
    return await operation()


def _moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


class StatusStore:
    def __init__(self) -> None:
        self._failing = False

    async def load(self, now: float) -> dict[str, Seed]:
        """Each service's persisted state with its checks of the last 24 h, for a restart."""
        seeds: dict[str, Seed] = defaultdict(Seed)
        for row in await ServiceStatusRow.all():
            seeds[row.service] = Seed(
                status=row.status,
                response_time_ms=row.response_time_ms,
                last_check_at=_epoch(row.last_check_at),
                last_success_at=_epoch(row.last_success_at),
                error=row.error,
                data=row.data if isinstance(row.data, dict) else {},
            )
        recent = ServiceCheck.filter(at__gte=_moment(now - UPTIME_WINDOW)).order_by("at")
        for service, at, online in await recent.values_list("service", "at", "ok"):
            seed = seeds[service]
            moment = at.timestamp()
            seed.checks.append((moment, online))
            # The row is written on changes only; the checks say how recent it really is.
            seed.last_check_at = max(seed.last_check_at or moment, moment)
            if online:
                seed.last_success_at = max(seed.last_success_at or moment, moment)
        return dict(seeds)

    async def save(self, service: str, state: Seed) -> None:
        await self._guarded(
            lambda: ServiceStatusRow.update_or_create(
                service=service,
                defaults={
                    "status": state.status,
                    "response_time_ms": state.response_time_ms,
                    "last_check_at": _moment(state.last_check_at),
                    "last_success_at": _moment(state.last_success_at),
                    "error": state.error,
                    "data": state.data,
                },
            )
        )

    async def record_check(
        self, service: str, at: float, online: bool, response_time_ms: float | None
    ) -> None:
        await self._guarded(
            lambda: ServiceCheck.create(
                service=service, at=_moment(at), ok=online, response_time_ms=response_time_ms
            )
        )

    async def prune(self, now: float) -> int:
        """Forget checks older than the uptime window; returns how many went."""
        return (
            await self._guarded(
                lambda: ServiceCheck.filter(at__lt=_moment(now - UPTIME_WINDOW)).delete()
            )
            or 0
        )

    async def _guarded(self, operation: Callable[[], Awaitable[T]]) -> T | None:
        try:
            result = await _retried_when_locked(operation)
        except Exception as exc:
            if being_cancelled():  # the driver turned our cancellation into its own error
                raise asyncio.CancelledError() from exc
            if not self._failing:
                self._failing = True
                log.exception("cannot write service status to the database; keeping it in memory")
            return None
        if being_cancelled():  # … or swallowed it: honour it all the same
            raise asyncio.CancelledError()
        if self._failing:
            self._failing = False
            log.info("service status is written to the database again")
        return result
