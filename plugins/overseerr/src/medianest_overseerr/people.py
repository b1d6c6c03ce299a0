"""Who a MediaNest user is in Overseerr: the Overseerr user with the same Plex account.

A person's Plex identity is their linked account at the `plex` auth provider (`external_id` is
the Plex account id); Overseerr lists its users with their `plexId`. The list is read with the
admin's key and kept for `USERS_TTL` seconds; a person not in it is looked up once more in a
fresh list before MediaNest says Overseerr does not know them (or, when the admin allows it,
imports them from Plex).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from medianest.sdk import Forbidden
from medianest_overseerr.access import runtime
from medianest_overseerr.client import Overseerr, Permission, has_permission
from medianest_overseerr.config import plugin_settings

USERS_TTL = 60.0
FRESH_ENOUGH = 5.0
USERS_KEY = "users"  # a list this young is not read again for a person missing from it

NO_PLEX = (
    "Requests go to Overseerr as your Plex account, and your MediaNest account isn't linked to "
    "Plex. Sign in with Plex once, or ask an admin to request it for you."
)
UNKNOWN = (
    "Overseerr doesn't know your Plex account yet. Ask an admin to import you in Overseerr "
    "(Users → Import Plex Users), or to let MediaNest import people from Plex."
)
NOT_IMPORTED = (
    "MediaNest asked Overseerr to import your Plex account, but Overseerr couldn't: the Plex "
    "server it uses may not be shared with you. Ask an admin."
)


@dataclass(frozen=True)
class OverseerrUser:
    id: int
    plex_id: str
    name: str
    permissions: int

    def may(self, *permissions: int) -> bool:
        return has_permission(self.permissions, *permissions)


async def plex_id_of(core: Any, user_id: Any) -> str:
    """The person's Plex account id; 403 for an account that is not linked to Plex."""
    linked = await core.accounts.of_user(user_id, "plex")
    if linked is None or not linked.external_id:
        raise Forbidden(NO_PLEX, details={"reason": "no_plex_account"})
    return str(linked.external_id)


async def overseerr_user(core: Any, client: Overseerr, plex_id: str) -> OverseerrUser:
    """The Overseerr user of this Plex account: found, or imported when the admin allows it;
    403 saying what to do otherwise."""
    found = await _find(core, client, plex_id)
    if found is not None:
        return found
    if not (await plugin_settings(core)).import_users:
        raise Forbidden(UNKNOWN, details={"reason": "overseerr_unknown_user"})
    created = await client.import_from_plex([plex_id])
    runtime(core).users.forget(USERS_KEY)
    for user in created:
        if str(user.get("plexId")) == plex_id:
            await core.audit.record(
                "overseerr.user.imported", target=f"overseerr_user:{user.get('id')}"
            )
            return _user(user)
    found = await _find(core, client, plex_id, fresh=True)  # imported by someone else just now
    if found is None:
        raise Forbidden(NOT_IMPORTED, details={"reason": "overseerr_import_failed"})
    return found


async def _find(
    core: Any, client: Overseerr, plex_id: str, *, fresh: bool = False
) -> OverseerrUser | None:
    cache = runtime(core).users
    if fresh:
        cache.forget(USERS_KEY)
    read_at, users = await cache.get(USERS_KEY, lambda: _read(client), USERS_TTL)
    found = _match(users, plex_id)
    if found is None and not fresh and time.monotonic() - read_at > FRESH_ENOUGH:
        return await _find(core, client, plex_id, fresh=True)  # added in Overseerr meanwhile?
    return found


async def _read(client: Overseerr) -> tuple[float, list[dict[str, Any]]]:
    return time.monotonic(), await client.users()


def _match(users: list[dict[str, Any]], plex_id: str) -> OverseerrUser | None:
    for user in users:
        if user.get("plexId") is not None and str(user["plexId"]) == plex_id:
            return _user(user)
    return None


def _user(user: dict[str, Any]) -> OverseerrUser:
    return OverseerrUser(
        id=int(user["id"]),
        plex_id=str(user.get("plexId")),
        name=str(user.get("displayName") or user.get("plexUsername") or user.get("email") or ""),
        permissions=int(user.get("permissions") or 0),
    )


def check_may_request(user: OverseerrUser, media_type: str) -> None:
    specific = Permission.REQUEST_MOVIE if media_type == "movie" else Permission.REQUEST_TV
    if not user.may(Permission.REQUEST, specific):
        what = "movies" if media_type == "movie" else "shows"
        raise Forbidden(
            f"Your Overseerr account may not request {what}. An admin can give it the Request "
            "permission in Overseerr (Users → Edit).",
            details={"reason": "overseerr_permission"},
        )


def check_may_manage(user: OverseerrUser) -> None:
    if not user.may(Permission.MANAGE_REQUESTS):
        raise Forbidden(
            "Your Overseerr account may not approve or decline requests: it needs the Manage "
            "Requests permission in Overseerr.",
            details={"reason": "overseerr_permission"},
        )
