"""Plugins: what is installed, its state and error, its settings; enable, disable, configure.

Settings are validated by the plugin's own pydantic model before anything is written (422 names
the fields). Secret settings (`SecretStr` fields) are encrypted at rest and shown masked; sending
the mask back keeps the stored secret.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from quart_schema import validate_request

from medianest import audit
from medianest.api.admin._common import Body, actor, blueprint, client_ip, core
from medianest.auth.policy import admin_only, policy_of
from medianest.config.plugin_settings import secret_fields
from medianest.errors import Conflict, NotFound, listing, ok
from medianest.plugins.host import PluginRecord


class PluginChange(Body):
    enabled: bool | None = None
    settings: dict[str, Any] | None = Field(
        default=None, description="partial: the fields to change"
    )


async def _view(record: PluginRecord) -> dict[str, Any]:
    store = core().plugin_settings_store
    return {
        **record.as_dict(),
        "permissions": _permissions(record),
        "routes": _routes(record.id),
        "settings": await store.view(record.id),
        "settings_schema": store.schema(record.id),
    }


def _permissions(record: PluginRecord) -> list[dict[str, Any]]:
    """The permissions the plugin declares, and which roles hold them unless an admin says."""
    return [
        {
            "name": permission.name,
            "description": permission.description,
            "default_roles": list(permission.default_roles),
        }
        for permission in record.contributions.get("register_permissions", [])
    ]


def _routes(plugin_id: str) -> list[dict[str, Any]]:
    """The URLs the plugin answers (API, websockets, pages) and who may call each."""
    owners = core().blueprint_owner
    routes = []
    for rule in core().app.url_map.iter_rules():
        blueprint, _, endpoint = rule.endpoint.partition(".")
        if owners.get(blueprint) != plugin_id or endpoint.rpartition(".")[2] == "static":
            continue
        policy = policy_of(core().app.view_functions.get(rule.endpoint))
        routes.append(
            {
                "path": rule.rule,
                "methods": sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}),
                "websocket": bool(getattr(rule, "websocket", False)),
                "policy": policy.describe() if policy else None,
            }
        )
    return sorted(routes, key=lambda route: route["path"])


def _record_or_404(name: str) -> PluginRecord:
    record = core().host.get(name)
    if record is None:
        raise NotFound("No such plugin")
    return record


@blueprint.get("/plugins")
@admin_only
async def list_plugins():
    """Every installed plugin: who made it (distribution, version, author, homepage, the core
    versions it needs), what it adds (permissions, routes), its state and error, whether it is
    enabled, its settings (secrets masked)."""
    return listing([await _view(record) for record in core().host.records.values()])


@blueprint.put("/plugins/<name>")
@admin_only
@validate_request(PluginChange)
async def update_plugin(name: str, data: PluginChange):
    """Enable or disable a plugin and change its settings (partial); settings are checked first."""
    record = _record_or_404(name)
    if data.enabled is False and name == core().shell_owner:
        raise Conflict(  # the admin would switch off the very page they are using
            f"The {record.title} serves these pages, so it can't be turned off from them. Run "
            f"`medianest plugins disable {name}`, or set MEDIANEST_BLOCK_PLUGINS={name}.",
            details={"plugin": name},
        )
    details: dict[str, Any] = {}
    if data.settings is not None:
        changed = await core().plugin_settings_store.update(
            name, data.settings, updated_by=actor().username
        )
        secrets = (
            secret_fields(record.spec.settings)
            if record.spec and record.spec.settings
            else frozenset()
        )
        details["settings"] = {
            field: "changed" if field in secrets else data.settings[field] for field in changed
        }
    if data.enabled is not None:
        was_enabled = record.enabled
        await core().host.set_enabled(name, data.enabled, core())
        if data.enabled != was_enabled:
            details["enabled"] = data.enabled
    if details:
        await audit.record(
            "admin.plugin_updated",
            actor=actor(),
            target=f"plugin:{name}",
            ip=client_ip(),
            **details,
        )
    return ok(await _view(record))
