"""Users and their credentials. A secret-bearing column holds a hash or ciphertext, never plain."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise import fields
from tortoise.models import Model

ROLES = ("admin", "user")
STATUSES = ("active", "disabled")


class User(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    username = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=255, null=True)
    role = fields.CharField(max_length=16, default="user")
    status = fields.CharField(max_length=16, default="active")
    password_hash = fields.TextField(null=True)
    must_change_password = fields.BooleanField(default=False)
    thumb = fields.CharField(max_length=512, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


# A server-side session. The id is the SHA-256 of the cookie's token.
class Session(Model):
    id = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "medianest.User", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)  # absolute lifetime
    remember_family = fields.CharField(max_length=32, null=True, db_index=True)
    ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=256, null=True)

    class Meta:
        table = "sessions"


# A one-time 'remember me' token; all tokens of one sign-in share a family.
class RememberToken(Model):
    id = fields.CharField(max_length=64, primary_key=True)  # SHA-256 of the token
    family = fields.CharField(max_length=32, db_index=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "medianest.User", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "remember_tokens"


# A personal API token for scripts (Bearer); shown once, stored as its SHA-256.
class ApiToken(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "medianest.User", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


# An admin's per-user decision on a permission: granted on top of the role, or revoked.
class UserPermission(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "medianest.User", on_delete=fields.CASCADE
    )
    permission = fields.CharField(max_length=64)
    granted = fields.BooleanField(default=True)

    class Meta:
        table = "user_permissions"
        unique_together = (("user", "permission"),)


# A user's identity at an external provider (an auth provider's account), apart from `User` so the
# core knows no provider: the provider's id for the person, a display name, an encrypted token and
# whatever else the plugin keeps about the link.
class LinkedAccount(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "medianest.User", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=128)
    username = fields.CharField(max_length=128, null=True)
    token = fields.TextField(null=True)  # ciphertext, context token_context(provider, user id)
    checked_at = fields.DatetimeField(null=True, db_index=True)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "linked_accounts"
        unique_together = (("provider", "external_id"), ("user", "provider"))


def token_context(provider: str, user_id: object) -> str:
    """What a linked account's token is bound to: the user and the provider.

    The shape is the one tokens had when they lived in `users` (`users|<provider>_token|<id>`),
    so an upgraded install decrypts them without re-encrypting anything.
    """
    return f"users|{provider}_token|{user_id}"
