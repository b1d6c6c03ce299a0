"""The audit trail: who changed what, and every sign-in event."""

from __future__ import annotations

import logging
from typing import Any

from tortoise import fields
from tortoise.models import Model

log = logging.getLogger("medianest.audit")


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_id = fields.UUIDField(null=True)
    actor_name = fields.CharField(max_length=64, null=True)
    action = fields.CharField(max_length=64, db_index=True)
    target = fields.CharField(max_length=128, null=True)
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_log"
        ordering = ("-id",)


async def record(
    action: str,
    *,
    actor: Any = None,
    target: str | None = None,
    ip: str | None = None,
    **details: Any,
) -> None:
    """Write one audit entry. `actor` is an Actor or a User (or None for anonymous)."""
    actor_id = getattr(actor, "user_id", None) or getattr(actor, "id", None)
    actor_name = getattr(actor, "username", None)
    await AuditEntry.create(
        action=action,
        actor_id=actor_id,
        actor_name=actor_name,
        target=target,
        ip=ip,
        details=details,
    )
    log.info("audit %s by %s on %s", action, actor_name or "anonymous", target or "-")
