"""Plugin settings: values an admin sets for a plugin, validated by the plugin's pydantic model.

A plugin declares `PluginSpec(settings=SomeModel)`; its fields typed `SecretStr` are secrets.
The values live in `plugin_state.settings` as a JSON object: plain fields as they are, each
secret as `{"$encrypted": <token>}` bound to its place ("plugin_state|settings.<field>|<plugin
id>"), so `medianest keys rotate` finds every secret without importing any plugin. Secrets
leave this module only inside the validated model a plugin asks for (`await
core.plugin_settings(plugin_id)`); the admin API sees them masked, and a mask sent back
unchanged keeps the stored secret.
"""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, SecretStr, ValidationError

from medianest.errors import NotFound, ValidationFailed
from medianest.events import Event
from medianest.log import register_secret
from medianest.plugins.models import PluginStateRow
from medianest.security.crypto import DecryptionError, SecretBox

if TYPE_CHECKING:
    from medianest.core import Core

log = logging.getLogger("medianest.plugins.settings")

EVENT = "plugin:settings"
ENCRYPTED = "$encrypted"


def secret_context(plugin_id: str, field: str) -> str:
    return f"plugin_state|settings.{field}|{plugin_id}"


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The top-level fields typed `SecretStr` (or `SecretStr | None`)."""
    return frozenset(
        name for name, info in model.model_fields.items() if _is_secret_type(info.annotation)
    )


def _is_secret_type(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return union and SecretStr in typing.get_args(annotation)


def encrypted_tokens(stored: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, token) for every encrypted value in a stored settings object."""
    for field, value in stored.items():
        if isinstance(value, dict) and isinstance(value.get(ENCRYPTED), str):
            yield field, value[ENCRYPTED]


def with_token(stored: Mapping[str, Any], field: str, token: str) -> dict[str, Any]:
    """A copy of a stored settings object with one secret's token replaced."""
    return {**stored, field: {ENCRYPTED: token}}


