"""A Plex user of an install from before linked accounts (core migrations 0004 and 0005, which
moved `users.plex_*` into `linked_accounts`) signs in with Plex after the upgrade, as themselves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from medianest.testing.upgrades import core_database_at
from medianest_plex.testing import PlexHousehold

BEFORE_LINKED_ACCOUNTS = "0003_jobs_and_status"  # the last migration of the older schema
OLD_TOKEN = "a plex.tv token from before the upgrade"


async def a_plex_user_from_before(backend_settings: dict, household: PlexHousehold) -> str:
    """The household's owner as the older schema kept a Plex user: identity and encrypted token
    on `users` (bound to "users|plex_token|<user id>"), an admin under a local name of their own.
    The new user's id."""
    user_id = uuid.uuid4()
    signed_up = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    async with core_database_at(backend_settings, BEFORE_LINKED_ACCOUNTS) as old:
        await old.insert(
            "users",
            {
                "id": user_id,
                "username": "olivia",
                "role": "admin",
                "status": "active",
                "must_change_password": False,
                "plex_id": str(household.owner.id),
                "plex_username": household.owner.username,
                "plex_token": old.encrypt(OLD_TOKEN, context=f"users|plex_token|{user_id}"),
                "plex_token_checked_at": signed_up,
                "created_at": signed_up,
                "updated_at": signed_up,
            },
        )
    return str(user_id)


async def test_a_plex_user_from_before_linked_accounts_signs_in_as_the_same_user(
    backend_settings, household, make_plex_app, sign_in_with_plex
):
    user_id = await a_plex_user_from_before(backend_settings, household)

    app = await make_plex_app()  # its start applies 0004, 0005 and the plugin's migrations
    core = app.extensions["medianest"]
    assert await core.accounts.token("plex", user_id) == OLD_TOKEN  # moved, still decrypts
    browser = await sign_in_with_plex(app, household.owner)

    session = await browser.get("/api/auth/session")
    assert session.status_code == 200
    user = (await session.get_json())["data"]["user"]
    assert (user["id"], user["role"], user["username"]) == (user_id, "admin", "olivia")
    linked = await core.accounts.find("plex", str(household.owner.id))
    assert linked is not None and str(linked.user_id) == user_id
    assert await core.accounts.token("plex", user_id) == household.owner.token  # updated
    users = await browser.get("/api/admin/users")  # an admin still, so allowed to look
    assert users.status_code == 200
    assert [listed["id"] for listed in (await users.get_json())["data"]["items"]] == [user_id]
