"""Stored Plex sign-ins are re-checked with plex.tv; a revoked one signs its user out everywhere."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from medianest_plex.jobs import check_tokens
from medianest_plex.models import PlexAccess

NOW = timedelta(0)


async def linked(core, person):
    """The person's Plex identity as linked to their MediaNest user."""
    account = await core.accounts.find("plex", str(person.id))
    assert account is not None
    return account


async def session_status(browser) -> int:
    return (await browser.get("/api/auth/session")).status_code


async def test_a_token_revoked_on_plex_tv_signs_the_user_out(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    friend = await sign_in_with_plex(plex_app, household.friend, remember=True)
    owner = await sign_in_with_plex(plex_app, household.owner)
    household.plextv.revoke_token(household.friend.token)

    outcome = await check_tokens(core, older_than=NOW)

    assert outcome == {"checked": 2, "signed_out": 1}
    assert await session_status(friend) == 401  # the remember-me cookie is dead too
    assert await session_status(owner) == 200
    account = await linked(core, household.friend)  # the link stays: the next sign-in uses it
    assert not account.has_token and await core.accounts.token("plex", account.user_id) is None
    assert not await PlexAccess.filter(user_id=account.user_id).exists()


async def test_a_user_the_owner_stopped_sharing_with_is_signed_out(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    friend = await sign_in_with_plex(plex_app, household.friend)
    household.plextv.unshare_server(household.server, household.friend)

    outcome = await check_tokens(core, older_than=NOW)

    assert outcome["signed_out"] == 1
    assert await session_status(friend) == 401


async def test_a_valid_token_is_kept_and_its_libraries_refreshed(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    friend = await sign_in_with_plex(plex_app, household.friend)
    new_token = household.plextv.share_server(
        household.server, household.friend, [household.movies]
    )
    user_id = (await linked(core, household.friend)).user_id
    before = await PlexAccess.get(user_id=user_id)

    outcome = await check_tokens(core, older_than=NOW)

    assert outcome == {"checked": 1, "signed_out": 0}
    assert await session_status(friend) == 200
    after = await PlexAccess.get(user_id=user_id)
    assert after.library_ids == [str(household.movies.id)]
    assert after.checked_at > before.checked_at
    decrypted = core.secrets.decrypt(
        after.server_token, context=f"plex_access|server_token|{after.user_id}"
    )  # type: ignore[attr-defined]
    assert decrypted == new_token


async def test_plex_tv_down_signs_nobody_out(plex_app, household, sign_in_with_plex):
    core = plex_app.extensions["medianest"]
    friend = await sign_in_with_plex(plex_app, household.friend)
    household.plextv.revoke_token(household.friend.token)
    household.plextv.fail(503)
    try:
        outcome = await check_tokens(core, older_than=NOW)
    finally:
        household.plextv.recover()

    assert outcome["signed_out"] == 0
    assert await session_status(friend) == 200
    assert (await linked(core, household.friend)).has_token


async def test_only_users_due_for_a_check_are_checked(plex_app, household, sign_in_with_plex):
    core = plex_app.extensions["medianest"]
    await sign_in_with_plex(plex_app, household.friend)
    household.plextv.clear_requests()

    outcome = await check_tokens(core)  # just signed in: not due for `token_check_hours`

    assert outcome == {"checked": 0, "signed_out": 0}
    assert household.plextv.requests_to("/api/v2/user") == []


async def test_the_scheduled_job_signs_out_a_revoked_user(
    make_plex_app, household, sign_in_with_plex
):
    app = await make_plex_app(run_jobs=True)  # with Redis, jobs run in workers unless told
    core = app.extensions["medianest"]
    friend = await sign_in_with_plex(app, household.friend)
    long_ago = datetime.now(UTC) - timedelta(days=2)
    account = await linked(core, household.friend)
    await core.accounts.link(
        account.user_id, "plex", account.external_id, username=account.username, checked_at=long_ago
    )
    household.plextv.revoke_token(household.friend.token)
    assert "plex.check_tokens" in core.jobs.registry

    job = await core.jobs.enqueue("plex.check_tokens")
    async with asyncio.timeout(30):  # a guard against hanging, not a speed check
        while (record := await core.jobs.get(job.id)).status not in ("succeeded", "failed", "dead"):
            await asyncio.sleep(0.05)

    assert record.status == "succeeded", record.error
    assert record.result == {"checked": 1, "signed_out": 1}
    assert await session_status(friend) == 401
