"""Background jobs that are never lost and never run twice at once.

Plugins declare jobs with `register_jobs` → `JobSpec(name, func, schedule, retries, timeout)`;
the core registers each as `<plugin id>.<name>`. Everything else goes through `core.jobs`:

    job = await core.jobs.enqueue("videos.download", {"url": url}, user_id=actor.user_id)
    await core.jobs.cancel(job.id)
    job = await core.jobs.get(job.id)          # JobRecord: status, progress, result, error…

    async def download(ctx: JobContext, url: str) -> dict:
        await ctx.progress({"percent": 10})    # published as `job:progress` at once
        ctx.check_cancelled()                  # raises JobCancelled once asked to stop
        raise TransientJobError("try later")   # retried with backoff; other errors fail at once

See docs/decisions/0009-jobs.md for how claims, leases and the brokers fit together.
"""

from medianest.jobs.context import JobContext
from medianest.jobs.errors import TRANSIENT_ERRORS, JobCancelled, TransientJobError, UnknownJob
from medianest.jobs.models import JOB_STATES, JobRecord
from medianest.jobs.queue import JobQueue
from medianest.jobs.stats import JobStats

__all__ = [
    "JOB_STATES",
    "TRANSIENT_ERRORS",
    "JobCancelled",
    "JobContext",
    "JobQueue",
    "JobRecord",
    "JobStats",
    "TransientJobError",
    "UnknownJob",
]
