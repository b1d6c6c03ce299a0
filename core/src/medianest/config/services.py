"""Service connections: the URL, API key and options an admin sets for each plugin's service.

A plugin that talks to an external service says so with `PluginSpec(service=ServiceSpec(...))`;
the admin's answer lives in one `service_connections` row named after the plugin. A plugin that
talks to several lists them in `PluginSpec(services=[ServiceSpec(name=...), ...])`: one row each,
under its own name. The API key is encrypted at rest, bound to its row
("service_connections|api_key|<name>"), and decrypted only in this process for the plugin that
calls the service: it never leaves through the API (views show `SecretBox.mask`), the logs or an
error message.

Reads are cached in memory. A change made here drops the cache at once; a change made by
another instance arrives as a `service:connection` event and drops it there.

URLs are admin-entered and legitimately point into the LAN, so no address allow-list applies:
http/https only, a host, no credentials, query or fragment, at most 512 characters. The
outbound client adds the rest (same-host redirects, capped bodies).

A saved key is bound to the scheme, host and port it was entered for: a test or a save that
moves the URL elsewhere must send the key again (422 naming `api_key`), so whoever holds an
admin session cannot have the server hand the key to a host of their choosing.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from pydantic import ValidationError

from medianest.config.models import ServiceConnection
from medianest.errors import NotFound, ValidationFailed
from medianest.events import Event
from medianest.http import ServiceAuthFailed, ServiceDown, ServiceResponseError
from medianest.log import redact, register_secret
from medianest.plugins.contributions import Connection, ServiceSpec, StatusProbe
from medianest.security.crypto import DecryptionError, SecretBox
from medianest.status.models import ServiceStatusRow

if TYPE_CHECKING:
    from medianest.core import Core

log = logging.getLogger("medianest.services")

EVENT = "service:connection"
MAX_URL_LENGTH = 512
MAX_ERROR_LENGTH = 200
DEFAULT_PORTS = {"http": 80, "https": 443}


class _Unset(enum.Enum):
    """One member, so that `x is not UNSET` narrows `x` for the type checker."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET
"""An argument left out of `put`: keep what is saved."""


def key_context(name: str) -> str:
    """The associated data that binds a service's encrypted key to its row."""
    return f"service_connections|api_key|{name}"


def validate_url(value: str | None) -> str | None:
    """The URL as stored (no trailing slashes), None for "no URL"; ValidationFailed if unusable."""
    if value is None or value == "":
        return None
    problem = _url_problem(value)
    if problem:
        raise ValidationFailed(
            f"The URL {problem}", details={"fields": {"url": f"The URL {problem}"}}
        )
    return value.rstrip("/")


