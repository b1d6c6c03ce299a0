"""Plex accounts: who a token belongs to, whether they may reach the server, and their local user.

Only accounts that reach the configured server (its owner, or someone it is shared with) get
in. plex.tv's `/api/v2/resources` answers that for the token's own account, with the token that
account uses for the server: the owner's account token for the owner, a per-share token for a
friend. Both tokens are stored encrypted, bound to the user, and never leave the server: the
account's own token with the user's Plex identity in the core's linked accounts
(`core.accounts`, provider "plex"), the server token in this plugin's `plex_access` table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from medianest.sdk import Connection, PluginCore, ServiceError, UserInfo
from medianest_plex.access import NoServerAccess, runtime, server_token_context
from medianest_plex.client import PlexAccount
from medianest_plex.config import PLUGIN_ID
from medianest_plex.models import PlexAccess

log = logging.getLogger("medianest.plugins.plex")

PROVIDER = PLUGIN_ID  # the auth provider's id: linked accounts and the registration switch


@dataclass(frozen=True)
class PlexIdentity:
    """A verified Plex account and its access to the configured server."""

    account: PlexAccount
    owner: bool
    machine_identifier: str
    server_token: str = field(repr=False)
    library_ids: tuple[str, ...] | None = None  # None: unknown right now, keep what we had


async def identify(core: PluginCore, conn: Connection, token: str) -> PlexIdentity:
    """Who `token` belongs to and what they reach on the configured server.

    Raises NoServerAccess for an account the server is not shared with, and the service
    client's errors (ServiceAuthFailed when plex.tv no longer accepts the token).
    """
    plex = runtime(core)
    plextv = await plex.plextv()
    account = await plextv.account(token)
    resources = await plextv.resources(token)
    machine = await plex.machine_identifier(conn)
    match = next(
        (
            resource
            for resource in resources
            if resource.machine_identifier == machine
            and "server" in resource.provides
            and resource.access_token
        ),
        None,
    )
    if match is None or match.access_token is None:
        raise NoServerAccess()
    return PlexIdentity(
        account=account,
        owner=match.owned,
        machine_identifier=machine,
        server_token=match.access_token,
        library_ids=await _visible_libraries(core, conn, match.access_token),
    )


async def _visible_libraries(
    core: PluginCore, conn: Connection, server_token: str
) -> tuple[str, ...] | None:
    """The sections this access shows (for the dashboard widget); None when Plex cannot say now."""
    try:
        sections = await runtime(core).server(conn.url or "", server_token, retries=0).sections()
    except ServiceError:
        return None
    return tuple(str(section.get("key")) for section in sections)


class RegistrationClosed(Exception):
    """The admin turned off sign-in for Plex accounts MediaNest does not know yet."""


async def user_for(core: PluginCore, identity: PlexIdentity, token: str) -> UserInfo:
    """The local user for a verified Plex account, created on first sign-in; tokens stored."""
    account = identity.account
    known = await core.accounts.find(PROVIDER, account.id)
    if known is None and not core.accounts.registration_open(PROVIDER):
        raise RegistrationClosed()
    user, _created = await core.accounts.sign_up(
        PROVIDER,
        account.id,
        wanted_username=account.display_name,
        username=account.username,
        email=account.email,
        thumb=account.thumb,
        role=None if known else await role_for_new_user(core, identity),
    )
    await remember(core, user.id, identity, token)
    return user


async def role_for_new_user(core: PluginCore, identity: PlexIdentity) -> str | None:
    """The server's owner becomes an admin only while no active admin exists (None: the
    install's default role for new accounts).

    MediaNest creates a local admin at its first start, so in practice the owner signs in as
    the configured default role, and an admin promotes them or links their own account to Plex
    (`POST /api/auth/plex/link`). Anything else would let whoever owns the server take over an
    install whose admin exists.
    """
    if identity.owner and not await core.users.active_admin_exists():
        return "admin"
    return None


async def remember(core: PluginCore, user_id: str, identity: PlexIdentity, token: str) -> None:
    """Store the account's profile and both tokens (encrypted, bound to this user).

    Raises Conflict when the Plex account is linked to another user already.
    """
    account = identity.account
    now = datetime.now(UTC)
    access: dict[str, Any] = {
        "machine_identifier": identity.machine_identifier,
        "server_token": core.secrets.encrypt(
            identity.server_token, context=server_token_context(user_id)
        ),
        "owner": identity.owner,
        "checked_at": now,
    }
    if identity.library_ids is not None:
        access["library_ids"] = list(identity.library_ids)
    async with in_transaction():
        await core.accounts.link(
            user_id, PROVIDER, account.id, username=account.username, token=token, checked_at=now
        )
        await core.users.update_profile(user_id, email=account.email, thumb=account.thumb)
        await PlexAccess.update_or_create(user_id=user_id, defaults=access)


async def forget(core: PluginCore, user_id: str, reason: str) -> None:
    """Drop a user's Plex tokens and end their sessions everywhere (revoked, or access lost)."""
    async with in_transaction():
        await core.accounts.forget_token(PROVIDER, user_id)
        await PlexAccess.filter(user_id=user_id).delete()
    await core.users.sign_out_everywhere(user_id)
    await core.audit.record("plex.access_revoked", target=f"user:{user_id}", reason=reason)
    log.info("signed out user %s: %s", user_id, reason.replace("_", " "))
