"""The audit trail, newest first: who changed what, when, from where."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from quart_schema import validate_querystring

from medianest.api.admin._common import Paging, blueprint
from medianest.audit import AuditEntry
from medianest.auth.policy import admin_only
from medianest.errors import listing


class AuditQuery(Paging):
    action: str | None = Field(
        default=None, max_length=64, description='an action prefix, e.g. "admin." or "auth.sign_in"'
    )


def entry_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
        "ip": entry.ip,
    }


@blueprint.get("/audit")
@admin_only
@validate_querystring(AuditQuery)
async def list_audit(query_args: AuditQuery):
    """Audit entries, newest first; `?action=` keeps those whose action starts with it."""
    entries = AuditEntry.all()
    if query_args.action:
        entries = entries.filter(action__startswith=query_args.action)
    total = await entries.count()
    page = await entries.order_by("-id").offset(query_args.offset).limit(query_args.limit)
    return listing(
        [entry_view(entry) for entry in page],
        total,
        offset=query_args.offset,
        limit=query_args.limit,
    )
