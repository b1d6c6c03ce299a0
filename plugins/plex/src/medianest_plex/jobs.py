"""`plex.check_tokens`: re-check every stored Plex sign-in with plex.tv, now and then.

A person who revokes MediaNest on plex.tv (or whom the owner stops sharing with) must not stay
signed in for the rest of a 90-day remember-me. Each run checks the users whose sign-in was
last checked more than `token_check_hours` ago, a bounded batch at a time:

- plex.tv refuses the token (401) → the Plex tokens are dropped and every session ends;
- the account no longer reaches the configured server → the same;
- plex.tv or Plex cannot answer → the run stops and tries again next time: an outage is not
  a reason to sign anyone out;
- otherwise the server token and the visible libraries are refreshed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from medianest.sdk import (
    Connection,
    JobContext,
    JobSpec,
    LinkedAccount,
    PluginCore,
    ServiceAuthFailed,
    ServiceError,
)
from medianest_plex.access import NoServerAccess, PlexNotConfigured, connection
from medianest_plex.accounts import PROVIDER, forget, identify, remember
from medianest_plex.config import plugin_settings

log = logging.getLogger("medianest.plugins.plex")

SCHEDULE = 900.0  # seconds between runs; each run only takes users that are due
BATCH = 200
CONCURRENCY = 4


def check_tokens_job() -> JobSpec:
    return JobSpec(
        name="check_tokens", func=run_check_tokens, schedule=SCHEDULE, retries=0, timeout=600
    )


async def run_check_tokens(ctx: JobContext, **_: Any) -> dict[str, int]:
    return await check_tokens(ctx.core)


async def check_tokens(core: PluginCore, *, older_than: timedelta | None = None) -> dict[str, int]:
    """Check the users that are due; returns how many were checked and signed out."""
    try:
        conn = await connection(core)
    except PlexNotConfigured:
        return {"checked": 0, "signed_out": 0}  # nothing to check access against
    if older_than is None:
        older_than = timedelta(hours=(await plugin_settings(core)).token_check_hours)
    cutoff = datetime.now(UTC) - older_than
    due = await core.accounts.due(PROVIDER, cutoff, limit=BATCH)
    outcomes = await _bounded(CONCURRENCY, [_check_one(core, conn, account) for account in due])
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    if failures:
        log.warning("Plex sign-in check stopped early: %s", type(failures[0]).__name__)
    signed_out = sum(1 for outcome in outcomes if outcome == "signed_out")
    return {
        "checked": sum(1 for outcome in outcomes if isinstance(outcome, str)),
        "signed_out": signed_out,
    }


async def _check_one(core: PluginCore, conn: Connection, account: LinkedAccount) -> str:
    user_id = account.user_id
    token = await core.accounts.token(PROVIDER, user_id)
    if token is None:
        await forget(core, user_id, "token_unreadable")
        return "signed_out"
    try:
        identity = await identify(core, conn, token)
    except ServiceAuthFailed as exc:
        if exc.service != "plex.tv":
            raise  # the server refused its own token check: not this user's doing
        await forget(core, user_id, "token_revoked")
        return "signed_out"
    except NoServerAccess:
        await forget(core, user_id, "access_removed")
        return "signed_out"
    await remember(core, user_id, identity, token)
    return "ok"


async def _bounded(limit: int, jobs: list[Any]) -> list[Any]:
    """Await `jobs` at most `limit` at a time; after the first error the rest are skipped.

    An outage makes every check fail the same way: stop at once rather than hammer plex.tv.
    """
    gate = asyncio.Semaphore(limit)
    failed = asyncio.Event()

    async def one(job: Any) -> Any:
        async with gate:
            if failed.is_set():
                job.close()
                return None
            try:
                return await job
            except ServiceError:
                failed.set()
                raise

    return await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)
