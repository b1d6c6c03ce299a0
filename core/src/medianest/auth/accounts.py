"""What plugins may do with people: read users, link them to an external identity, sign them up.

Auth providers (Plex, …) keep each person's identity at the provider in `linked_accounts`, with
its token encrypted and bound to the user and the provider; the core's `users` table knows no
provider. Plugins reach this through `core.users` and `core.accounts` (see `medianest.sdk`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from medianest import audit
from medianest.auth.models import LinkedAccount as LinkedAccountRow
from medianest.auth.models import User, token_context
from medianest.errors import Conflict
from medianest.security.crypto import DecryptionError

if TYPE_CHECKING:
    from medianest.core import Core

USERNAME_ATTEMPTS = 3


@dataclass(frozen=True)
class UserInfo:
    """A user as plugins see them: never a password hash, never a token."""

    id: str
    username: str
    role: str
    status: str
    email: str | None = None
    thumb: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class LinkedAccount:
    """One user's identity at a provider. The token itself is read with `accounts.token()`."""

    user_id: str
    provider: str
    external_id: str
    username: str | None
    checked_at: datetime | None
    has_token: bool
    data: Mapping[str, Any] = field(default_factory=dict)


def user_info(user: User) -> UserInfo:
    return UserInfo(
        id=str(user.id),
        username=user.username,
        role=user.role,
        status=user.status,
        email=user.email,
        thumb=user.thumb,
    )


def _linked(row: LinkedAccountRow) -> LinkedAccount:
    return LinkedAccount(
        user_id=str(row.user_id),  # type: ignore[attr-defined]
        provider=row.provider,
        external_id=row.external_id,
        username=row.username,
        checked_at=row.checked_at,
        has_token=bool(row.token),
        data=dict(row.data or {}),
    )


class Users:
    """`core.users`: read users, describe them as the API does, end their sessions."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def get(self, user_id: object) -> UserInfo | None:
        user = await User.get_or_none(id=user_id)
        return user_info(user) if user else None

    async def active_admin_exists(self) -> bool:
        return await User.filter(role="admin", status="active").exists()

    async def view(self, user_id: object) -> dict[str, Any]:
        """The user as `/api/auth/session` shows them (permissions included)."""
        from medianest.api.auth import user_view

        user = await User.get(id=user_id)
        actor = await self._core.auth.actor_for(user)
        return await user_view(user, actor.permissions)

    async def update_profile(
        self, user_id: object, *, email: str | None = None, thumb: str | None = None
    ) -> None:
        """Fill in what a provider knows (an email, an avatar); None leaves a value as it is."""
        changes = {
            name: value for name, value in (("email", email), ("thumb", thumb)) if value is not None
        }
        if changes:
            await User.filter(id=user_id).update(**changes)

    async def sign_out_everywhere(self, user_id: object) -> int:
        """End every session and personal API token of the user, on every instance, and close
        their sockets; how many sessions and tokens ended."""
        revoked = await self._core.auth.revoke_user(user_id)
        return revoked.sessions + revoked.tokens


class Accounts:
    """`core.accounts`: each user's identities at auth providers, their tokens encrypted."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def find(self, provider: str, external_id: str) -> LinkedAccount | None:
        row = await LinkedAccountRow.get_or_none(provider=provider, external_id=external_id)
        return _linked(row) if row else None

    async def of_user(self, user_id: object, provider: str) -> LinkedAccount | None:
        row = await LinkedAccountRow.get_or_none(user_id=user_id, provider=provider)
        return _linked(row) if row else None

    async def due(
        self, provider: str, checked_before: datetime, limit: int = 100
    ) -> list[LinkedAccount]:
        """Linked accounts with a token last checked before `checked_before`, oldest first."""
        rows = (
            await LinkedAccountRow.filter(provider=provider, token__isnull=False)
            .filter(Q(checked_at__isnull=True) | Q(checked_at__lte=checked_before))
            .order_by("checked_at")
            .limit(limit)
        )
        return [_linked(row) for row in rows]

    async def link(
        self,
        user_id: object,
        provider: str,
        external_id: str,
        *,
        username: str | None = None,
        token: str | None = None,
        checked_at: datetime | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> LinkedAccount:
        """Link (or refresh the link of) a user to their identity at `provider`.

        Raises Conflict when that identity already belongs to another user.
        """
        holder = await LinkedAccountRow.get_or_none(provider=provider, external_id=external_id)
        if holder is not None and str(holder.user_id) != str(user_id):  # type: ignore[attr-defined]
            raise Conflict(f"This {provider} account already belongs to another MediaNest user")
        values: dict[str, Any] = {
            "external_id": external_id,
            "username": username,
            "checked_at": checked_at,
        }
        if token is not None:
            values["token"] = self._core.secrets.encrypt(
                token, context=token_context(provider, user_id)
            )
        if data is not None:
            values["data"] = dict(data)
        try:
            row, _ = await LinkedAccountRow.update_or_create(
                user_id=user_id, provider=provider, defaults=values
            )
        except IntegrityError:
            raise Conflict(
                f"This {provider} account already belongs to another MediaNest user"
            ) from None
        return _linked(row)

    async def token(self, provider: str, user_id: object) -> str | None:
        """The user's token at `provider`, decrypted; None when there is none or it cannot be."""
        row = await LinkedAccountRow.get_or_none(user_id=user_id, provider=provider)
        if row is None or not row.token:
            return None
        try:
            return self._core.secrets.decrypt(row.token, context=token_context(provider, user_id))
        except DecryptionError:
            return None

    async def forget_token(self, provider: str, user_id: object) -> None:
        """Drop the token (revoked, or access lost); the link itself stays."""
        await LinkedAccountRow.filter(user_id=user_id, provider=provider).update(
            token=None, checked_at=None
        )

    async def unlink(self, provider: str, user_id: object) -> None:
        await LinkedAccountRow.filter(user_id=user_id, provider=provider).delete()

    async def sign_up(
        self,
        provider: str,
        external_id: str,
        *,
        wanted_username: str,
        username: str | None = None,
        email: str | None = None,
        thumb: str | None = None,
        role: str | None = None,
    ) -> tuple[UserInfo, bool]:
        """The user linked to this identity, created (with the link) when there is none yet.

        Returns `(user, created)`. A new user gets a free local username made from
        `wanted_username` and `role` (default: the system's default role for new accounts);
        two first sign-ins of one person racing each other end with one user.
        """
        existing = await self.find(provider, external_id)
        if existing is not None:
            return user_info(await User.get(id=existing.user_id)), False
        role = role or self._core.system.current.registration.default_role
        for _attempt in range(USERNAME_ATTEMPTS):
            local_name = await self._core.auth.available_username(wanted_username)
            try:
                async with in_transaction():
                    user = await User.create(
                        username=local_name, role=role, email=email, thumb=thumb
                    )
                    await LinkedAccountRow.create(
                        user_id=user.id,
                        provider=provider,
                        external_id=external_id,
                        username=username,
                    )
            except IntegrityError:
                linked = await self.find(provider, external_id)
                if linked is not None:  # the same person's other sign-in created it
                    return user_info(await User.get(id=linked.user_id)), False
                continue  # someone took the name meanwhile: pick again
            await audit.record(
                "user.created", actor=user, target=f"user:{user.id}", method=provider, role=role
            )
            return user_info(user), True
        raise IntegrityError("could not find a free username")

    def registration_open(self, provider: str) -> bool:
        """Whether the admin lets people `provider` vouches for, but MediaNest does not know, in."""
        return self._core.system.current.registration.providers.get(provider, True)