def origin(url: str | None) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a valid URL, spelled one way; None for no URL."""
    if not url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme, 0)


def _url_problem(value: str) -> str | None:
    if len(value) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters long"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "must not contain spaces or control characters"
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    if "@" in parts.netloc:
        return "must not contain a user name or password (enter the key in its own field)"
    if not parts.hostname:
        return "must name a host, e.g. http://192.168.1.10:32400"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "has an invalid port"
    if parts.query or "?" in value:
        return "must not contain a query (?…); enter keys in their own field"
    if parts.fragment or "#" in value:
        return "must not contain a fragment (#…)"
    return None


def _config_fields(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        path = ".".join(["config", *(str(part) for part in item["loc"])])
        fields.setdefault(path, item["msg"])
    return fields


class ServiceRegistry:
    """`core.services`: the admin's service connections, decrypted for the plugins that use them."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._cache: dict[str, Connection | None] = {}
        self._generation = 0  # bumped by every invalidation, so a slow read cannot cache stale data
        core.events.subscribe(self._on_event, names=(EVENT,))

    # ---- what plugins declare -----------------------------------------------------------

    def _declared(self) -> dict[str, tuple[Any, ServiceSpec]]:
        """{connection name: (the declaring plugin's record, its spec)} over loaded plugins."""
        return {
            name: (record, spec)
            for record in self.core.host.records.values()
            if record.spec is not None
            for name, spec in record.spec.connections().items()
        }

    def spec(self, name: str) -> ServiceSpec | None:
        declared = self._declared().get(name)
        return declared[1] if declared is not None else None

    def names(self) -> list[str]:
        """Every service connection a loaded plugin declares, configured or not."""
        return list(self._declared())

    def probe(self, name: str) -> StatusProbe | None:
        """The active plugin's probe for this service (None when the plugin is off or has none)."""
        for _plugin_id, probe in self.core.host.contributed("register_status_probes"):
            if probe.service == name:
                return probe
        return None

    def _require_spec(self, name: str) -> ServiceSpec:
        spec = self.spec(name)
        if spec is None:
            raise NotFound(
                "No plugin provides a service by that name", details={"service": name[:64]}
            )
        return spec

    # ---- reading ------------------------------------------------------------------------

    async def get(self, name: str) -> Connection | None:
        """The saved connection with its key decrypted, or None when there is none."""
        if name in self._cache:
            return self._cache[name]
        generation = self._generation
        row = await ServiceConnection.get_or_none(name=name)
        connection = self._connection(row) if row is not None else None
        if generation == self._generation:
            self._cache[name] = connection
        return connection

    def _connection(self, row: ServiceConnection) -> Connection:
        return Connection(
            name=row.name,
            url=row.url,
            api_key=self._decrypt(row),
            config=dict(row.config or {}),
            enabled=row.enabled,
        )

    def _decrypt(self, row: ServiceConnection) -> str | None:
        """The plaintext key; None when there is none or it no longer decrypts (enter it again)."""
        if not row.api_key:
            return None
        try:
            key = self.core.secrets.decrypt(row.api_key, context=key_context(row.name))
        except DecryptionError:
            log.warning(
                "the stored API key of %s cannot be decrypted; an admin must enter it again",
                row.name,
            )
            return None
        register_secret(key)
        return key

    def invalidate(self, name: str | None = None) -> None:
        self._generation += 1
        if name is None:
            self._cache.clear()
        else:
            self._cache.pop(name, None)

    async def _on_event(self, event: Event) -> None:
        self.invalidate(str(event.data.get("name")) if event.data.get("name") else None)

    # ---- writing ------------------------------------------------------------------------

    async def put(
        self,
        name: str,
        *,
        url: str | _Unset | None = UNSET,
        api_key: str | _Unset | None = UNSET,
        enabled: bool | _Unset = UNSET,
        config: Mapping[str, Any] | _Unset | None = UNSET,
    ) -> Connection:
        """Save part of a connection. An omitted field keeps its value; `api_key=""` or None
        clears the key, and the key's own mask (as the admin page shows it) keeps it."""
        spec = self._require_spec(name)
        changes: dict[str, Any] = {}
        if url is not UNSET:
            changes["url"] = validate_url(url)
            if changes["url"] is not None and not await self._key_given(name, api_key):
                await self._refuse_moving_key(name, spec, changes["url"])
        if config is not UNSET:
            changes["config"] = self._validated_config(spec, config or {})
        if enabled is not UNSET:
            changes["enabled"] = bool(enabled)
        if api_key is not UNSET and not await self._is_saved_mask(name, api_key):
            changes["api_key"] = (
                self.core.secrets.encrypt(api_key, context=key_context(name)) if api_key else None
            )
        if changes:
            await ServiceConnection.update_or_create(name=name, defaults=changes)
        else:
            await ServiceConnection.get_or_create(name=name)
        self.invalidate(name)
        if "url" in changes or "api_key" in changes:
            await self.core.http.reset_breaker(
                name
            )  # the old failures say nothing about the new settings
        await self.core.publish(EVENT, {"name": name, "fields": sorted(changes)})
        connection = await self.get(name)
        assert connection is not None  # the row was just written
        return connection

    async def _key_given(self, name: str, api_key: str | _Unset | None) -> bool:
        """Whether the caller sent a key of their own (a new one, or "" to clear it), not the
        saved key's mask or nothing."""
        if api_key is UNSET:
            return False
        return not await self._is_saved_mask(name, api_key)

    async def _refuse_moving_key(self, name: str, spec: ServiceSpec, url: str) -> None:
        """422 when the saved key would go to another scheme, host or port than it was saved for."""
        saved = await self.get(name)
        if saved is None or not saved.api_key or origin(saved.url) == origin(url):
            return
        message = (
            f"Enter the {spec.key_label} again: the URL now points to another scheme, host or port"
        )
        raise ValidationFailed(message, details={"fields": {"api_key": message}})

    async def _is_saved_mask(self, name: str, api_key: str | None) -> bool:
        if not api_key:
            return False
        saved = await self.get(name)
        return (
            saved is not None
            and saved.api_key is not None
            and api_key == SecretBox.mask(saved.api_key)
        )

    @staticmethod
    def _validated_config(spec: ServiceSpec, config: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(config, Mapping):
            raise ValidationFailed(details={"fields": {"config": "Input should be an object"}})
        if spec.config is None:
            return dict(config)
        try:
            return spec.config.model_validate(dict(config)).model_dump(mode="json")
        except ValidationError as exc:
            raise ValidationFailed(details={"fields": _config_fields(exc)}) from None

    # ---- the admin's list ---------------------------------------------------------------

    async def views(self) -> list[dict[str, Any]]:
        """One entry per service-declaring plugin, configured or not; keys masked."""
        names = self.names()
        rows = {row.name: row for row in await ServiceConnection.filter(name__in=names)}
        statuses = {row.service: row for row in await ServiceStatusRow.filter(service__in=names)}
        return [self._view(name, rows.get(name), statuses.get(name)) for name in names]

    def _view(
        self, name: str, row: ServiceConnection | None, status: ServiceStatusRow | None
    ) -> dict[str, Any]:
        record, spec = self._declared()[name]
        key = self._decrypt(row) if row is not None else None
        has_key = bool(row is not None and row.api_key)
        return {
            "name": name,
            "title": spec.title,
            "configured": row is not None,
            "url": row.url if row is not None else None,
            "default_url": spec.default_url,
            "api_key": SecretBox.mask(key),
            "has_api_key": has_key,
            "needs_reentry": has_key and key is None,  # under a lost key, or moved from another row
            "key_label": spec.key_label,
            "key_required": spec.key_required,
            "enabled": row.enabled if row is not None else True,
            "config": self._shown_config(spec, row.config if row is not None else {}),
            "config_schema": spec.config.model_json_schema() if spec.config is not None else None,
            "plugin_enabled": record is not None and record.active,
            "status": _status_view(status),
        }

    @staticmethod
    def _shown_config(spec: ServiceSpec, stored: Mapping[str, Any] | None) -> dict[str, Any]:
        stored = dict(stored or {})
        if spec.config is None:
            return stored
        try:
            return spec.config.model_validate(stored).model_dump(mode="json")
        except ValidationError:
            return stored  # saved under an older schema: show it as it is, the admin fixes it

    # ---- test connection ----------------------------------------------------------------

    async def test(self, name: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Run the plugin's probe against the saved connection with `overrides` (url, api_key,
        config) laid over it, nothing saved. `ok` only when the probe says online (degraded
        comes with the probe's reason). The answer never holds the key or an upstream body."""
        spec = self._require_spec(name)
        connection = await self._merged(name, spec, overrides)
        probe = self.probe(name)
        if probe is None:
            return _outcome(
                False, "unknown", None, "The plugin is disabled or has no connection test"
            )
        if probe.needs_connection and not connection.url:
            return _outcome(False, "unknown", None, "Enter the service's URL first")
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(probe.check(self.core, connection), probe.timeout)
        except TimeoutError:
            return _outcome(False, "offline", None, f"No answer within {probe.timeout:g} seconds")
        except Exception as exc:  # a failed test is an answer, never a 500
            return _outcome(False, "offline", None, _describe(exc, spec))
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        error = _scrub(result.error, connection.api_key) if result.error else None
        response_time = result.response_time_ms if result.response_time_ms is not None else elapsed
        return _outcome(result.status == "online", result.status, response_time, error)

    async def _merged(
        self, name: str, spec: ServiceSpec, overrides: Mapping[str, Any]
    ) -> Connection:
        saved = await self.get(name) or Connection(name=name, url=spec.default_url)
        url, api_key, config = saved.url, saved.api_key, saved.config
        if "url" in overrides:
            url = validate_url(overrides["url"])
            if url is not None and not await self._key_given(name, overrides.get("api_key", UNSET)):
                await self._refuse_moving_key(name, spec, url)
        if "api_key" in overrides and not await self._is_saved_mask(name, overrides["api_key"]):
            api_key = overrides["api_key"] or None
        if "config" in overrides:
            config = self._validated_config(spec, overrides["config"] or {})
        elif spec.config is not None:
            config = self._shown_config(spec, config)
        if api_key:
            register_secret(api_key)
        return Connection(name=name, url=url, api_key=api_key, config=config, enabled=saved.enabled)


def _outcome(
    ok: bool, status: str, response_time_ms: float | None, error: str | None
) -> dict[str, Any]:
    return {"ok": ok, "status": status, "response_time_ms": response_time_ms, "error": error}


def _describe(exc: Exception, spec: ServiceSpec) -> str:
    """A short message an admin can act on, built from the kind of failure, never its text."""
    if isinstance(exc, ServiceAuthFailed):
        return f"The service refused the {spec.key_label} ({exc.status_code}); check it"
    if isinstance(exc, ServiceDown):
        return {
            "timeout": "The service did not answer in time",
            "connect": "Could not connect: check the URL and that the service is running",
            "http_5xx": f"The service answered with an error ({exc.status_code})",
            "circuit_open": (
                "Calls to this service are paused after repeated failures; save the new settings "
                "or retry shortly"
            ),
            "too_large": "The service's answer was too large",
            "redirect": "The service redirected to another host",
        }.get(exc.reason, "The service is unavailable")
    if isinstance(exc, ServiceResponseError):
        return f"The service answered {exc.status_code}: is this the right URL?"
    if isinstance(exc, ValueError):
        return "The URL cannot be used"
    log.warning("connection test raised %s", type(exc).__name__)
    return f"The connection test failed ({type(exc).__name__})"


def _scrub(text: str, api_key: str | None) -> str:
    """A plugin's own error message, first line only, short, with any key blanked out."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if api_key:
        line = line.replace(api_key, "••••")
    return redact(line)[:MAX_ERROR_LENGTH]


def _status_view(row: ServiceStatusRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "status": row.status,
        "response_time_ms": row.response_time_ms,
        "last_check_at": row.last_check_at,
        "error": row.error,
    }


__all__ = ["EVENT", "UNSET", "ServiceRegistry", "key_context", "origin", "validate_url"]