def _error_fields(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        fields.setdefault(".".join(["settings", *(str(part) for part in item["loc"])]), item["msg"])
    return fields


class PluginSettingsStore:
    """Reads, validates, encrypts and caches every plugin's settings."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._cache: dict[str, BaseModel | None] = {}
        self._generation = 0
        core.events.subscribe(self._on_event, names=(EVENT,))

    def model(self, plugin_id: str) -> type[BaseModel] | None:
        record = self.core.host.get(plugin_id)
        return record.spec.settings if record is not None and record.spec is not None else None

    def schema(self, plugin_id: str) -> dict[str, Any] | None:
        model = self.model(plugin_id)
        return model.model_json_schema() if model is not None else None

    # ---- for plugins ----------------------------------------------------------------------

    async def get(self, plugin_id: str) -> BaseModel | None:
        """The validated settings (secrets decrypted), or None when the plugin declares none or
        the saved values do not satisfy its model (a required setting is not set yet)."""
        if plugin_id in self._cache:
            return self._cache[plugin_id]
        generation = self._generation
        settings = self._validated(plugin_id, await self._decoded(plugin_id))
        if generation == self._generation:
            self._cache[plugin_id] = settings
        return settings

    def _validated(self, plugin_id: str, values: dict[str, Any]) -> BaseModel | None:
        model = self.model(plugin_id)
        if model is None:
            return None
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            problems = sorted(_error_fields(exc))
            log.warning(
                "plugin %s settings are incomplete or invalid: %s", plugin_id, ", ".join(problems)
            )
            return None

    async def _stored(self, plugin_id: str) -> dict[str, Any]:
        row = await PluginStateRow.get_or_none(id=plugin_id)
        return dict(row.settings or {}) if row is not None else {}

    async def _decoded(self, plugin_id: str) -> dict[str, Any]:
        """The stored values, secrets decrypted; one that no longer decrypts is left out."""
        stored = await self._stored(plugin_id)
        values = {field: value for field, value in stored.items() if not _is_token(value)}
        for field, token in encrypted_tokens(stored):
            try:
                values[field] = self.core.secrets.decrypt(
                    token, context=secret_context(plugin_id, field)
                )
            except DecryptionError:
                log.warning(
                    "plugin %s secret setting %s cannot be decrypted; enter it again",
                    plugin_id,
                    field,
                )
                continue
            register_secret(values[field])
        return values

    def invalidate(self, plugin_id: str | None = None) -> None:
        self._generation += 1
        if plugin_id is None:
            self._cache.clear()
        else:
            self._cache.pop(plugin_id, None)

    async def _on_event(self, event: Event) -> None:
        plugin = event.data.get("plugin")
        self.invalidate(str(plugin) if plugin else None)

    # ---- for the admin --------------------------------------------------------------------

    async def view(self, plugin_id: str) -> dict[str, Any] | None:
        """What the admin sees: the values (defaults filled in), each secret masked."""
        model = self.model(plugin_id)
        if model is None:
            return None
        values = await self._decoded(plugin_id)
        settings = self._validated(plugin_id, values)
        shown = settings.model_dump(mode="json") if settings is not None else dict(values)
        for field in secret_fields(model):
            secret = values.get(field)
            shown[field] = SecretBox.mask(secret if isinstance(secret, str) else None)
        return shown

    async def update(
        self, plugin_id: str, patch: Mapping[str, Any], *, updated_by: str | None = None
    ) -> list[str]:
        """Validate `patch` over the saved values and store the result; the changed field names.

        Nothing is written when any field is unknown or invalid (ValidationFailed names them).
        A secret given as its current mask keeps the stored secret; "" or None clears it.
        """
        model = self.model(plugin_id)
        if self.core.host.get(plugin_id) is None:
            raise NotFound("No such plugin")
        if model is None:
            raise ValidationFailed(details={"fields": {"settings": "This plugin has no settings"}})
        unknown = sorted(set(patch) - set(model.model_fields))
        if unknown:
            raise ValidationFailed(
                details={"fields": {f"settings.{name}": "Unknown setting" for name in unknown}}
            )
        secrets = secret_fields(model)
        current = await self._decoded(plugin_id)
        merged = {**current, **self._resolved_secrets(patch, current, secrets)}
        try:
            settings = model.model_validate(merged)
        except ValidationError as exc:
            raise ValidationFailed(details={"fields": _error_fields(exc)}) from None
        stored = self._encoded(plugin_id, settings, secrets)
        await self._save(plugin_id, stored, updated_by)
        self.invalidate(plugin_id)
        await self.core.publish(EVENT, {"plugin": plugin_id})
        after = await self._decoded(plugin_id)
        return sorted(field for field in patch if current.get(field) != after.get(field))

    @staticmethod
    def _resolved_secrets(
        patch: Mapping[str, Any], current: Mapping[str, Any], secrets: frozenset[str]
    ) -> dict[str, Any]:
        resolved = dict(patch)
        for field in secrets & set(patch):
            saved = current.get(field)
            if isinstance(saved, str) and patch[field] == SecretBox.mask(saved):
                resolved[field] = saved  # the admin page sent the mask back: keep the secret
            elif patch[field] == "":
                resolved[field] = None
        return resolved

    def _encoded(
        self, plugin_id: str, settings: BaseModel, secrets: frozenset[str]
    ) -> dict[str, Any]:
        stored = settings.model_dump(mode="json", exclude=set(secrets))
        for field in secrets:
            value = getattr(settings, field)
            if value is None:
                stored[field] = None
                continue
            plaintext = value.get_secret_value()
            register_secret(plaintext)
            token = self.core.secrets.encrypt(plaintext, context=secret_context(plugin_id, field))
            stored[field] = {ENCRYPTED: token}
        return stored

    async def _save(self, plugin_id: str, stored: dict[str, Any], updated_by: str | None) -> None:
        updated = await PluginStateRow.filter(id=plugin_id).update(
            settings=stored, updated_by=updated_by
        )
        if not updated:
            record = self.core.host.get(plugin_id)
            await PluginStateRow.create(
                id=plugin_id,
                enabled=record.enabled if record is not None else True,
                state=record.state.value if record is not None else "enabled",
                settings=stored,
                updated_by=updated_by,
            )


def _is_token(value: Any) -> bool:
    return isinstance(value, dict) and ENCRYPTED in value
