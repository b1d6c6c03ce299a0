"""Persisted service status: the latest state per service, and recent checks for uptime."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


# The last known state of one service (what the dashboard shows after a restart).
class ServiceStatusRow(Model):
    service = fields.CharField(max_length=64, primary_key=True)
    status = fields.CharField(max_length=16, default="unknown")
    response_time_ms = fields.FloatField(null=True)
    last_check_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    error = fields.TextField(null=True)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "service_status"


# One check of one service, kept for a day to compute the uptime percentage.
class ServiceCheck(Model):
    id = fields.BigIntField(primary_key=True)
    service = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    ok = fields.BooleanField()
    response_time_ms = fields.FloatField(null=True)

    class Meta:
        table = "service_checks"
        indexes = (("service", "at"),)
