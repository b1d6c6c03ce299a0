"""Who may run now: at most `max_concurrent` downloads at once, each person's one at a time.

A running download holds a `slot` (0 … max_concurrent - 1) and its person's `lane` (the user
id), both unique columns: taking them is one UPDATE that the database refuses when another
row holds either, so two workers can never both take the last one. A download whose worker
was killed keeps its place until its job runs again (and resumes) or ends for good.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from medianest.sdk import PluginCore

from .models import Download

LIVE_JOB = ("queued", "running")


async def take(core: PluginCore, download: Download, max_concurrent: int) -> bool:
    """Take a slot and the person's lane for `download`; False when none is free now."""
    if download.slot is not None:
        return True  # a resumed run keeps its place
    await _free_stale(core)
    lane = str(download.user_id)
    if await Download.filter(lane=lane).exclude(id=download.id).exists():
        return False
    for slot in range(max_concurrent):
        try:
            taken = await Download.filter(id=download.id, slot__isnull=True).update(
                slot=slot, lane=lane
            )
        except IntegrityError:
            continue  # held: the next one, or another of this person's took the lane
        if taken:
            download.slot, download.lane = slot, lane
        return bool(taken)
    return False


async def release(download: Download) -> None:
    await Download.filter(id=download.id).update(slot=None, lane=None)
    download.slot = download.lane = None


async def _free_stale(core: PluginCore) -> None:
    """Places held by downloads that ended, or whose job ended without them (dead-lettered)."""
    for holder in await Download.filter(slot__isnull=False):
        job = await core.jobs.get(holder.job_id) if holder.job_id else None
        if not holder.unfinished or job is None or job.status not in LIVE_JOB:
            await Download.filter(id=holder.id, slot=holder.slot).update(slot=None, lane=None)
