"""`core.jobs`: enqueue, cancel and follow background jobs, and run them where this process should.

The `jobs` table is the truth about every job (see docs/decisions/0009-jobs.md). Where jobs run:
- embedded (no Redis): inside the app, woken directly by `enqueue`;
- production (Redis): in `medianest worker` processes, woken through a Redis stream; the web app
  only enqueues. `MEDIANEST_RUN_JOBS` overrides either default.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from medianest.events import Event
from medianest.jobs.doorbell import StreamDoorbell
from medianest.jobs.errors import UnknownJob
from medianest.jobs.models import JobRecord
from medianest.jobs.registry import JobRegistry, RegisteredJob
from medianest.jobs.stats import JobStats
from medianest.jobs.store import JobStore, utcnow
from medianest.jobs.worker import CANCELLED, Worker, worker_identity

if TYPE_CHECKING:
    from medianest.core import Core

log = logging.getLogger("medianest.jobs")

MAX_DEDUPE_KEY = 128


class JobQueue:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.registry = JobRegistry(core.host)
        self.store = JobStore()
        self.stats = JobStats()
        self.worker_id = worker_identity()
        self.doorbell: StreamDoorbell | None = None
        self.worker: Worker | None = None
        self._registry_loaded = False
        self._unsubscribe: list[Callable[[], None]] = []

    @property
    def runs_jobs(self) -> bool:
        """Whether this process runs jobs (else it only enqueues them for workers elsewhere)."""
        if self.settings.run_jobs is not None:
            return self.settings.run_jobs
        return self.settings.redis_url is None

    # ---- lifecycle (the core calls these) ---------------------------------------------

    async def start(self) -> None:
        """After the plugins started: open the doorbell and, where jobs run here, the worker."""
        self._load_registry()
        if self.settings.redis_url:
            prefix = self.settings.redis_prefix
            self.doorbell = StreamDoorbell(
                self.settings.redis_url,
                stream=f"{prefix}jobs",
                group=f"{prefix}workers",
                consumer=self.worker_id,
                lease_seconds=self.settings.job_lease_seconds,
            )
            await self.doorbell.start()  # the consumer group must exist before the first ring
        self._unsubscribe = [
            self.core.events.subscribe(self._on_plugin_state, names=("plugin:state",)),
            self.core.events.subscribe(self._on_job_status, names=("job:status",)),
        ]
        if self.runs_jobs:
            self.worker = Worker(self, concurrency=self.settings.job_concurrency)
            await self.worker.start()

    async def stop(self, grace: float | None = None) -> None:
        """Stop the worker (running jobs get `grace` seconds, then go back to the queue)."""
        if self.worker is not None:
            await self.worker.stop(self.settings.job_shutdown_grace if grace is None else grace)
            self.worker = None
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self.doorbell is not None:
            await self.doorbell.stop()
            self.doorbell = None

    # ---- the API plugins use ----------------------------------------------------------

    async def enqueue(
        self,
        name: str,
        args: Mapping[str, Any] | None = None,
        *,
        user_id: str | uuid.UUID | None = None,
        dedupe_key: str | None = None,
        max_attempts: int | None = None,
        delay: float | timedelta | None = None,
    ) -> JobRecord:
        """Queue `<plugin id>.<job>` with JSON `args` (passed as keyword arguments).

        With `dedupe_key`, while a job with that key is unfinished, enqueueing again returns
        that job instead of a new one. `delay` (seconds) holds the job back; `max_attempts`
        overrides the JobSpec's `retries + 1`.
        """
        registered = self._registered(name)
        seconds = _seconds(delay)
        if max_attempts is not None and (not isinstance(max_attempts, int) or max_attempts < 1):
            raise ValueError("max_attempts must be a positive integer")
        if dedupe_key is not None and not 0 < len(str(dedupe_key)) <= MAX_DEDUPE_KEY:
            raise ValueError(f"dedupe_key must be a string of 1 to {MAX_DEDUPE_KEY} characters")
        job, created = await self.store.create(
            name,
            _json_object(args, "args"),
            user_id=_user_uuid(user_id),
            dedupe_key=dedupe_key,
            max_attempts=max_attempts or registered.max_attempts,
            not_before=utcnow() + timedelta(seconds=seconds) if seconds else None,
        )
        if created:
            await self.announce(job)
            if seconds and self.worker is not None:
                self.worker.wake(seconds)  # other workers find it when they next poll
            elif not seconds:
                await self.ring(str(job.id))
        return job

    async def get(self, job_id: str | uuid.UUID) -> JobRecord | None:
        return await self.store.get(job_id)

    async def cancel(self, job_id: str | uuid.UUID) -> JobRecord | None:
        """Cancel a queued or running job (a running one is asked to stop); None if unknown.

        A job that already finished is returned unchanged.
        """
        job = await self.store.get(job_id)
        if job is None:
            return None
        if await self.store.cancel(job.id):
            job = await self.store.get(job.id) or job
            if self.worker is not None:
                self.worker.interrupt(str(job.id), CANCELLED)
            await self.announce(job)  # workers in other processes stop it on this event
        return job

    async def progress(self, job_id: str | uuid.UUID, data: Mapping[str, Any]) -> None:
        """From inside a job: publish `job:progress` and keep it on the job (saved at most
        twice a second, and always with the outcome)."""
        running = self.worker.running.get(str(job_id)) if self.worker is not None else None
        if running is None:
            raise UnknownJob(f"job {job_id} is not running in this process")
        progress = _json_object(data, "progress")
        await self.core.publish(
            "job:progress",
            {
                "id": running.id,
                "name": running.ctx.name,
                "attempt": running.ctx.attempt,
                "progress": progress,
            },
            user_id=running.ctx.user_id,
            topic=f"job:{running.id}",
        )
        try:
            await self.worker.save_progress(running, progress)  # type: ignore[union-attr]
        except Exception:
            log.warning("saving progress of job %s failed", running.id, exc_info=True)

    # ---- for /metrics and /readyz -----------------------------------------------------

    async def depth(self) -> dict[str, int]:
        """How many jobs are in each state, across every process."""
        return await self.store.counts()

    @property
    def running(self) -> int:
        """Jobs this process runs right now."""
        return 0 if self.worker is None else len(self.worker.running)

    async def broker_ok(self) -> bool:
        return True if self.doorbell is None else await self.doorbell.ping()

    # ---- for the worker ---------------------------------------------------------------

    async def ring(self, job_id: str) -> None:
        """Tell workers a job is ready. Failing to is harmless: they also poll the table."""
        if self.worker is not None:
            self.worker.wake()
        if self.doorbell is None:
            return
        try:
            await self.doorbell.ring(job_id)
        except Exception as exc:
            log.warning("job broker unreachable (%s); workers will poll for job %s", exc, job_id)

    async def announce(self, job: JobRecord | None) -> None:
        """Publish `job:status` with the job's current state (for its owner and for workers)."""
        if job is None:
            return
        await self.core.publish(
            "job:status",
            {
                "id": str(job.id),
                "name": job.name,
                "status": job.status,
                "attempts": job.attempts,
                "max_attempts": job.max_attempts,
                "error": job.error,
            },
            user_id=str(job.user_id) if job.user_id else None,
            topic=f"job:{job.id}",
        )

    async def schedule_due(self) -> None:
        for registered in self.registry.scheduled():
            await self.schedule_next(registered)

    async def schedule_next(self, registered: RegisteredJob) -> None:
        """Queue the next run of a scheduled job, `schedule` seconds after the last one ended.

        Every occurrence shares one dedupe key, so however many processes do this at once there
        is at most one unfinished occurrence: runs never overlap and never pile up.
        """
        if not self.registry.runnable(registered.name):
            return
        if await self.store.has_unfinished(registered.schedule_key):
            return
        last = await self.store.last_finished_at(registered.name)
        delay = 0.0
        if last is not None:
            due = last + timedelta(seconds=registered.spec.schedule or 0)
            delay = max(0.0, (due - utcnow()).total_seconds())
        await self.enqueue(registered.name, {}, dedupe_key=registered.schedule_key, delay=delay)

    # ---- internals --------------------------------------------------------------------

    def _load_registry(self) -> None:
        if not self._registry_loaded:
            self.registry.load()
            self._registry_loaded = True

    def _registered(self, name: str) -> RegisteredJob:
        self._load_registry()
        registered = self.registry.get(name)
        if registered is None:
            raise UnknownJob(f"no plugin registered a job named {name!r}")
        return registered

    async def _on_plugin_state(self, event: Event) -> None:
        if self.worker is not None and event.data.get("enabled"):
            self.worker.wake()  # its queued jobs may run now

    async def _on_job_status(self, event: Event) -> None:
        if self.worker is not None and event.data.get("status") == "cancelled":
            self.worker.interrupt(str(event.data.get("id")), CANCELLED)


def _json_object(value: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValueError(f"{what} must be a mapping with string keys")
    try:
        return json.loads(json.dumps(dict(value), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-serialisable: {exc}") from None


def _user_uuid(user_id: str | uuid.UUID | None) -> uuid.UUID | None:
    if user_id is None or isinstance(user_id, uuid.UUID):
        return user_id
    try:
        return uuid.UUID(str(user_id))
    except ValueError:
        raise ValueError(f"user_id {user_id!r} is not a user id") from None


def _seconds(delay: float | timedelta | None) -> float:
    seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay or 0)
    if seconds < 0:
        raise ValueError("delay must not be negative")
    return seconds
