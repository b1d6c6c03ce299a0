"""Real `medianest worker` processes on PostgreSQL and Redis: killed with SIGKILL mid-job, holding
a job longer than its lease and the stream's idle timeout, running a job that kills them, and
stopped with SIGTERM. The test process only enqueues and watches the jobs table.

The workers load the jobs of `sample_plugins.job_plugins:crash_plugin` through
MEDIANEST_EXTRA_PLUGINS; each run of a job appends `start|done <attempt> <pid>` to a file.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from medianest.jobs import JobRecord
from sample_plugins.job_plugins import crash_plugin

WAIT = 60.0  # guards against hanging forever; never an expectation about speed
LEASE = 4.0  # seconds; short so that a dead worker's job comes back soon, long enough for a busy CI
TESTS_DIR = Path(__file__).resolve().parent

WORKER = (sys.executable, "-m", "medianest.cli", "worker")

pytestmark = pytest.mark.timeout(240)


def outside_env() -> dict[str, str]:
    """This environment without MEDIANEST_ settings, and with the sample plugins importable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIANEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    return env


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = WAIT) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


def runs(path: Path) -> list[tuple[str, int, int]]:
    """(event, attempt, pid) for each line the job wrote."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        event, attempt, pid = line.split()
        rows.append((event, int(attempt), int(pid)))
    return rows


def events(path: Path, event: str) -> list[tuple[str, int, int]]:
    return [row for row in runs(path) if row[0] == event]


class WorkerProcess:
    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def ready(self) -> None:
        async def started() -> bool:
            if "job worker" in self.output() and "started" in self.output():
                return True  # (it may have died since: the poison test's workers do)
            if self.exited:
                pytest.fail(f"worker exited with {self.process.returncode}:\n{self.output()}")
            return False

        await eventually(started, "the worker to start")

    @property
    def exited(self) -> bool:
        return self.process.returncode is not None

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WAIT)

    async def kill(self) -> None:
        if not self.exited:
            self.process.kill()  # SIGKILL: no cleanup at all
        await self.process.wait()


@pytest.fixture
def production(backend: str, backend_settings: dict[str, Any]) -> dict[str, Any]:
    if backend != "production":
        pytest.skip("worker processes share PostgreSQL and Redis (the production backend)")
    return backend_settings


@pytest.fixture
async def core(app_factory: Any, production: dict[str, Any]) -> Any:
    """An app that only enqueues (workers run the jobs), on the workers' database and Redis."""
    app = await app_factory(plugins=[crash_plugin], run_jobs=False, job_lease_seconds=LEASE)
    return app.extensions["medianest"]


