"""The plugin's one table: each playlist download, its progress and where it ended up.

Three nullable unique columns make the rules about running downloads atomic across app
instances and workers (a NULL never collides):
- `active_key` (`<user id>:<URL digest>`) while a download is unfinished: one person cannot
  have the same playlist queued twice;
- `lane` (the user id) while it runs: a person's downloads run one at a time, since two runs
  in one playlist folder would share its files and archive;
- `slot` (0 … max_concurrent - 1) while it runs: no more than `max_concurrent` at once.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from medianest.sdk import USER_MODEL

STATUSES = ("queued", "downloading", "importing", "completed", "failed", "cancelled")
UNFINISHED = ("queued", "downloading", "importing")


# One playlist submitted by one person.
class Download(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        USER_MODEL, on_delete=fields.CASCADE, related_name=False
    )
    user_id: UUID
    playlist_url = fields.CharField(max_length=2048)  # as checked: normalised
    title = fields.CharField(max_length=500, null=True)  # the playlist's, once listed
    folder = fields.CharField(max_length=500, null=True)  # its folder in the user's folder
    collection = fields.CharField(max_length=200, null=True)  # asked for; else the title
    status = fields.CharField(max_length=16, default="queued", db_index=True)
    error = fields.TextField(null=True)
    progress: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict
    )  # overall: items done/total, bytes, speed, eta
    items: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(
        default=list
    )  # per item, as the engine reports them
    job_id = fields.UUIDField(null=True)
    collection_id = fields.CharField(max_length=64, null=True)
    collection_url = fields.CharField(max_length=500, null=True)
    active_key = fields.CharField(max_length=128, null=True, unique=True)
    lane = fields.CharField(max_length=64, null=True, unique=True)
    slot = fields.IntField(null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "youtube_downloads"

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED
