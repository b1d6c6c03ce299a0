"""The job queue inside the app, on both backends: outcomes, retries, progress, cancellation,
deduplication, disabled plugins, schedules and resuming after a restart.

On the production backend the app runs its own worker here (MEDIANEST_RUN_JOBS) and jobs are
announced through the Redis stream; separate worker processes are in test_worker_crash.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from medianest.events import Event
from medianest.jobs import JobRecord, UnknownJob
from medianest.jobs.store import utcnow
from sample_plugins.job_plugins import BadJobsPlugin, JobsPlugin

WAIT = 30.0  # guards against hanging forever; never an expectation about speed
FAST = {  # short waits so that retries and sweeps happen within the test
    "run_jobs": True,
    "job_poll_seconds": 0.05,
    "job_retry_base_seconds": 0.01,
}


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = WAIT) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


async def finished(core: Any, job_id: Any, *states: str) -> JobRecord:
    states = states or ("succeeded", "failed", "dead", "cancelled")

    async def check() -> JobRecord | None:
        job = await core.jobs.get(job_id)
        return job if job is not None and job.status in states else None

    return await eventually(check, f"job {job_id} to be {'/'.join(states)}")


async def started_app(app_factory: Any, *plugins: Any, **settings: Any) -> tuple[Any, Any]:
    app = await app_factory(plugins=list(plugins), **{**FAST, **settings})
    return app, app.extensions["medianest"]


class Collector:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event) -> None:
        self.events.append(event)

    def about(self, job_id: Any) -> list[Event]:
        return [event for event in self.events if event.topic == f"job:{job_id}"]


# ---- outcomes -------------------------------------------------------------------------


async def test_an_enqueued_job_runs_and_keeps_its_result(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)
    user = uuid.uuid4()

    job = await core.jobs.enqueue("jobtest.echo", {"word": "hello"}, user_id=user)
    assert job.status == "queued"
    done = await finished(core, job.id)

    assert done.status == "succeeded"
    assert done.result == {"args": {"word": "hello"}, "attempt": 1, "user_id": str(user)}
    assert done.attempts == 1
    assert done.finished_at is not None
    assert done.lease_expires_at is None


async def test_unknown_job_names_and_unusable_arguments_are_refused(app_factory):
    _, core = await started_app(app_factory, JobsPlugin())
    with pytest.raises(UnknownJob):
        await core.jobs.enqueue("jobtest.nope", {})
    with pytest.raises(UnknownJob):
        await core.jobs.enqueue("echo", {})  # the plugin id is part of the name
    with pytest.raises(ValueError):
        await core.jobs.enqueue("jobtest.echo", {"when": object()})
    with pytest.raises(ValueError):
        await core.jobs.enqueue("jobtest.echo", {}, user_id="not a user id")
    with pytest.raises(ValueError):
        await core.jobs.enqueue("jobtest.echo", {}, max_attempts=0)
    assert await JobRecord.all().count() == 0
    assert await core.jobs.get("not-a-uuid") is None
    assert await core.jobs.cancel(uuid.uuid4()) is None


async def test_progress_is_published_in_order_and_the_last_is_kept(app_factory):
    _, core = await started_app(app_factory, JobsPlugin())
    collector = Collector()
    core.events.subscribe(collector, names=("job:progress", "job:status"))
    user = str(uuid.uuid4())

    job = await core.jobs.enqueue("jobtest.steps", {"count": 6}, user_id=user)
    done = await finished(core, job.id)
    await core.events.drain()

    def statuses() -> list[str]:
        return [e.data["status"] for e in collector.about(job.id) if e.name == "job:status"]

    for _ in range(100):  # the final status is published just after the row is written
        if "succeeded" in statuses():
            break
        await asyncio.sleep(0.05)
        await core.events.drain()
    progress = [e for e in collector.about(job.id) if e.name == "job:progress"]
    assert [event.data["progress"]["step"] for event in progress] == [1, 2, 3, 4, 5, 6]
    assert {event.user_id for event in progress} == {user}
    statuses = statuses()
    assert statuses == ["queued", "running", "succeeded"]
    assert done.progress == {"step": 6, "of": 6}  # throttled writes still end on the last one
    assert done.result == {"steps": 6}


async def test_progress_outside_a_running_job_is_refused(app_factory):
    _, core = await started_app(app_factory, JobsPlugin())
    with pytest.raises(UnknownJob):
        await core.jobs.progress(uuid.uuid4(), {"step": 1})


async def test_a_transient_error_is_retried_until_the_job_succeeds(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)

    job = await core.jobs.enqueue("jobtest.flaky", {"fail_times": 1})
    done = await finished(core, job.id)

    assert done.status == "succeeded"
    assert done.attempts == 2
    assert done.result == {"attempt": 2}
    assert plugin.runs["flaky"] == 2


async def test_a_permanent_error_fails_at_once(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)

    job = await core.jobs.enqueue("jobtest.broken")
    done = await finished(core, job.id)

    assert done.status == "failed"
    assert done.attempts == 1
    assert "ValueError: this input can never work" in done.error
    assert plugin.runs["broken"] == 1


async def test_a_job_that_keeps_failing_transiently_ends_dead(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)

    job = await core.jobs.enqueue("jobtest.unreachable", max_attempts=3)
    done = await finished(core, job.id)

    assert done.status == "dead"
    assert done.attempts == 3
    assert "ConnectError" in done.error
    assert plugin.runs["unreachable"] == 3


async def test_a_job_over_its_timeout_is_retried_then_dead(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)

    job = await core.jobs.enqueue("jobtest.slow")
    done = await finished(core, job.id)

    assert done.status == "dead"
    assert done.attempts == 2  # retries=1
    assert "timed out after 0.05s" in done.error
    assert plugin.runs["slow"] == 2


async def test_a_result_that_is_not_json_fails_the_job(app_factory):
    _, core = await started_app(app_factory, JobsPlugin())

    done = await finished(core, (await core.jobs.enqueue("jobtest.opaque")).id)

    assert done.status == "failed"
    assert "not JSON" in done.error
    assert done.result is None


async def test_a_plugin_declaring_invalid_jobs_is_failed(app_factory):
    _, core = await started_app(app_factory, BadJobsPlugin(), JobsPlugin())

    record = core.host.get("badjobs")
    assert record.state.value == "failed"
    assert "Bad-Name" in record.error
    assert "async def" in record.error
    with pytest.raises(UnknownJob):
        await core.jobs.enqueue("badjobs.Bad-Name")
    assert core.host.get("jobtest").state.value == "enabled"  # the others carry on


async def test_max_attempts_defaults_to_the_specs_retries_plus_one(app_factory):
    _, core = await started_app(app_factory, JobsPlugin(), run_jobs=False)
    assert (await core.jobs.enqueue("jobtest.unreachable")).max_attempts == 6  # retries=5
    assert (await core.jobs.enqueue("jobtest.echo")).max_attempts == 4  # JobSpec's default 3


# ---- deduplication and cancellation ---------------------------------------------------


async def test_a_dedupe_key_makes_resubmission_return_the_same_job(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)

    first = await core.jobs.enqueue("jobtest.gated", {"key": "d"}, dedupe_key="playlist-42")
    await asyncio.wait_for(plugin.started["d"].wait(), WAIT)
    again = await core.jobs.enqueue("jobtest.gated", {"key": "d"}, dedupe_key="playlist-42")
    assert again.id == first.id
    plugin.gates["d"].set()
    await finished(core, first.id)

    assert plugin.runs["d"] == 1
    assert await JobRecord.filter(name="jobtest.gated").count() == 1
    # Once finished, the key is free: the same work may be asked for again.
    later = await core.jobs.enqueue("jobtest.gated", {"key": "d"}, dedupe_key="playlist-42")
    assert later.id != first.id
    await finished(core, later.id)


async def test_concurrent_submissions_with_one_dedupe_key_make_one_job(app_factory):
    _, core = await started_app(app_factory, JobsPlugin(), run_jobs=False)
    jobs = await asyncio.gather(
        *(core.jobs.enqueue("jobtest.echo", {"n": n}, dedupe_key="same") for n in range(8))
    )
    assert len({job.id for job in jobs}) == 1
    assert await JobRecord.all().count() == 1


async def test_cancelling_a_running_job_stops_it(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)

    job = await core.jobs.enqueue("jobtest.gated", {"key": "c"})
    await asyncio.wait_for(plugin.started["c"].wait(), WAIT)
    cancelled = await core.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    await eventually(lambda: _true(plugin.saw_cancel == ["c"]), "the job to see the cancellation")
    await eventually(lambda: _true(core.jobs.running == 0), "the worker to let go of the job")

    final = await core.jobs.get(job.id)
    assert final.status == "cancelled"
    assert final.result is None
    assert plugin.completed["c"] == 0


async def test_a_cancelled_queued_job_never_runs(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin)

    job = await core.jobs.enqueue("jobtest.echo", {"n": 1}, delay=3600)
    await core.jobs.cancel(job.id)
    assert (await core.jobs.get(job.id)).status == "cancelled"
    # A job queued after it runs; the cancelled one stays as it was.
    other = await core.jobs.enqueue("jobtest.echo", {"n": 2})
    await finished(core, other.id)
    assert plugin.runs["echo"] == 1
    assert (await core.jobs.cancel(job.id)).status == "cancelled"  # idempotent


# ---- plugins and schedules ------------------------------------------------------------


async def test_a_disabled_plugins_jobs_wait_until_it_is_enabled_again(app_factory):
    disabled, enabled = JobsPlugin("jobtest"), JobsPlugin("otherjobs")
    _, core = await started_app(app_factory, disabled, enabled, job_concurrency=1)
    await core.host.set_enabled("jobtest", False, core)

    waiting = await core.jobs.enqueue("jobtest.echo", {"n": 1})
    after = await core.jobs.enqueue("otherjobs.echo", {"n": 2})  # queued later, one slot
    await finished(core, after.id)

    assert (await core.jobs.get(waiting.id)).status == "queued"
    assert disabled.runs["echo"] == 0

    await core.host.set_enabled("jobtest", True, core)
    done = await finished(core, waiting.id)
    assert done.status == "succeeded"
    assert disabled.runs["echo"] == 1


async def test_disabling_a_plugin_puts_its_running_job_back_in_the_queue(app_factory):
    plugin = JobsPlugin()
    _, core = await started_app(app_factory, plugin, job_lease_seconds=0.6)

    job = await core.jobs.enqueue("jobtest.gated", {"key": "p"})
    await asyncio.wait_for(plugin.started["p"].wait(), WAIT)
    await core.host.set_enabled("jobtest", False, core)

    async def requeued() -> bool:
        record = await core.jobs.get(job.id)
        return record.status == "queued" and core.jobs.running == 0

    await eventually(requeued, "the job to go back to the queue")
    assert (await core.jobs.get(job.id)).attempts == 0  # the interruption was not a failure

    plugin.gates["p"].set()
    await core.host.set_enabled("jobtest", True, core)
    done = await finished(core, job.id)
    assert done.status == "succeeded"
    assert plugin.runs["p"] == 2
    assert plugin.completed["p"] == 1


async def test_a_scheduled_job_never_overlaps_itself(app_factory):
    plugin = JobsPlugin(schedule=0.05)  # each run takes longer than the schedule
    await started_app(app_factory, plugin, job_concurrency=4)

    await eventually(lambda: _true(plugin.scheduled_runs >= 4), "several scheduled runs")

    assert plugin.most_active_scheduled == 1
    unfinished = JobRecord.filter(name="jobtest.tick", status__in=("queued", "running"))
    assert await unfinished.count() <= 1


# ---- restarts -------------------------------------------------------------------------


async def test_a_job_interrupted_by_a_stop_completes_once_after_the_next_start(app_factory):
    first = JobsPlugin()
    app, core = await started_app(app_factory, first, job_shutdown_grace=0.2)
    job = await core.jobs.enqueue("jobtest.gated", {"key": "r"})
    await asyncio.wait_for(first.started["r"].wait(), WAIT)
    await app_factory.stop(app)  # the job does not finish within the grace

    assert first.completed["r"] == 0
    second = JobsPlugin()
    second.gates["r"].set()
    _, core = await started_app(app_factory, second)
    done = await finished(core, job.id)

    assert done.status == "succeeded"
    assert done.attempts == 1  # the interrupted run gave its attempt back
    assert second.runs["r"] == 1
    assert second.completed["r"] == 1


async def test_a_job_left_running_by_a_dead_process_is_resumed(app_factory):
    plugin = JobsPlugin()
    app, core = await started_app(app_factory, plugin, run_jobs=False)
    job = await core.jobs.enqueue("jobtest.echo", {"n": 7})
    # What a process killed mid-job leaves behind: running, under a lease nobody renews.
    await JobRecord.filter(id=job.id).update(
        status="running",
        attempts=1,
        lease_owner="gone-host:4242:abcdef/1",
        lease_expires_at=utcnow() - timedelta(seconds=1),
    )
    await app_factory.stop(app)

    _, core = await started_app(app_factory, plugin)
    done = await finished(core, job.id)

    assert done.status == "succeeded"
    assert done.attempts == 2
    assert plugin.runs["echo"] == 1


async def test_queue_depth_counts_jobs_by_state(app_factory):
    _, core = await started_app(app_factory, JobsPlugin(), run_jobs=False)
    for n in range(3):
        await core.jobs.enqueue("jobtest.echo", {"n": n})
    depth = await core.jobs.depth()
    assert depth["queued"] == 3
    assert depth["running"] == depth["succeeded"] == 0
    assert await core.jobs.broker_ok()


async def _true(value: bool) -> bool:
    return value
