"""The plugin's one table: MediaNest's own record of the requests its people made.

Overseerr is the truth about a request's state; this table mirrors it for the people MediaNest
knows, so that "my requests" answers from the database, ownership is checked here, and a change
can be told to the one who asked. The webhook receiver and the sync job keep it current.
"""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from medianest.sdk import USER_MODEL

#: A request's states as MediaNest shows them (`status`).
PENDING, APPROVED, PARTLY, AVAILABLE = "pending", "approved", "partly", "available"
DECLINED, FAILED, DELETED = "declined", "failed", "deleted"
#: States that may still change, which the sync keeps checking.
OPEN = (PENDING, APPROVED, PARTLY)
#: States that block a new request for the same title (Overseerr's rule: all but declined).
BLOCKING = (PENDING, APPROVED, PARTLY, AVAILABLE, FAILED)


class OverseerrRequest(Model):
    id = fields.IntField(primary_key=True, generated=False)  # Overseerr's request id
    user: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        USER_MODEL, on_delete=fields.CASCADE, related_name=False
    )
    user_id: UUID
    overseerr_user_id = fields.IntField()
    media_type = fields.CharField(max_length=8)  # movie | tv
    tmdb_id = fields.IntField()
    title = fields.CharField(max_length=300)
    year = fields.IntField(null=True)
    poster_path = fields.CharField(max_length=100, null=True)  # TMDB's, e.g. /abc….jpg
    status = fields.CharField(max_length=16)
    seasons: fields.JSONField[list[int]] = fields.JSONField(default=list)  # season numbers (TV)
    requested_at = fields.DatetimeField()  # Overseerr's createdAt
    changed_at = fields.DatetimeField()  # when MediaNest last saw the status change
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "overseerr_requests"
        indexes = (("user_id", "requested_at"), ("media_type", "tmdb_id"), ("status",))
