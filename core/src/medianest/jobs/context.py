"""What a running job receives as its first argument."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from medianest.jobs.errors import JobCancelled


@dataclass
class JobContext:
    """One attempt of one job: `async def my_job(ctx: JobContext, **args)`.

    `cancelled` is set when the job should stop: a user cancelled it, its plugin was disabled,
    the worker is shutting down, or another worker took it over. Check it between steps
    (`ctx.check_cancelled()` raises `JobCancelled`); a job that does not stop within a few
    seconds is interrupted at its next `await`.
    """

    job_id: str
    name: str
    user_id: str | None
    attempt: int  # 1 for the first try
    max_attempts: int
    core: Any
    logger: logging.Logger
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    _report: Callable[[str, Mapping[str, Any]], Awaitable[None]] | None = field(
        default=None, repr=False
    )

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    async def progress(self, data: Mapping[str, Any]) -> None:
        """Publish `job:progress` at once and save it on the job (at most twice a second)."""
        if self._report is not None:
            await self._report(self.job_id, data)

    def check_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise JobCancelled(f"job {self.job_id} was asked to stop")
