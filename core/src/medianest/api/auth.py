"""Sign-in, sign-out, the current session, password change and personal API tokens."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, current_app, g
from quart_schema import validate_request

from medianest import audit
from medianest.auth.models import ApiToken, LinkedAccount, User
from medianest.auth.policy import allowed_before_password_change, public, signed_in
from medianest.errors import (
    NotFound,
    ServiceUnavailable,
    Unauthenticated,
    ValidationFailed,
    listing,
    ok,
)
from medianest.security.passwords import PasswordServiceBusy

blueprint = Blueprint("auth", __name__, url_prefix="/api/auth")


class AdminSignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    remember_me: bool = False


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=64)


def _core():
    return current_app.extensions["medianest"]


async def user_view(user: User, permissions: list[str] | frozenset[str]) -> dict[str, Any]:
    """What the API shows of a user: never a hash, never a token."""
    linked = await linked_accounts_of([user.id])
    return plain_user_view(user, permissions, linked.get(str(user.id), []))


async def linked_accounts_of(user_ids: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Each user's linked identities as the API shows them: `{provider, username}`."""
    linked: dict[str, list[dict[str, Any]]] = {str(user_id): [] for user_id in user_ids}
    rows = await LinkedAccount.filter(user_id__in=user_ids).order_by("provider")
    for row in rows:
        linked[str(row.user_id)].append({"provider": row.provider, "username": row.username})  # type: ignore[attr-defined]
    return linked


def plain_user_view(
    user: User, permissions: list[str] | frozenset[str], linked: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "status": user.status,
        "permissions": sorted(permissions),
        "must_change_password": user.must_change_password,
        "linked_accounts": linked,
        "thumb": user.thumb,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }


@blueprint.post("/admin")
@public
@validate_request(AdminSignIn)
async def sign_in(data: AdminSignIn):
    """Sign in with a local username and password."""
    auth = _core().auth
    ip = auth.client_ip()
    attempt = await auth.throttle.admit(data.username, ip, auth.device_cookie())  # counted first
    user = await User.get_or_none(username=data.username)
    try:
        valid = await auth.passwords.verify(user.password_hash if user else None, data.password)
    except PasswordServiceBusy:
        await auth.throttle.settle(attempt)  # never checked: not a guess
        raise ServiceUnavailable(
            "sign_in", "Too many sign-ins at once; try again", retry_after=2
        ) from None
    if not valid or user is None or not user.is_active:
        await _audit_failure(user, valid, ip)
        raise Unauthenticated("Wrong username or password")
    await auth.throttle.settle(attempt)
    if auth.passwords.needs_rehash(user.password_hash):
        user.password_hash = await auth.passwords.hash(data.password)
        await user.save(update_fields=["password_hash"])
    actor = await auth.start_session(user, remember=data.remember_me)
    auth.trust_this_device(user.username)
    await audit.record(
        "auth.sign_in", actor=actor, ip=ip, method="password", remember=data.remember_me
    )
    return ok(
        {
            "user": await user_view(user, actor.permissions),
            "must_change_password": user.must_change_password,
        }
    )


async def _audit_failure(user: User | None, valid: bool, ip: str) -> None:
    """A failed sign-in, naming the account by its id. What was typed as the username is never
    written: when no such account exists, it is too often a password typed in the wrong field."""
    if user is None:
        await audit.record("auth.sign_in_failed", ip=ip, reason="unknown_user")
        return
    reason = "disabled" if valid else "wrong_password"
    account = {"target": f"user:{user.id}", "username": user.username}
    await audit.record("auth.sign_in_failed", ip=ip, reason=reason, **account)


@blueprint.post("/password")
@signed_in
@allowed_before_password_change
@validate_request(PasswordChange)
async def change_password(data: PasswordChange):
    """Change your password; every other session and remember-me token of yours ends."""
    core = _core()
    auth = core.auth
    user = await User.get(id=g.actor.user_id)
    if not await auth.passwords.verify(user.password_hash, data.current_password):
        raise ValidationFailed(
            details={"fields": {"current_password": "This is not your current password"}}
        )
    problems = auth.passwords.validate_new_password(data.new_password, username=user.username)
    if data.new_password == data.current_password:
        problems.append("The new password must differ from the current one")
    if problems:
        raise ValidationFailed(details={"fields": {"new_password": " ".join(problems)}})
    user.password_hash = await auth.passwords.hash(data.new_password)
    user.must_change_password = False
    await user.save(update_fields=["password_hash", "must_change_password", "updated_at"])
    await auth.revoke_user(user.id, keep_session=g.actor.session_id)
    await audit.record("auth.password_changed", actor=g.actor, ip=auth.client_ip())
    actor = await auth.actor_for(user, session_id=g.actor.session_id)
    return ok({"user": await user_view(user, actor.permissions), "must_change_password": False})


@blueprint.post("/logout")
@public
async def logout():
    """End this session and clear its cookies."""
    actor = g.get("actor")
    await _core().auth.end_session(actor)
    if actor is not None:
        await audit.record("auth.sign_out", actor=actor)
    return ok({"signed_out": True})


@blueprint.get("/session")
@signed_in
@allowed_before_password_change
async def session():
    """Who you are signed in as, with your role and permissions."""
    user = await User.get(id=g.actor.user_id)
    return ok(
        {
            "user": await user_view(user, g.actor.permissions),
            "must_change_password": user.must_change_password,
        }
    )


def token_view(token: ApiToken) -> dict[str, Any]:
    return {
        "id": str(token.id),
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
    }


@blueprint.get("/tokens")
@signed_in
async def list_tokens():
    """Your personal API tokens (never their secret part)."""
    tokens = await ApiToken.filter(user_id=g.actor.user_id).order_by("-created_at")
    return listing([token_view(token) for token in tokens])


@blueprint.post("/tokens")
@signed_in
@validate_request(NewToken)
async def create_token(data: NewToken):
    """Create a personal API token for scripts; the token is shown only in this answer."""
    user = await User.get(id=g.actor.user_id)
    row, token = await _core().auth.sessions.create_api_token(user, data.name)
    await audit.record(
        "auth.token_created", actor=g.actor, target=f"token:{row.id}", name=data.name
    )
    return ok({**token_view(row), "token": token}, status=201)


@blueprint.delete("/tokens/<uuid:token_id>")
@signed_in
async def revoke_token(token_id):
    """Revoke one of your API tokens (another user's token is not found)."""
    deleted = await ApiToken.filter(id=token_id, user_id=g.actor.user_id).delete()
    if not deleted:
        raise NotFound("No such token")
    await _core().auth.invalidate_user(g.actor.user_id)  # its cached Bearer actor goes too
    await audit.record("auth.token_revoked", actor=g.actor, target=f"token:{token_id}")
    return ok({"revoked": True})
