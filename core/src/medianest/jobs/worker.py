"""The worker: claims jobs from the table, runs each under a renewed lease, records the outcome.

Three loops per worker:
- claim: whenever a slot is free, take the job a doorbell message names, else the oldest due
  job; with nothing to do, sleep until rung or for one poll interval;
- sweep: every poll interval, requeue jobs whose lease expired (their worker died, even by
  `kill -9`) and enqueue the next run of scheduled jobs; it needs no new job to act;
- listen (production): move stream messages into a small hint queue, one per free slot.

Each running job has a keeper that renews its lease every third of a lease and notices when
the job was cancelled, its plugin disabled, or its lease lost; the job is then asked to stop
(`ctx.cancelled`) and, after a short grace, interrupted at its next `await`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from medianest.events.memory import cancel_and_wait
from medianest.jobs.context import JobContext
from medianest.jobs.doorbell import Delivery
from medianest.jobs.errors import JobCancelled, TransientJobError, is_transient
from medianest.jobs.registry import RegisteredJob
from medianest.jobs.store import KEEP, Claim, utcnow
from medianest.log import redact, request_id_var

if TYPE_CHECKING:
    from medianest.jobs.queue import JobQueue

Ack = Callable[[], Awaitable[None]]

log = logging.getLogger("medianest.jobs")

PROGRESS_SAVE_INTERVAL = 0.5  # seconds between progress writes of one job; events are not throttled
CANCEL_GRACE = 5.0  # seconds a job asked to stop may take before its task is cancelled
STOP_WAIT = 10.0  # seconds stop() waits for interrupted jobs to record that they were interrupted
RETRY_CAP = 15 * 60.0  # the longest backoff between two attempts
ERROR_LIMIT = 2000  # characters of an error message kept on the job

# Why a running job is being stopped; each ends differently.
CANCELLED = "cancelled"  # a user cancelled it: stays cancelled
PAUSED = "paused"  # its plugin was disabled: back to the queue, attempt not counted
SHUTDOWN = "shutdown"  # this worker is stopping: back to the queue, attempt not counted
LOST = "lost"  # another worker owns it now: write nothing


def worker_identity() -> str:
    """Readable in `lease_owner` and XINFO (host, pid), unique across restarts (suffix)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid4().hex[:6]}"


