"""Plugins whose jobs exercise the job queue.

`JobsPlugin` runs inside the test's own process and records what its jobs did on the instance.
`crash_plugin` runs in `medianest worker` subprocesses (MEDIANEST_EXTRA_PLUGINS=
sample_plugins.job_plugins:crash_plugin), so its jobs record each run as a line in a file.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter, defaultdict
from pathlib import Path

import httpx

from medianest.jobs import JobContext, TransientJobError
from medianest.plugins import JobSpec, PluginSpec, hookimpl


class JobsPlugin:
    """Instantiate one per test. `schedule` adds a slow job that runs every `schedule` seconds."""

    def __init__(self, plugin_id: str = "jobtest", schedule: float | None = None) -> None:
        self.plugin = PluginSpec(id=plugin_id, title="Job tests")
        self.schedule = schedule
        self.runs: Counter[str] = Counter()  # job key -> attempts started
        self.completed: Counter[str] = Counter()
        self.saw_cancel: list[str] = []
        self.started: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.gates: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.active_scheduled = 0
        self.most_active_scheduled = 0
        self.scheduled_runs = 0

    @hookimpl
    def register_jobs(self, core):
        jobs = [
            JobSpec("echo", self.echo),
            JobSpec("steps", self.steps),
            JobSpec("flaky", self.flaky),
            JobSpec("broken", self.broken),
            JobSpec("unreachable", self.unreachable, retries=5),
            JobSpec("gated", self.gated),
            JobSpec("slow", self.slow, retries=1, timeout=0.05),
            JobSpec("opaque", self.opaque),
        ]
        if self.schedule is not None:
            jobs.append(JobSpec("tick", self.tick, schedule=self.schedule))
        return jobs

    async def echo(self, ctx: JobContext, **args):
        self.runs["echo"] += 1
        return {"args": args, "attempt": ctx.attempt, "user_id": ctx.user_id}

    async def steps(self, ctx: JobContext, count: int):
        for step in range(1, count + 1):
            await ctx.progress({"step": step, "of": count})
        return {"steps": count}

    async def flaky(self, ctx: JobContext, fail_times: int):
        self.runs["flaky"] += 1
        if ctx.attempt <= fail_times:
            raise TransientJobError("upstream busy")
        return {"attempt": ctx.attempt}

    async def broken(self, ctx: JobContext):
        self.runs["broken"] += 1
        raise ValueError("this input can never work")

    async def unreachable(self, ctx: JobContext):
        self.runs["unreachable"] += 1
        raise httpx.ConnectError("connection refused")

    async def slow(self, ctx: JobContext):
        self.runs["slow"] += 1
        await asyncio.sleep(60)  # far beyond the JobSpec's timeout

    async def opaque(self, ctx: JobContext):
        return {"not json": object()}

    async def gated(self, ctx: JobContext, key: str):
        """Runs until the test opens `gates[key]`, or stops when asked to."""
        self.runs[key] += 1
        self.started[key].set()
        opened = asyncio.ensure_future(self.gates[key].wait())
        asked = asyncio.ensure_future(ctx.cancelled.wait())
        try:
            await asyncio.wait({opened, asked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            opened.cancel()
            asked.cancel()
        if ctx.cancelled.is_set():
            self.saw_cancel.append(key)
            ctx.check_cancelled()
        self.completed[key] += 1
        return {"key": key}

    async def tick(self, ctx: JobContext):
        self.scheduled_runs += 1
        self.active_scheduled += 1
        self.most_active_scheduled = max(self.most_active_scheduled, self.active_scheduled)
        try:
            await asyncio.sleep(0.15)  # longer than the schedule: the next tick comes while it runs
        finally:
            self.active_scheduled -= 1


class BadJobsPlugin:
    """Declares jobs the core must refuse: a bad name and a function that is not async."""

    plugin = PluginSpec(id="badjobs", title="Bad jobs")

    @hookimpl
    def register_jobs(self, core):
        async def fine(ctx):
            return None

        def not_async(ctx):
            return None

        return [JobSpec("Bad-Name", fine), JobSpec("blocking", not_async)]


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())


class CrashPlugin:
    """Jobs for worker subprocesses; every run appends `start|done <attempt> <pid>` to `path`."""

    plugin = PluginSpec(id="crashjobs", title="Crash tests")

    @hookimpl
    def register_jobs(self, core):
        return [
            JobSpec("record", self.record),
            JobSpec("hold", self.hold),
            JobSpec("poison", self.poison),
        ]

    async def record(self, ctx: JobContext, path: str, seconds: float):
        _append(path, f"start {ctx.attempt} {os.getpid()}")
        await asyncio.sleep(seconds)
        _append(path, f"done {ctx.attempt} {os.getpid()}")
        return {"pid": os.getpid()}

    async def hold(self, ctx: JobContext, path: str, release: str):
        """Runs until the file `release` exists (the test creates it)."""
        _append(path, f"start {ctx.attempt} {os.getpid()}")
        while not Path(release).exists():
            await asyncio.sleep(0.05)
        _append(path, f"done {ctx.attempt} {os.getpid()}")
        return {"pid": os.getpid()}

    async def poison(self, ctx: JobContext, path: str):
        """Kills the worker running it, every time."""
        _append(path, f"start {ctx.attempt} {os.getpid()}")
        os.kill(os.getpid(), signal.SIGKILL)


crash_plugin = CrashPlugin()
