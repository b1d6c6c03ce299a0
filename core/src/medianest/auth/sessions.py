"""Server-side sessions, one-time remember-me tokens and personal API tokens.

Only SHA-256 digests of tokens are stored, so a copy of the database signs nobody in. Every
check reads the database, so a logout, a password change or a disabled account takes
effect on the very next request, on every instance.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from tortoise.expressions import Q

from medianest.auth.models import ApiToken, RememberToken, Session, User

REMEMBER_LIFETIME = timedelta(days=90)
TOUCH_EVERY = timedelta(minutes=1)  # how stale last_seen_at may get: saves a write per request
API_TOKEN_PREFIX = "mn_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


class Revoked(NamedTuple):
    """What `revoke_user` ended: sessions and personal API tokens."""

    sessions: int
    tokens: int


@dataclass(frozen=True)
class Redeemed:
    user: User
    family: str


class SessionStore:
    def __init__(self, *, idle: timedelta, lifetime: timedelta) -> None:
        self.idle = idle
        self.lifetime = lifetime

    # ---- sessions ---------------------------------------------------------------------

    async def create(
        self, user: User, *, ip: str | None, user_agent: str | None, family: str | None = None
    ) -> str:
        token = secrets.token_urlsafe(32)
        moment = now()
        await Session.create(
            id=digest(token),
            user=user,
            created_at=moment,
            last_seen_at=moment,
            expires_at=moment + self.lifetime,
            remember_family=family,
            ip=ip,
            user_agent=(user_agent or "")[:256] or None,
        )
        return token

    async def resolve(self, token: str) -> tuple[Session, User] | None:
        """The live session and its active user, or None (expired sessions are deleted)."""
        session = await Session.get_or_none(id=digest(token)).select_related("user")
        if session is None:
            return None
        moment = now()
        if (
            session.expires_at <= moment
            or session.last_seen_at + self.idle <= moment
            or not session.user.is_active
        ):
            await session.delete()
            return None
        if moment - session.last_seen_at >= TOUCH_EVERY:
            await Session.filter(id=session.id).update(last_seen_at=moment)
        return session, session.user

    async def revoke(self, session_id: str) -> None:
        session = await Session.get_or_none(id=session_id)
        if session is None:
            return
        if session.remember_family:
            await RememberToken.filter(family=session.remember_family).delete()
        await session.delete()

    async def revoke_user(self, user_id: object, *, keep_session: str | None = None) -> Revoked:
        """End every credential of a user: sessions (but `keep_session`), remember-me families
        and personal API tokens. A token is as strong as a session, so whatever ends the one
        (a new password, lost access, "sign out everywhere") ends the other."""
        sessions = Session.filter(user_id=user_id)
        if keep_session:
            sessions = sessions.exclude(id=keep_session)
        ended = await sessions.delete()
        await RememberToken.filter(user_id=user_id).delete()
        tokens = await ApiToken.filter(user_id=user_id).delete()
        return Revoked(ended, tokens)

    async def purge_expired(self) -> int:
        moment = now()
        ended = await Session.filter(
            Q(expires_at__lte=moment) | Q(last_seen_at__lte=moment - self.idle)
        ).delete()
        await RememberToken.filter(expires_at__lte=moment).delete()
        return ended

    # ---- remember me ------------------------------------------------------------------

    async def issue_remember(self, user: User, family: str | None = None) -> tuple[str, str]:
        """A new one-time token in `family` (a new family when None): (token, family)."""
        token = secrets.token_urlsafe(32)
        family = family or secrets.token_hex(16)
        moment = now()
        await RememberToken.create(
            id=digest(token),
            family=family,
            user=user,
            created_at=moment,
            expires_at=moment + REMEMBER_LIFETIME,
        )
        return token, family

    async def redeem_remember(self, token: str) -> Redeemed | None:
        """Spend a remember-me token. Of concurrent uses exactly one wins; reuse of a spent
        token revokes its whole family (a stolen cookie has been replayed)."""
        token_id = digest(token)
        row = await RememberToken.get_or_none(id=token_id).select_related("user")
        if row is None:
            return None
        moment = now()
        spent = await RememberToken.filter(id=token_id, used_at=None, expires_at__gt=moment).update(
            used_at=moment
        )
        if spent != 1:
            if row.expires_at > moment:
                await self.revoke_family(row.family)
            return None
        if not row.user.is_active:
            return None
        return Redeemed(user=row.user, family=row.family)

    async def revoke_family(self, family: str) -> None:
        await RememberToken.filter(family=family).delete()
        await Session.filter(remember_family=family).delete()

    # ---- API tokens -------------------------------------------------------------------

    async def create_api_token(self, user: User, name: str) -> tuple[ApiToken, str]:
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = await ApiToken.create(
            user=user, name=name, token_hash=digest(token), prefix=token[:10]
        )
        return row, token

    async def resolve_api_token(self, token: str) -> tuple[ApiToken, User] | None:
        if not token.startswith(API_TOKEN_PREFIX):
            return None
        row = await ApiToken.get_or_none(token_hash=digest(token)).select_related("user")
        if row is None or not row.user.is_active:
            return None
        moment = now()
        if row.last_used_at is None or moment - row.last_used_at >= TOUCH_EVERY:
            await ApiToken.filter(id=row.id).update(last_used_at=moment)
        return row, row.user
