"""System settings: rate limits and registration, changed in part at run time.

A partial body is merged over the current settings and the result validated as a whole before
anything is written; every instance reloads on the `config:changed` event.
"""

from __future__ import annotations

from pydantic import ValidationError
from quart_schema import validate_request

from medianest import audit
from medianest.api.admin._common import actor, blueprint, client_ip, core, field_errors
from medianest.auth.policy import admin_only
from medianest.config.system import ConfigPatch, UnknownSetting
from medianest.errors import ValidationFailed, ok


@blueprint.get("/config")
@admin_only
async def get_config():
    """The current system settings (rate limit windows in seconds)."""
    return ok(core().system.current.model_dump(mode="json"))


@blueprint.get("/config/labels")
@admin_only
async def config_labels():
    """What each rate limit and sign-in switch is called, from whoever declared it."""
    return ok(core().config_labels())


@blueprint.put("/config")
@admin_only
@validate_request(ConfigPatch)
async def update_config(data: ConfigPatch):
    """Change part of the system settings; what is left out keeps its value."""
    patch = data.model_dump(exclude_unset=True)
    try:
        updated = await core().system.update(patch)
    except ValidationError as exc:
        raise field_errors(exc) from None
    except UnknownSetting as exc:
        raise ValidationFailed(details={"fields": exc.fields}) from None
    await core().publish("config:changed", {"keys": sorted(patch)})
    await audit.record(
        "admin.config_updated", actor=actor(), target="config", ip=client_ip(), changes=patch
    )
    return ok(updated.model_dump(mode="json"))
