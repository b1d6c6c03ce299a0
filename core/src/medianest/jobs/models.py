"""The job table: the durable record of every background job, whatever the broker."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise import fields
from tortoise.models import Model

JOB_STATES = ("queued", "running", "succeeded", "failed", "dead", "cancelled")


# One job: its arguments, state, lease (who runs it, until when) and progress.
class JobRecord(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    name = fields.CharField(max_length=128, db_index=True)  # "<plugin id>.<job>"
    args: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="queued", db_index=True)
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=3)
    not_before = fields.DatetimeField(null=True)  # earliest next attempt (retry backoff)
    lease_owner = fields.CharField(max_length=64, null=True)
    lease_expires_at = fields.DatetimeField(null=True, db_index=True)
    progress: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    result: fields.JSONField[Any] = fields.JSONField(null=True)
    error = fields.TextField(null=True)
    user_id = fields.UUIDField(null=True, db_index=True)
    dedupe_key = fields.CharField(max_length=128, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "jobs"
