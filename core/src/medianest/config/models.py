"""Service connections (URL + encrypted API key per plugin) and system settings (JSON per key)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class ServiceConnection(Model):
    name = fields.CharField(max_length=32, primary_key=True)  # the plugin id
    url = fields.CharField(max_length=512, null=True)
    api_key = fields.TextField(
        null=True
    )  # ciphertext, context "service_connections|api_key|<name>"
    enabled = fields.BooleanField(default=True)
    config: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "service_connections"


class SystemSetting(Model):
    key = fields.CharField(max_length=64, primary_key=True)
    value: fields.JSONField[Any] = fields.JSONField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "system_settings"
