"""Users: list, inspect, change role/status/permissions, delete, end sessions, revoke tokens.

A change that takes power away (a role, an account) ends the user's sessions at once on every
instance, so it applies to the very next request. There is always at least one active admin:
an admin cannot demote, disable or delete themselves, nor the last active admin (409).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field
from quart_schema import validate_querystring, validate_request
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from medianest import audit
from medianest.api.admin._common import Body, Paging, actor, blueprint, client_ip, core
from medianest.api.auth import linked_accounts_of, plain_user_view, token_view
from medianest.auth.models import ApiToken, User, UserPermission
from medianest.auth.permissions import effective
from medianest.auth.policy import admin_only
from medianest.errors import Conflict, NotFound, ValidationFailed, listing, ok


class UserQuery(Paging):
    q: str | None = Field(default=None, max_length=64, description="part of the user name or email")


class UserChange(Body):
    role: Literal["admin", "user"] | None = None
    status: Literal["active", "disabled"] | None = None
    permissions: dict[str, bool | None] | None = Field(
        default=None,
        max_length=200,
        description=(
            "per-user decisions: true grants, false revokes, null returns to the role default"
        ),
    )


async def _user_or_404(user_id: uuid.UUID) -> User:
    """The user (the router has parsed the id: a malformed one never gets here, it is a 404)."""
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def _admin_view(
    user: User, grants: dict[str, bool], linked: list[dict[str, Any]]
) -> dict[str, Any]:
    defaults = core().auth.permission_defaults()
    view = plain_user_view(user, effective(user.role, defaults, grants), linked)
    return {**view, "grants": dict(sorted(grants.items()))}


async def _admin_view_of(user: User) -> dict[str, Any]:
    linked = await linked_accounts_of([user.id])
    return _admin_view(user, await core().auth.grants(user.id), linked[str(user.id)])


async def _grants_of(users: list[User]) -> dict[str, dict[str, bool]]:
    grants: dict[str, dict[str, bool]] = {str(user.id): {} for user in users}
    for row in await UserPermission.filter(user_id__in=[user.id for user in users]):
        grants[str(row.user_id)][row.permission] = row.granted  # type: ignore[attr-defined]
    return grants


@blueprint.get("/users")
@admin_only
@validate_querystring(UserQuery)
async def list_users(query_args: UserQuery):
    """Every user with role, status, effective permissions and per-user grants (`?q=` filters)."""
    users = User.all()
    if query_args.q:
        users = users.filter(Q(username__icontains=query_args.q) | Q(email__icontains=query_args.q))
    total = await users.count()
    page = await users.order_by("username").offset(query_args.offset).limit(query_args.limit)
    grants = await _grants_of(page)
    linked = await linked_accounts_of([user.id for user in page])
    items = [_admin_view(user, grants[str(user.id)], linked[str(user.id)]) for user in page]
    return listing(items, total, offset=query_args.offset, limit=query_args.limit)


@blueprint.get("/permissions")
@admin_only
async def list_permissions():
    """Every permission the core and the loaded plugins declare, with the roles holding it by
    default (admins hold every one); per-user grants go on top (`PUT /users/{id}`)."""
    items = [
        {
            "name": permission.name,
            "description": permission.description,
            "plugin": owner,
            "default_roles": sorted({"admin", *permission.default_roles}),
        }
        for owner, permission in core().auth.declared_permissions()
    ]
    return listing(items, len(items))


@blueprint.get("/users/<uuid:user_id>")
@admin_only
async def get_user(user_id: uuid.UUID):
    """One user (404 for an unknown or malformed id)."""
    user = await _user_or_404(user_id)
    return ok(await _admin_view_of(user))


@blueprint.put("/users/<uuid:user_id>")
@admin_only
@validate_request(UserChange)
async def update_user(user_id: uuid.UUID, data: UserChange):
    """Change a user's role, status or per-user permissions (partial)."""
    user = await _user_or_404(user_id)
    _refuse_unknown_permissions(data.permissions or {})
    role = data.role or user.role
    status = data.status or user.status
    if _loses_admin(user, role, status):
        _refuse_self(user, "You cannot demote or disable your own account")
    async with in_transaction():
        if _loses_admin(user, role, status):
            await _ensure_another_admin(user)
        await User.filter(id=user.id).update(role=role, status=status)
        await _apply_permissions(user, data.permissions or {})
    changed = {"role": role} if role != user.role else {}
    changed |= {"status": status} if status != user.status else {}
    if changed:
        await core().auth.revoke_user(user.id)  # the new role or status applies everywhere, now
    if changed or data.permissions:
        await core().auth.invalidate_user(
            user.id
        )  # cached actors on every instance re-read the grants
        details = {**changed, **({"permissions": data.permissions} if data.permissions else {})}
        await audit.record(
            "admin.user_updated", actor=actor(), target=f"user:{user.id}", ip=client_ip(), **details
        )
    await user.refresh_from_db()
    return ok(await _admin_view_of(user))


