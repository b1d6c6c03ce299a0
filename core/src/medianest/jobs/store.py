"""Every read and write of the `jobs` table: the durable truth about each job.

Each change of state is one conditional UPDATE whose WHERE clause names the state it expects,
so concurrent workers (threads of one process or separate machines) cannot both win: a claim
only takes a `queued` row, and a running job's renewals and outcome only land while the row is
still `running` under the same lease token. A worker that lost its lease (it stalled, or the
job was cancelled) finds its writes match no row and drops them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from medianest.jobs.models import JOB_STATES, JobRecord

UNFINISHED = ("queued", "running")
FINISHED = ("succeeded", "failed", "dead", "cancelled")
CLAIM_CANDIDATES = 8  # rows one claim attempt looks at; others may take some of them first
KEEP: Any = object()  # "leave this column as it is"


def utcnow() -> datetime:
    return datetime.now(UTC)


def job_uuid(job_id: object) -> uuid.UUID | None:
    """The job id as a UUID, or None for anything that cannot be one (never a database error)."""
    if isinstance(job_id, uuid.UUID):
        return job_id
    try:
        return uuid.UUID(str(job_id))
    except ValueError:
        return None


@dataclass
class Claim:
    """A job this worker now runs; `token` identifies this one claim of it."""

    job: JobRecord
    token: str


@dataclass(frozen=True)
class Reclaimed:
    """A job whose worker stopped renewing its lease, and where the sweep put it."""

    job: JobRecord
    status: str  # "queued" (tried again) or "dead" (its attempts are spent)


class JobStore:
    # ---- creating and reading -------------------------------------------------------

    async def create(
        self,
        name: str,
        args: dict[str, Any],
        *,
        user_id: uuid.UUID | None,
        dedupe_key: str | None,
        max_attempts: int,
        not_before: datetime | None,
    ) -> tuple[JobRecord, bool]:
        """Insert a job; with a dedupe key, return the unfinished job holding it instead.

        Finished jobs give their key up (see `finish`), so the unique index on `dedupe_key`
        covers exactly the unfinished ones. Returns (job, created).
        """
        for _ in range(5):  # the holder may finish between our read and our insert
            if dedupe_key is not None:
                existing = await JobRecord.get_or_none(dedupe_key=dedupe_key)
                if existing is not None:
                    return existing, False
            try:
                record = await JobRecord.create(
                    name=name,
                    args=args,
                    user_id=user_id,
                    dedupe_key=dedupe_key,
                    max_attempts=max_attempts,
                    not_before=not_before,
                )
            except IntegrityError:
                if dedupe_key is None:
                    raise
                continue  # another enqueue took the key first: return its job
            return record, True
        raise RuntimeError(f"could not enqueue {name}: dedupe key {dedupe_key!r} kept changing")

    async def get(self, job_id: object) -> JobRecord | None:
        key = job_uuid(job_id)
        return None if key is None else await JobRecord.get_or_none(id=key)

    async def status_of(self, job_id: object) -> str | None:
        job = await self.get(job_id)
        return None if job is None else job.status

    async def has_unfinished(self, dedupe_key: str) -> bool:
        return await JobRecord.filter(dedupe_key=dedupe_key).exists()

    async def last_finished_at(self, name: str) -> datetime | None:
        finished = JobRecord.filter(name=name, status__in=FINISHED)
        job = await finished.order_by("-finished_at").first()
        return None if job is None else job.finished_at

    async def counts(self) -> dict[str, int]:
        rows = await JobRecord.annotate(n=Count("id")).group_by("status").values("status", "n")
        counts = dict.fromkeys(JOB_STATES, 0)
        counts.update({row["status"]: row["n"] for row in rows})
        return counts

    # ---- claiming and leases --------------------------------------------------------

    async def claim(
        self,
        token: str,
        lease: float,
        names: Sequence[str],
        *,
        job_id: object = None,
        skip: Iterable[str] = (),
    ) -> Claim | None:
        """Take one due, queued job among `names` (or exactly `job_id`), or None."""
        if not names:
            return None
        if job_id is not None:
            key = job_uuid(job_id)
            candidates = [] if key is None or str(key) in skip else [key]
        else:
            query = _due(JobRecord.filter(status="queued", name__in=list(names)), utcnow())
            rows = await (
                _without(query, skip)
                .order_by("created_at")
                .limit(CLAIM_CANDIDATES)
                .values_list("id")
            )
            candidates = [row_id for (row_id,) in rows]
        for candidate in candidates:
            now = utcnow()
            taken = await _due(
                JobRecord.filter(id=candidate, status="queued", name__in=list(names)), now
            ).update(
                status="running",
                attempts=F("attempts") + 1,
                lease_owner=token,
                lease_expires_at=now + timedelta(seconds=lease),
                updated_at=now,
            )
            if taken:
                return Claim(job=await JobRecord.get(id=candidate), token=token)
        return None

    async def renew(self, job_id: uuid.UUID, token: str, lease: float) -> bool:
        now = utcnow()
        return bool(
            await _held(job_id, token).update(
                lease_expires_at=now + timedelta(seconds=lease), updated_at=now
            )
        )

    async def reclaim_expired(self, skip: Iterable[str] = ()) -> list[Reclaimed]:
        """Requeue running jobs whose lease ran out (their worker died or hung), or dead-letter
        those that have no attempt left: a job that kills its worker must not do so forever."""
        now = utcnow()
        query = JobRecord.filter(status="running", lease_expires_at__lt=now)
        expired = await _without(query, skip).order_by("lease_expires_at")
        reclaimed = []
        for job in expired:
            status = "queued" if job.attempts < job.max_attempts else "dead"
            changes: dict[str, Any] = {"status": status, "lease_expires_at": None}
            changes["updated_at"] = now
            if status == "queued":
                changes.update(lease_owner=None, not_before=None)
            else:
                changes.update(
                    finished_at=now,
                    dedupe_key=None,
                    error=f"its worker stopped during attempt {job.attempts} of {job.max_attempts}",
                )
            moved = await JobRecord.filter(
                id=job.id, status="running", lease_owner=job.lease_owner, lease_expires_at__lt=now
            ).update(**changes)
            if moved:
                reclaimed.append(Reclaimed(job=await JobRecord.get(id=job.id), status=status))
        return reclaimed

    # ---- outcomes (each only while this claim still holds the job) --------------------

    async def save_progress(self, job_id: uuid.UUID, token: str, progress: Any) -> bool:
        return bool(await _held(job_id, token).update(progress=progress, updated_at=utcnow()))

    async def finish(
        self,
        job_id: uuid.UUID,
        token: str,
        status: str,
        *,
        result: Any = None,
        error: str | None = None,
        progress: Any = KEEP,
    ) -> bool:
        """Record a final state; the dedupe key is given up so the same work can be asked again."""
        now = utcnow()
        changes: dict[str, Any] = {
            "status": status,
            "result": result,
            "error": error,
            "finished_at": now,
            "lease_expires_at": None,
            "dedupe_key": None,
            "updated_at": now,
        }
        if progress is not KEEP:
            changes["progress"] = progress
        return bool(await _held(job_id, token).update(**changes))

    async def retry_later(
        self, job_id: uuid.UUID, token: str, not_before: datetime, error: str, progress: Any = KEEP
    ) -> bool:
        changes: dict[str, Any] = {
            "status": "queued",
            "not_before": not_before,
            "error": error,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": utcnow(),
        }
        if progress is not KEEP:
            changes["progress"] = progress
        return bool(await _held(job_id, token).update(**changes))

    async def release(self, job_id: uuid.UUID, token: str, progress: Any = KEEP) -> bool:
        """Give a job back unfinished (shutdown, plugin disabled): the interrupted attempt does
        not count, since the job did not fail."""
        changes: dict[str, Any] = {
            "status": "queued",
            "attempts": F("attempts") - 1,
            "not_before": None,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": utcnow(),
        }
        if progress is not KEEP:
            changes["progress"] = progress
        return bool(await _held(job_id, token).update(**changes))

    async def cancel(self, job_id: uuid.UUID) -> bool:
        now = utcnow()
        return bool(
            await JobRecord.filter(id=job_id, status__in=UNFINISHED).update(
                status="cancelled",
                finished_at=now,
                lease_expires_at=None,
                dedupe_key=None,
                updated_at=now,
            )
        )


def _due(query: QuerySet[JobRecord], now: datetime) -> QuerySet[JobRecord]:
    return query.filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


def _without(query: QuerySet[JobRecord], skip: Iterable[str]) -> QuerySet[JobRecord]:
    skip = list(skip)
    return query.exclude(id__in=skip) if skip else query


def _held(job_id: uuid.UUID, token: str) -> QuerySet[JobRecord]:
    return JobRecord.filter(id=job_id, status="running", lease_owner=token)
