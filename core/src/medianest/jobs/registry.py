"""The jobs plugins declared, under their full names `<plugin id>.<job>`."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from medianest.plugins.contributions import JobSpec
from medianest.plugins.host import PluginHost, PluginState

JOB_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class RegisteredJob:
    plugin_id: str
    spec: JobSpec

    @property
    def name(self) -> str:
        return f"{self.plugin_id}.{self.spec.name}"

    @property
    def max_attempts(self) -> int:
        return self.spec.retries + 1  # the first try plus `retries` retries

    @property
    def schedule_key(self) -> str:
        """The dedupe key every occurrence of a scheduled job shares: one unfinished at a time."""
        return f"schedule:{self.name}"


def spec_problem(spec: JobSpec) -> str | None:
    """Why a plugin's JobSpec cannot be registered, or None."""
    if not JOB_NAME.match(spec.name):
        return f"job name {spec.name!r} must match {JOB_NAME.pattern}"
    if not inspect.iscoroutinefunction(spec.func):
        return f"job {spec.name!r}: func must be an `async def`"
    if spec.retries < 0:
        return f"job {spec.name!r}: retries must not be negative"
    for field in ("schedule", "timeout"):
        value = getattr(spec, field)
        if value is not None and value <= 0:
            return f"job {spec.name!r}: {field} must be positive"
    return None


class JobRegistry:
    """Every job of every loaded plugin, enabled or not, so that enabling one needs no restart."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self._jobs: dict[str, RegisteredJob] = {}

    def load(self) -> None:
        """Read what `register_jobs` returned; a plugin with an invalid JobSpec is failed."""
        self._jobs.clear()
        for record in self.host.records.values():
            if record.state in (PluginState.FAILED, PluginState.INCOMPATIBLE):
                continue
            specs = record.contributions.get("register_jobs", [])
            jobs = [RegisteredJob(record.id, spec) for spec in specs]
            problems = [problem for job in jobs if (problem := spec_problem(job.spec))]
            names = [job.name for job in jobs]
            if len(set(names)) != len(names):
                problems.append("two jobs share one name")
            if problems:
                self.host.fail(record.id, "register_jobs: " + "; ".join(problems))
                continue
            self._jobs.update((job.name, job) for job in jobs)

    def get(self, name: str) -> RegisteredJob | None:
        return self._jobs.get(name)

    def runnable(self, name: str) -> bool:
        job = self._jobs.get(name)
        return job is not None and self.host.is_active(job.plugin_id)

    def runnable_names(self) -> list[str]:
        """Jobs this process may start now: registered here, and their plugin is enabled."""
        return [name for name in self._jobs if self.runnable(name)]

    def scheduled(self) -> list[RegisteredJob]:
        return [job for job in self._jobs.values() if job.spec.schedule and self.runnable(job.name)]

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def __len__(self) -> int:
        return len(self._jobs)