def backoff(attempt: int, base: float, retry_after: float | None = None) -> float:
    """Exponential delay before attempt `attempt + 1`, with equal jitter so that jobs failed
    by one outage do not all come back at the same instant."""
    ceiling = min(RETRY_CAP, base * 2 ** max(0, attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return min(RETRY_CAP, max(delay, retry_after or 0.0))


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redact(text)[:ERROR_LIMIT]


@dataclass
class _Progress:
    """Progress not yet saved: written at most every half second, and with the outcome."""

    latest: Any = KEEP
    saved_at: float = float("-inf")
    flush: asyncio.Task[None] | None = None

    def take(self) -> Any:
        latest, self.latest = self.latest, KEEP
        return latest


@dataclass
class RunningJob:
    claim: Claim
    registered: RegisteredJob
    ctx: JobContext
    ack: Ack | None = None  # the doorbell message that named it, acknowledged after the outcome
    task: asyncio.Task[None] | None = None
    stop_reason: str | None = None
    settling: bool = False  # the job's code has ended; its outcome is being written
    progress: _Progress = field(default_factory=_Progress)
    _hard_stop: asyncio.TimerHandle | None = None

    @property
    def id(self) -> str:
        return str(self.claim.job.id)

    def interrupt(self, reason: str, grace: float = CANCEL_GRACE) -> None:
        """Ask the job to stop; cancel its task if it has not stopped after `grace` seconds."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self.ctx.cancelled.set()
        if grace <= 0:
            self._hard_cancel()
        elif self._hard_stop is None:
            self._hard_stop = asyncio.get_running_loop().call_later(grace, self._hard_cancel)

    def _hard_cancel(self) -> None:
        # Never while the outcome is being written: a half-written outcome would leave the
        # job `running` until its lease expires, and then run it again.
        if self.task is not None and not self.task.done() and not self.settling:
            self.task.cancel()

    def settled(self) -> None:
        self.settling = True
        if self._hard_stop is not None:
            self._hard_stop.cancel()
        if self.progress.flush is not None:
            self.progress.flush.cancel()


class _Outage:
    """A step that runs over and over: its first failure is logged with the traceback, the
    following ones not at all, and the recovery once."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.failing = False

    def failed(self, exc: Exception) -> None:
        if not self.failing:
            log.error("%s failed; retrying until it works", self.step, exc_info=exc)
        self.failing = True

    def succeeded(self) -> None:
        if self.failing:
            log.info("%s works again", self.step)
        self.failing = False


class Worker:
    def __init__(self, queue: JobQueue, *, concurrency: int) -> None:
        settings = queue.settings
        self.queue = queue
        self.store = queue.store
        self.registry = queue.registry
        self.worker_id = queue.worker_id
        self.concurrency = concurrency
        self.lease = settings.job_lease_seconds
        self.poll = settings.job_poll_seconds
        self.retry_base = settings.job_retry_base_seconds
        self.running: dict[str, RunningJob] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._hints: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=concurrency)
        self._claims = itertools.count(1)
        self._loops: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._hurry = asyncio.Event()  # set: stop() skips what is left of its grace

    # ---- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loops = [
            loop.create_task(self._claim_loop(), name="medianest-jobs:claim"),
            loop.create_task(self._sweep_loop(), name="medianest-jobs:sweep"),
        ]
        if self.queue.doorbell is not None:
            self._loops.append(loop.create_task(self._listen_loop(), name="medianest-jobs:listen"))
        log.info("job worker %s started (%d at a time)", self.worker_id, self.concurrency)

    async def stop(self, grace: float) -> None:
        """Stop claiming, let running jobs finish for `grace` seconds, then interrupt the rest
        and put them back in the queue for the next worker."""
        await cancel_and_wait(self._loops)
        for timer in self._timers:
            timer.cancel()
        await self._hand_back_hints()
        unfinished = {job.task for job in self.running.values() if job.task is not None}
        if unfinished:
            log.info("job worker stopping: up to %.0fs for %d running jobs", grace, len(unfinished))
            unfinished = await self._wait_for(unfinished, grace)
            for job in list(self.running.values()):
                job.interrupt(SHUTDOWN, grace=0)
        if unfinished:
            _, stuck = await asyncio.wait(unfinished, timeout=STOP_WAIT)
            if stuck:
                log.error("%d jobs ignored cancellation; their leases will expire", len(stuck))
        log.info("job worker %s stopped", self.worker_id)

    def hurry(self) -> None:
        """Cut the shutdown grace short (a second SIGTERM)."""
        self._hurry.set()

    async def _wait_for(self, tasks: set[asyncio.Task[None]], grace: float) -> set[asyncio.Task]:
        """Wait until the tasks are done, `grace` runs out or `hurry()`; returns those left."""
        deadline = asyncio.get_running_loop().time() + grace
        hurried = asyncio.ensure_future(self._hurry.wait())
        try:
            while tasks and not self._hurry.is_set():
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                done, _ = await asyncio.wait(
                    tasks | {hurried}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                tasks = tasks - done
        finally:
            hurried.cancel()
        return tasks

    def wake(self, delay: float = 0.0) -> None:
        """Look for work now, or after `delay` seconds (a delayed job, a retry)."""
        if delay <= 0:
            self._wake.set()
            return
        loop = asyncio.get_running_loop()
        self._timers = {timer for timer in self._timers if timer.when() > loop.time()}
        self._timers.add(loop.call_later(delay, self._wake.set))

    def interrupt(self, job_id: str, reason: str) -> bool:
        job = self.running.get(job_id)
        if job is None:
            return False
        job.interrupt(reason)
        return True

    # ---- claiming ---------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        outage = _Outage("claiming jobs")
        while True:
            await self._slots.acquire()
            self._wake.clear()  # before looking, so that a ring during the claim is not missed
            claiming = asyncio.ensure_future(self._claim())
            try:
                claimed = await asyncio.shield(claiming)
            except asyncio.CancelledError:
                self._slots.release()
                await self._undo_claim(claiming)
                raise
            except Exception as exc:
                self._slots.release()
                outage.failed(exc)
                await asyncio.sleep(self.poll)
                continue
            outage.succeeded()
            if claimed is None:
                self._slots.release()
                log.debug("job worker idle: nothing to claim")
                # asyncio.timeout, not wait_for: in 3.11 wait_for swallows a cancellation that
                # coincides with the wake-up, and stop() would wait for this loop forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll):
                        await self._wake.wait()
                continue
            self._start(*claimed)

    async def _claim(self) -> tuple[Claim, Ack | None] | None:
        names = self.registry.runnable_names()
        while not self._hints.empty():  # a message named a job: try that one first
            delivery = self._hints.get_nowait()
            claim = await self.store.claim(
                self._token(), self.lease, names, job_id=delivery.job_id, skip=self.running
            )
            if claim is not None:
                return claim, delivery.ack
            await _acknowledge(delivery.ack)  # taken, done, not due or not ours: the table knows
        claim = await self.store.claim(self._token(), self.lease, names, skip=self.running)
        return None if claim is None else (claim, None)

    def _token(self) -> str:
        return f"{self.worker_id}/{next(self._claims)}"

    async def _undo_claim(self, claiming: asyncio.Future[tuple[Claim, Ack | None] | None]) -> None:
        """The loop was cancelled while a claim was in flight: give back what it took."""
        try:
            claimed = await claiming
        except Exception:
            return
        if claimed is not None:
            claim, ack = claimed
            await self.store.release(claim.job.id, claim.token)
            await self.queue.ring(str(claim.job.id))
            await _acknowledge(ack)

    # ---- the doorbell -----------------------------------------------------------------

    async def _listen_loop(self) -> None:
        outage = _Outage("reading the job stream (meanwhile workers poll the database)")
        failures = 0
        while True:
            try:
                assert self.queue.doorbell is not None
                async for delivery in self.queue.doorbell.deliveries():
                    failures = 0
                    outage.succeeded()
                    await self._hints.put(delivery)  # waits while every slot is busy
                    self._wake.set()
            except Exception as exc:
                failures += 1
                outage.failed(exc)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))

    async def _hand_back_hints(self) -> None:
        """Messages taken but not acted on: ring again for another worker, then acknowledge."""
        while not self._hints.empty():
            delivery = self._hints.get_nowait()
            with contextlib.suppress(Exception):
                await self.queue.ring(delivery.job_id)
                await _acknowledge(delivery.ack)

    # ---- the sweep --------------------------------------------------------------------

    async def _sweep_loop(self) -> None:
        outage = _Outage("the job sweep")
        while True:
            try:
                await self.sweep()
            except Exception as exc:
                outage.failed(exc)
            else:
                outage.succeeded()
            await asyncio.sleep(self.poll)

    async def sweep(self) -> None:
        for reclaimed in await self.store.reclaim_expired(skip=self.running):
            job = reclaimed.job
            if reclaimed.status == "dead":
                log.error("job %s (%s) dead: %s", job.id, job.name, job.error)
            else:
                log.warning("job %s (%s) lost its worker; queued again", job.id, job.name)
                await self.queue.ring(str(job.id))
            await self.queue.announce(job)
        await self.queue.schedule_due()

    # ---- running ----------------------------------------------------------------------

    def _start(self, claim: Claim, ack: Ack | None) -> None:
        registered = self.registry.get(claim.job.name)
        assert registered is not None  # claims only take runnable names
        job = claim.job
        ctx = JobContext(
            job_id=str(job.id),
            name=job.name,
            user_id=str(job.user_id) if job.user_id else None,
            attempt=job.attempts,
            max_attempts=job.max_attempts,
            core=self.queue.core,
            logger=self.queue.core.logger(registered.plugin_id),
            _report=self.queue.progress,
        )
        running = RunningJob(claim=claim, registered=registered, ctx=ctx, ack=ack)
        self.running[running.id] = running
        running.task = asyncio.get_running_loop().create_task(
            self._run(running), name=f"medianest-job:{job.name}:{job.id}"
        )

    async def _run(self, running: RunningJob) -> None:
        request_id_var.set(f"job:{running.id[:8]}")  # every log line of the job names it
        started = time.monotonic()
        outcome = LOST
        try:
            outcome = await self._attempt_and_record(running)
            # Still listed as running, so a stopping worker waits for this before closing the DB.
            await self._schedule_next(running, outcome)
        finally:
            self.running.pop(running.id, None)
            self._slots.release()
            self._wake.set()
            self.queue.stats.record(running.claim.job.name, outcome, time.monotonic() - started)

    async def _attempt_and_record(self, running: RunningJob) -> str:
        outcome = LOST
        try:
            await self.queue.announce(running.claim.job)
            keeper = asyncio.get_running_loop().create_task(self._keep_lease(running))
            try:
                outcome = await self._attempt(running)
            finally:
                await cancel_and_wait([keeper])
                running.settled()
            await _acknowledge(running.ack)  # the table now says what happened
        except Exception:
            log.exception("recording the outcome of job %s failed; its lease expires", running.id)
        return outcome

    async def _schedule_next(self, running: RunningJob, outcome: str) -> None:
        finished = outcome in ("succeeded", "failed", "dead", CANCELLED)
        if not (finished and running.registered.spec.schedule):
            return
        try:
            await self.queue.schedule_next(running.registered)
        except Exception:  # the sweep schedules it instead
            log.warning("scheduling the next %s failed", running.claim.job.name, exc_info=True)

    async def _attempt(self, running: RunningJob) -> str:
        result, error = await self._call(running)
        if error is None:
            return await self._settle_success(running, result)
        if isinstance(error, asyncio.CancelledError) and running.stop_reason is None:
            await self._settle_interrupted(running, SHUTDOWN)  # torn down from outside
            raise error
        if running.stop_reason is not None or isinstance(error, JobCancelled):
            return await self._settle_interrupted(running, running.stop_reason or CANCELLED)
        return await self._settle_failure(running, error)

    async def _call(self, running: RunningJob) -> tuple[Any, BaseException | None]:
        """Run the job's function: (its result, None) or (None, what it raised)."""
        spec = running.registered.spec
        deadline = asyncio.timeout(spec.timeout)
        try:
            async with deadline:
                return await spec.func(running.ctx, **running.claim.job.args), None
        except TimeoutError as exc:
            if deadline.expired():  # the JobSpec's timeout, not one inside the job
                return None, TransientJobError(f"timed out after {spec.timeout:g}s")
            return None, exc
        except (Exception, asyncio.CancelledError) as exc:
            return None, exc
        finally:
            running.settling = True

    async def _settle_success(self, running: RunningJob, result: Any) -> str:
        try:
            json.dumps(result)
        except (TypeError, ValueError) as exc:
            return await self._settle_failure(running, TypeError(f"the result is not JSON: {exc}"))
        return await self._finish(running, "succeeded", result=result)

    async def _settle_failure(self, running: RunningJob, exc: BaseException) -> str:
        job = running.claim.job
        error = describe(exc)
        if not is_transient(exc):
            log.error("job %s (%s) failed: %s", job.id, job.name, error, exc_info=exc)
            return await self._finish(running, "failed", error=error)
        if job.attempts >= job.max_attempts:
            log.error("job %s (%s) dead after %d tries: %s", job.id, job.name, job.attempts, error)
            return await self._finish(running, "dead", error=error)
        delay = backoff(job.attempts, self.retry_base, getattr(exc, "retry_after", None))
        log.warning(
            "job %s (%s) attempt %d/%d failed (%s); retrying in %.1fs",
            job.id,
            job.name,
            job.attempts,
            job.max_attempts,
            error,
            delay,
        )
        saved = await self.store.retry_later(
            job.id,
            running.claim.token,
            utcnow() + timedelta(seconds=delay),
            error,
            progress=await self._unsaved_progress(running),
        )
        if not saved:
            return await self._why_not_held(running)
        await self.queue.announce(await self.store.get(job.id))
        self.wake(delay)
        return "retrying"

    async def _settle_interrupted(self, running: RunningJob, reason: str) -> str:
        job = running.claim.job
        if reason == LOST:
            log.warning("job %s (%s) was taken over by another worker", job.id, job.name)
            return LOST
        if reason == CANCELLED:
            return await self._finish(running, "cancelled")
        saved = await self.store.release(
            job.id, running.claim.token, progress=await self._unsaved_progress(running)
        )
        if not saved:
            return await self._why_not_held(running)
        log.info("job %s (%s) put back in the queue (%s)", job.id, job.name, reason)
        await self.queue.announce(await self.store.get(job.id))
        if reason == SHUTDOWN:
            await self.queue.ring(str(job.id))
        return "released"

    async def _finish(self, running: RunningJob, status: str, **outcome: Any) -> str:
        job = running.claim.job
        saved = await self.store.finish(
            job.id,
            running.claim.token,
            status,
            progress=await self._unsaved_progress(running),
            **outcome,
        )
        if not saved:
            return await self._why_not_held(running)
        await self.queue.announce(await self.store.get(job.id))
        return status

    async def _why_not_held(self, running: RunningJob) -> str:
        """Our write matched nothing: the job was cancelled meanwhile, or someone else has it."""
        status = await self.store.status_of(running.claim.job.id)
        return CANCELLED if status == "cancelled" else LOST

    # ---- leases and progress ----------------------------------------------------------

    async def _keep_lease(self, running: RunningJob) -> None:
        job = running.claim.job
        renewed_at = time.monotonic()
        while True:
            await asyncio.sleep(self.lease / 3)
            if not self.registry.runnable(job.name):
                running.interrupt(PAUSED)
            try:
                held = await self.store.renew(job.id, running.claim.token, self.lease)
            except Exception as exc:
                if time.monotonic() - renewed_at > self.lease:  # expired: others may run it now
                    log.error("job %s: lease expired while the database was unreachable", job.id)
                    running.interrupt(LOST, grace=0)
                    return
                log.warning("job %s: renewing its lease failed (%s)", job.id, exc)
                continue
            if held:
                renewed_at = time.monotonic()
                continue
            if await self.store.status_of(job.id) == "cancelled":
                running.interrupt(CANCELLED)
            else:
                running.interrupt(LOST, grace=0)
            return

    async def save_progress(self, running: RunningJob, data: Mapping[str, Any]) -> None:
        """Keep the newest progress; write it now if the last write is old enough, else soon."""
        state = running.progress
        state.latest = dict(data)
        wait = state.saved_at + PROGRESS_SAVE_INTERVAL - time.monotonic()
        if wait <= 0:
            await self._write_progress(running)
        elif state.flush is None or state.flush.done():
            state.flush = asyncio.get_running_loop().create_task(self._flush_later(running, wait))

    async def _flush_later(self, running: RunningJob, wait: float) -> None:
        await asyncio.sleep(wait)
        try:
            await self._write_progress(running)
        except Exception:
            log.warning("saving progress of job %s failed", running.id, exc_info=True)

    async def _write_progress(self, running: RunningJob) -> None:
        latest = running.progress.take()
        if latest is KEEP:
            return
        running.progress.saved_at = time.monotonic()
        await self.store.save_progress(running.claim.job.id, running.claim.token, latest)

    async def _unsaved_progress(self, running: RunningJob) -> Any:
        """Stop the pending flush and hand its data to the outcome write instead."""
        flush = running.progress.flush
        if flush is not None:
            await cancel_and_wait([flush])
        return running.progress.take()


async def _acknowledge(ack: Any) -> None:
    if ack is None:
        return
    try:
        await ack()
    except Exception as exc:  # the message is redelivered later, and its claim then fails
        log.warning("acknowledging a job message failed (%s)", exc)
