"""The plugin's one table: what each user may reach on the configured Plex server.

The user's own plex.tv token lives with their Plex identity in the core's linked accounts
(`core.accounts`, provider "plex"); the token for the server itself (the owner's account token
for the owner, a per-share token for everyone else) lives here, because browsing must use the
user's own access, never the owner's.
"""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from medianest.sdk import USER_MODEL


# One user's access to the configured server, as plex.tv and the server last described it.
class PlexAccess(Model):
    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[Model] = fields.OneToOneField(
        USER_MODEL, on_delete=fields.CASCADE, related_name=False
    )
    user_id: UUID
    machine_identifier = fields.CharField(max_length=64)
    server_token = fields.TextField()  # ciphertext, context "plex_access|server_token|<user id>"
    owner = fields.BooleanField(default=False)
    library_ids: fields.JSONField[list[str]] = fields.JSONField(
        default=list
    )  # the sections this user sees, for the widget
    checked_at = fields.DatetimeField()

    class Meta:
        table = "plex_access"