@blueprint.delete("/users/<uuid:user_id>")
@admin_only
async def delete_user(user_id: uuid.UUID):
    """Delete a user with their sessions, tokens and grants (never yourself or the last admin)."""
    user = await _user_or_404(user_id)
    _refuse_self(user, "You cannot delete your own account")
    async with in_transaction():
        if _loses_admin(user, "user", "disabled"):
            await _ensure_another_admin(user)
        await User.filter(id=user.id).delete()
    await core().auth.revoke_user(user.id)  # closes their sockets on every instance
    await audit.record(
        "admin.user_deleted",
        actor=actor(),
        target=f"user:{user.id}",
        ip=client_ip(),
        username=user.username,
    )
    return ok({"deleted": True})


@blueprint.delete("/users/<uuid:user_id>/sessions")
@admin_only
async def end_sessions(user_id: uuid.UUID):
    """Sign a user out everywhere: sessions, remember-me and API tokens, open sockets."""
    user = await _user_or_404(user_id)
    revoked = await core().auth.revoke_user(user.id)
    await audit.record(
        "admin.user_signed_out",
        actor=actor(),
        target=f"user:{user.id}",
        ip=client_ip(),
        sessions=revoked.sessions,
        tokens=revoked.tokens,
    )
    return ok({"ended": revoked.sessions, "tokens": revoked.tokens})


@blueprint.get("/users/<uuid:user_id>/tokens")
@admin_only
async def list_user_tokens(user_id: uuid.UUID):
    """A user's personal API tokens (never their secret part)."""
    user = await _user_or_404(user_id)
    tokens = await ApiToken.filter(user_id=user.id).order_by("-created_at")
    return listing([token_view(token) for token in tokens])


@blueprint.delete("/users/<uuid:user_id>/tokens/<uuid:token_id>")
@admin_only
async def revoke_user_token(user_id: uuid.UUID, token_id: uuid.UUID):
    """Revoke one of a user's API tokens (a token of someone else is not found)."""
    user = await _user_or_404(user_id)
    if not await ApiToken.filter(id=token_id, user_id=user.id).delete():
        raise NotFound("No such token")
    await core().auth.invalidate_user(user.id)  # its cached Bearer actor goes too, everywhere
    details = {"target": f"token:{token_id}", "ip": client_ip(), "user": str(user.id)}
    await audit.record("admin.token_revoked", actor=actor(), **details)
    return ok({"revoked": True})


# ---- rules ------------------------------------------------------------------------------


def _refuse_unknown_permissions(permissions: dict[str, bool | None]) -> None:
    declared = core().auth.permission_defaults()
    unknown = sorted(name for name in permissions if name not in declared)
    if unknown:
        fields = {
            f"permissions.{name[:64]}": "No plugin declares this permission" for name in unknown
        }
        raise ValidationFailed(details={"fields": fields})


def _loses_admin(user: User, role: str, status: str) -> bool:
    """True when the change takes an active admin's power away."""
    return (
        user.role == "admin" and user.status == "active" and (role != "admin" or status != "active")
    )


def _refuse_self(user: User, message: str) -> None:
    if str(user.id) == actor().user_id:
        raise Conflict(message, details={"reason": "self"})


async def _ensure_another_admin(user: User) -> None:
    """Inside the transaction: lock every active admin (in one order, so concurrent demotions
    queue instead of deadlocking) and refuse when `user` is the last one."""
    admins = await User.filter(role="admin", status="active").order_by("id").select_for_update()
    if not any(admin.id != user.id for admin in admins):
        raise Conflict(
            "MediaNest needs at least one active admin", details={"reason": "last_admin"}
        )


async def _apply_permissions(user: User, permissions: dict[str, bool | None]) -> None:
    for name, granted in permissions.items():
        if granted is None:
            await UserPermission.filter(user_id=user.id, permission=name).delete()
        else:
            await UserPermission.update_or_create(
                user_id=user.id, permission=name, defaults={"granted": granted}
            )
