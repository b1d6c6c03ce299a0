"""Plex accounts: who a token belongs to, whether they may reach the server, and their local user.

Only accounts that reach the configured server (its owner, or someone it is shared with) get
in. plex.tv's `/api/v2/resources` answers that for the token's own account, with the token that
account uses for the server: the owner's account token for the owner, a per-share token for a
friend. Both tokens are stored encrypted, bound to the user's row, and never leave the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from medianest import audit
from medianest.auth.models import User
from medianest.http import ServiceError
from medianest.plugins import Connection
from medianest.security.crypto import DecryptionError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from medianest_plex.access import NoServerAccess, runtime, server_token_context
from medianest_plex.client import PlexAccount
from medianest_plex.models import PlexAccess

log = logging.getLogger("medianest.plugins.plex")


def plex_token_context(user_id: object) -> str:
    return f"users|plex_token|{user_id}"


@dataclass(frozen=True)
class PlexIdentity:
    """A verified Plex account and its access to the configured server."""

    account: PlexAccount
    owner: bool
    machine_identifier: str
    server_token: str = field(repr=False)
    library_ids: tuple[str, ...] | None = None  # None: unknown right now, keep what we had


async def identify(core: Any, conn: Connection, token: str) -> PlexIdentity:
    """Who `token` belongs to and what they reach on the configured server.

    Raises NoServerAccess for an account the server is not shared with, and the service
    client's errors (ServiceAuthFailed when plex.tv no longer accepts the token).
    """
    plex = runtime(core)
    account = await plex.plextv.account(token)
    resources = await plex.plextv.resources(token)
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
    core: Any, conn: Connection, server_token: str
) -> tuple[str, ...] | None:
    """The sections this access shows (for the dashboard widget); None when Plex cannot say now."""
    try:
        sections = await runtime(core).server(conn.url or "", server_token, retries=0).sections()
    except ServiceError:
        return None
    return tuple(str(section.get("key")) for section in sections)


class RegistrationClosed(Exception):
    """The admin turned off sign-in for Plex accounts MediaNest does not know yet."""


async def user_for(core: Any, identity: PlexIdentity, token: str) -> User:
    """The local user for a verified Plex account, created on first sign-in; tokens stored."""
    user = await User.get_or_none(plex_id=identity.account.id)
    if user is None:
        if not core.system.current.registration.plex_sign_in:
            raise RegistrationClosed()
        user = await _create_user(core, identity)
    await remember(core, user, identity, token)
    return user


async def role_for_new_user(core: Any, identity: PlexIdentity) -> str:
    """The server's owner becomes an admin only while no active admin exists.

    MediaNest creates a local admin at its first start, so in practice the owner signs in as
    the configured default role, and an admin promotes them or links their own account to Plex
    (`POST /api/auth/plex/link`). Anything else would let whoever owns the server take over an
    install whose admin exists.
    """
    if identity.owner and not await User.filter(role="admin", status="active").exists():
        return "admin"
    return core.system.current.registration.default_role


async def _create_user(core: Any, identity: PlexIdentity) -> User:
    account = identity.account
    role = await role_for_new_user(core, identity)
    for _attempt in range(3):  # two first sign-ins racing for one name: the loser picks again
        username = await core.auth.available_username(account.display_name)
        try:
            user = await User.create(
                username=username,
                role=role,
                plex_id=account.id,
                plex_username=account.username,
                email=account.email,
                thumb=account.thumb,
            )
        except IntegrityError:
            existing = await User.get_or_none(plex_id=account.id)
            if existing is not None:
                return existing  # the same person's other sign-in created it
            continue
        await audit.record(
            "user.created", actor=user, target=f"user:{user.id}", method="plex", role=role
        )
        return user
    raise IntegrityError("could not find a free username")


async def remember(core: Any, user: User, identity: PlexIdentity, token: str) -> None:
    """Store the account's profile and both tokens (encrypted, bound to this user's rows)."""
    account = identity.account
    now = datetime.now(UTC)
    user.plex_id, user.plex_username = account.id, account.username
    user.email, user.thumb = account.email or user.email, account.thumb
    user.plex_token = core.secrets.encrypt(token, context=plex_token_context(user.id))
    user.plex_token_checked_at = now
    access: dict[str, Any] = {
        "machine_identifier": identity.machine_identifier,
        "server_token": core.secrets.encrypt(
            identity.server_token, context=server_token_context(user.id)
        ),
        "owner": identity.owner,
        "checked_at": now,
    }
    if identity.library_ids is not None:
        access["library_ids"] = list(identity.library_ids)
    async with in_transaction():
        await user.save(
            update_fields=[
                "plex_id",
                "plex_username",
                "email",
                "thumb",
                "plex_token",
                "plex_token_checked_at",
                "updated_at",
            ]
        )
        await PlexAccess.update_or_create(user_id=user.id, defaults=access)


async def forget(core: Any, user_id: object, reason: str) -> None:
    """Drop a user's Plex tokens and end their sessions everywhere (revoked, or access lost)."""
    async with in_transaction():
        await User.filter(id=user_id).update(plex_token=None, plex_token_checked_at=None)
        await PlexAccess.filter(user_id=user_id).delete()
    await core.auth.revoke_user(user_id)
    await audit.record("plex.access_revoked", target=f"user:{user_id}", reason=reason)
    log.info("signed out user %s: %s", user_id, reason.replace("_", " "))


def stored_token(core: Any, user: User) -> str | None:
    """The user's plex.tv token, decrypted; None when there is none or it no longer decrypts."""
    if not user.plex_token:
        return None
    try:
        return core.secrets.decrypt(user.plex_token, context=plex_token_context(user.id))
    except DecryptionError:
        return None
