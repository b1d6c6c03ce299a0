"""Persisted plugin state: the admin's enable/disable wish and the plugin's settings."""

from typing import Any

from tortoise import fields
from tortoise.models import Model


class PluginStateRow(Model):
    id = fields.CharField(max_length=32, primary_key=True)
    enabled = fields.BooleanField()
    settings: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    state = fields.CharField(max_length=16, default="enabled")
    error = fields.TextField(null=True)
    updated_by = fields.CharField(max_length=64, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "plugin_state"