@pytest.fixture
async def workers(production: dict[str, Any], tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start `medianest worker` processes: `await workers(poll=0.2, grace=10)`."""
    started: list[WorkerProcess] = []
    base_env = {
        **outside_env(),
        "MEDIANEST_DATABASE_URL": production["database_url"],
        "MEDIANEST_REDIS_URL": production["redis_url"],
        "MEDIANEST_REDIS_PREFIX": production["redis_prefix"],
        "MEDIANEST_DATA_DIR": str(production["data_dir"]),  # the same secret key as the test app
        "MEDIANEST_ADMIN_PASSWORD": production["admin_password"],
        "MEDIANEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "MEDIANEST_EXTRA_PLUGINS": "sample_plugins.job_plugins:crash_plugin",
        "MEDIANEST_JOB_LEASE_SECONDS": str(LEASE),
    }

    async def start(
        poll: float = 0.2, grace: float = 10.0, concurrency: int = 2, log_level: str = "INFO"
    ) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        env = {
            **base_env,
            "MEDIANEST_JOB_POLL_SECONDS": str(poll),
            "MEDIANEST_LOG_LEVEL": log_level,
        }
        options = ["--concurrency", str(concurrency), "--grace", str(grace)]
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *WORKER, *options, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        worker = WorkerProcess(process, log)
        started.append(worker)
        await worker.ready()
        return worker

    yield start
    for worker in started:
        await worker.kill()


async def finished(core: Any, job_id: Any, *states: str) -> JobRecord:
    states = states or ("succeeded", "failed", "dead", "cancelled")

    async def check() -> JobRecord | None:
        job = await core.jobs.get(job_id)
        return job if job is not None and job.status in states else None

    return await eventually(check, f"job {job_id} to be {'/'.join(states)}")


async def test_a_job_whose_worker_is_killed_completes_once_on_another(core, workers, tmp_path):
    path, release = tmp_path / "runs.txt", tmp_path / "release"
    first = await workers()
    job = await core.jobs.enqueue("crashjobs.hold", {"path": str(path), "release": str(release)})
    await eventually(lambda: _value(events(path, "start")), "the job to start")

    await first.kill()  # no cleanup: the lease stays on the row
    release.touch()
    second = await workers()
    # Nothing else is enqueued: the second worker finds the job by its expired lease alone.
    done = await finished(core, job.id)

    assert done.status == "succeeded"
    assert done.attempts == 2
    assert done.result == {"pid": second.pid}
    assert [pid for _, _, pid in events(path, "start")] == [first.pid, second.pid]
    assert events(path, "done") == [("done", 2, second.pid)]


async def test_a_job_longer_than_lease_and_stream_idle_time_runs_once(
    core, workers, tmp_path, production
):
    path, release = tmp_path / "long.txt", tmp_path / "release"
    stream, group = f"{production['redis_prefix']}jobs", f"{production['redis_prefix']}workers"
    redis = Redis.from_url(production["redis_url"])
    try:
        # Held back until this worker has looked for work once and gone idle: from then on
        # only a doorbell message wakes it, so it claims the job through that message and
        # leaves the message pending until the job ends.
        args = {"path": str(path), "release": str(release)}
        job = await core.jobs.enqueue("crashjobs.hold", args, delay=3600)
        runner = await workers(poll=30, log_level="DEBUG")
        await eventually(
            lambda: _value("job worker idle" in runner.output()), "the worker to go idle"
        )
        await JobRecord.filter(id=job.id).update(not_before=None)
        await core.jobs.ring(str(job.id))
        await eventually(lambda: _value(events(path, "start")), "the job to start")
        await workers()  # sweeps every 0.2 s: it would take the job over if the lease lapsed

        async def pending_past_idle_timeout() -> bool:
            pending = await redis.xpending_range(stream, group, min="-", max="+", count=10)
            return any(entry["time_since_delivered"] > 3 * LEASE * 1000 for entry in pending)

        await eventually(pending_past_idle_timeout, "the message to pass the idle timeout")
        # New traffic makes a worker re-claim that message (XAUTOCLAIM) and deliver it again.
        short = await core.jobs.enqueue(
            "crashjobs.record", {"path": str(tmp_path / "short.txt"), "seconds": 0}
        )
        await finished(core, short.id)

        async def duplicate_dropped() -> bool:
            return (await redis.xpending(stream, group))["pending"] == 0

        await eventually(duplicate_dropped, "the redelivered message to be acknowledged")
        assert (await core.jobs.get(job.id)).status == "running"
        release.touch()
        done = await finished(core, job.id)
    finally:
        await redis.aclose()

    assert done.status == "succeeded"
    assert done.attempts == 1
    assert events(path, "start") == [("start", 1, runner.pid)]
    assert events(path, "done") == [("done", 1, runner.pid)]


async def test_a_job_that_kills_every_worker_ends_dead(core, workers, tmp_path):
    path = tmp_path / "poison.txt"
    job = await core.jobs.enqueue("crashjobs.poison", {"path": str(path)}, max_attempts=2)
    worker = await workers()

    async def dead_letter() -> JobRecord | None:
        nonlocal worker
        if worker.exited:  # it took the poison: a new worker takes over
            worker = await workers()
        record = await core.jobs.get(job.id)
        return record if record.status == "dead" else None

    done = await eventually(dead_letter, "the poison job to be dead-lettered")

    assert done.attempts == 2
    assert "worker stopped" in done.error
    assert [attempt for _, attempt, _ in events(path, "start")] == [1, 2]


async def test_sigterm_lets_running_jobs_finish_requeues_the_rest_and_exits_0(
    core, workers, tmp_path
):
    finishing, abandoned = tmp_path / "finishing", tmp_path / "abandoned"
    worker = await workers(grace=3)
    done_job = await core.jobs.enqueue(
        "crashjobs.hold", {"path": str(finishing), "release": str(tmp_path / "go")}
    )
    held_job = await core.jobs.enqueue(
        "crashjobs.hold", {"path": str(abandoned), "release": str(tmp_path / "never")}
    )

    async def both_started() -> bool:
        return bool(events(finishing, "start") and events(abandoned, "start"))

    async def stopping() -> bool:
        return "job worker stopping" in worker.output()

    await eventually(both_started, "both jobs to start")
    worker.process.send_signal(signal.SIGTERM)
    await eventually(stopping, "the worker to begin stopping")
    (tmp_path / "go").touch()  # one job finishes within the grace; the other never would

    assert await worker.exit_code() == 0
    assert (await core.jobs.get(done_job.id)).status == "succeeded"
    requeued = await core.jobs.get(held_job.id)
    assert requeued.status == "queued"
    assert requeued.attempts == 0  # interrupted, not failed
    assert requeued.lease_owner is None
    assert events(abandoned, "done") == []


async def test_cancelling_from_the_app_stops_the_job_in_the_worker(core, workers, tmp_path):
    held, after = tmp_path / "held.txt", tmp_path / "after.txt"
    await workers(concurrency=1)
    job = await core.jobs.enqueue(
        "crashjobs.hold", {"path": str(held), "release": str(tmp_path / "never")}
    )
    await eventually(lambda: _value(events(held, "start")), "the job to start")

    assert (await core.jobs.cancel(job.id)).status == "cancelled"
    # The worker's only slot frees up once the job has stopped; then the next job runs.
    following = await core.jobs.enqueue("crashjobs.record", {"path": str(after), "seconds": 0})
    assert (await finished(core, following.id)).status == "succeeded"

    assert (await core.jobs.get(job.id)).status == "cancelled"
    assert events(held, "done") == []


def test_the_worker_refuses_an_extra_plugin_it_cannot_import(tmp_path):
    env = {
        **outside_env(),
        "MEDIANEST_DATA_DIR": str(tmp_path),
        "MEDIANEST_EXTRA_PLUGINS": "no_such_module:plugin",
        "MEDIANEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = subprocess.run(WORKER, env=env, capture_output=True, timeout=WAIT, check=False)
    assert result.returncode != 0
    assert b"no_such_module" in result.stderr


async def _value(value: Any) -> Any:
    return value
