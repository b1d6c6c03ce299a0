"""`overseerr.sync`: the safety net behind the webhook, every few minutes (see `sync`)."""

from __future__ import annotations

from typing import Any

from medianest.sdk import JobContext, JobSpec
from medianest_overseerr.sync import sync_requests

SCHEDULE = 300.0  # seconds between the end of one run and the start of the next


def sync_job() -> JobSpec:
    return JobSpec(name="sync", func=run_sync, schedule=SCHEDULE, retries=1, timeout=300)


async def run_sync(ctx: JobContext, **_: Any) -> dict[str, Any]:
    return await sync_requests(ctx.core)
