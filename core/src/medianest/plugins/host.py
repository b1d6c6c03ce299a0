"""PluginHost: finds plugins, is the only caller of hooks, and keeps each plugin's state.

pluggy stops a hook call at the first exception and knows nothing of async, so the
host calls every implementation itself: one at a time, awaited with a timeout, its
result type-checked. A plugin that raises, hangs or answers with the wrong type is
marked failed with its error; the core and the other plugins carry on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import Distribution, entry_points, packages_distributions
from pathlib import Path
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from medianest import __version__ as core_version
from medianest.plugins import hookspecs
from medianest.plugins.contributions import (
    PLUGIN_ID,
    RESERVED_IDS,
    AuthProvider,
    Capability,
    DemoService,
    JobSpec,
    ModelSpec,
    NavEntry,
    Permission,
    PluginSpec,
    RateLimit,
    RequestProvider,
    Shell,
    StatusProbe,
    Widget,
)

log = logging.getLogger("medianest.plugins")

ENTRY_POINT_GROUP = "medianest.plugins"
HOOK_NAMES = tuple(
    name
    for name, value in vars(hookspecs).items()
    if callable(value) and hasattr(value, "medianest_spec")
)


def _blueprint_type() -> type:
    from quart import Blueprint

    return Blueprint


# What each collecting hook must return: a list of instances of this type.
RESULT_TYPES: dict[str, Callable[[], type]] = {
    "register_routes": _blueprint_type,
    "register_permissions": lambda: Permission,
    "register_status_probes": lambda: StatusProbe,
    "register_widgets": lambda: Widget,
    "register_jobs": lambda: JobSpec,
    "register_models": lambda: ModelSpec,
    "register_auth_providers": lambda: AuthProvider,
    "register_shell": lambda: Shell,
    "register_pages": _blueprint_type,
    "register_nav": lambda: NavEntry,
    "register_request_providers": lambda: RequestProvider,
    "register_demo_services": lambda: DemoService,
    "register_rate_limits": lambda: RateLimit,
    "register_capabilities": lambda: Capability,
}


class PluginState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    FAILED = "failed"
    INCOMPATIBLE = "incompatible"


class PluginFailure(Exception):
    """Raised inside the host when an implementation misbehaves."""


@dataclass
class PluginRecord:
    id: str
    distribution: str | None = None
    version: str = "0+local"
    requires_core: str | None = None
    author: str | None = None
    homepage: str | None = None
    spec: PluginSpec | None = None
    obj: Any = None
    enabled: bool = True  # the admin's wish, persisted in plugin_state
    state: PluginState = PluginState.ENABLED
    error: str | None = None
    loaded: bool = False  # its registration hooks ran without failing
    contributions: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.spec.title if self.spec else self.id

    @property
    def description(self) -> str:
        return self.spec.description if self.spec else ""

    @property
    def active(self) -> bool:
        return self.state is PluginState.ENABLED

    def folder(self, name: str) -> Path | None:
        """A folder shipped beside the plugin's module (`templates`, `static`), if it has one."""
        if self.obj is None:
            return None
        target = self.obj if inspect.ismodule(self.obj) else type(self.obj)
        try:
            folder = Path(inspect.getfile(target)).parent / name
        except TypeError:  # built in, or defined where no file says
            return None
        return folder if folder.is_dir() else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.id,
            "title": self.title,
            "description": self.description,
            "distribution": self.distribution,
            "version": self.version,
            "requires_core": self.requires_core,
            "author": self.author,
            "homepage": self.homepage,
            "state": self.state.value,
            "enabled": self.enabled,
            "error": self.error,
        }


def _short_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _core_requirement(dist: Distribution | None) -> str | None:
    for line in (dist.requires or []) if dist else []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.name == "medianest" and not requirement.marker:
            # Lower bounds first, as authors write them: ">=0.1,<1", not "<1,>=0.1".
            specs = sorted(map(str, requirement.specifier), key=lambda s: s.startswith("<"))
            return ",".join(specs) or None
    return None


def _new_record(plugin_id: str, dist: Distribution | None) -> PluginRecord:
    """A record carrying what the distribution's metadata says about who made the plugin."""
    if dist is None:
        return PluginRecord(id=plugin_id)
    return PluginRecord(
        id=plugin_id,
        distribution=dist.name,
        version=dist.version,
        requires_core=_core_requirement(dist),
        author=_author(dist),
        homepage=_homepage(dist),
    )


def _author(dist: Distribution) -> str | None:
    """`Author`, else the names in `Author-email` (`Ann <ann@example.org>, Bo <bo@…>`)."""
    author = _field(dist, "Author")
    if author:
        return author
    emails = _field(dist, "Author-email")
    if not emails:
        return None
    names = [part.split("<", 1)[0].strip().strip('"') for part in emails.split(",")]
    return ", ".join(name for name in names if name) or emails


def _field(dist: Distribution, name: str) -> str | None:
    """A metadata field's first value, or None when it is missing or empty."""
    values = dist.metadata.get_all(name)
    return str(values[0]) if values and values[0] else None


HOMEPAGE_LABELS = ("homepage", "home", "source", "repository", "documentation")


def _homepage(dist: Distribution) -> str | None:
    """`Home-page`, else the first `Project-URL` labelled like a homepage, else any."""
    home_page = _field(dist, "Home-page")
    if home_page:
        return home_page
    urls: dict[str, str] = {}
    for entry in dist.metadata.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        urls.setdefault(label.strip().lower().replace("-", "").replace("_", ""), url.strip())
    for label in HOMEPAGE_LABELS:
        if urls.get(label):
            return urls[label]
    return next(iter(urls.values()), None)


def _compatible(requires: str | None) -> bool:
    if not requires:
        return True
    try:
        version = Version(core_version)
    except InvalidVersion:
        return True
    return Requirement(f"medianest{requires}").specifier.contains(version, prereleases=True)


class PluginHost:
    """Owns discovery, state and every hook call."""

    def __init__(
        self,
        *,
        allow: Sequence[str] | None = None,
        block: Iterable[str] = (),
        autoload: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.pm = pluggy.PluginManager("medianest")
        self.pm.add_hookspecs(hookspecs)
        self.allow = set(allow) if allow is not None else None
        self.block = set(block)
        self.autoload = autoload
        self.timeout = timeout
        self.records: dict[str, PluginRecord] = {}
        # Told of every state change (persistence, the event bus); awaited on admin toggles.
        self.listeners: list[Callable[[PluginRecord], Awaitable[None]]] = []
        # Announcements scheduled from synchronous code, held until done (the loop keeps only
        # weak references to tasks).
        self._announcing: set[asyncio.Task[None]] = set()

    # ---- discovery -------------------------------------------------------------------

    def discover(self, explicit: Sequence[Any] | None = None) -> None:
        """Load plugins given explicitly, else every entry point in `medianest.plugins`."""
        if explicit is not None:
            for obj in explicit:
                self._add_object(obj, dist=_distribution_of(obj))
            return
        if not self.autoload:
            return
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if not self._wanted(ep.name):
                continue
            record = _new_record(ep.name, ep.dist)
            try:
                obj = ep.load()
            except Exception as exc:  # an import error must not take the core down
                self._fail_new(record, f"import failed: {_short_error(exc)}")
                continue
            self._add_object(obj, dist=ep.dist, record=record)

    def _wanted(self, plugin_id: str) -> bool:
        if plugin_id in self.block:
            log.info("plugin %s blocked by MEDIANEST_BLOCK_PLUGINS", plugin_id)
            return False
        return self.allow is None or plugin_id in self.allow

    def _connection_problem(self, spec: PluginSpec) -> str | None:
        """Why the plugin's service connections cannot be taken: a name missing or invalid
        among several, given twice, or already another plugin's."""
        names = [s.name or "" for s in spec.services]
        if spec.service is not None:
            names.append(spec.service.name or spec.id)
        if any(not name or not PLUGIN_ID.match(name) for name in names):
            return "each of PluginSpec.services needs a `name` like a plugin id"
        if len(set(names)) != len(names):
            return f"service connection names given twice: {sorted(names)}"
        taken = {
            name: record.id
            for record in self.records.values()
            if record.spec is not None
            for name in record.spec.connections()
        }
        clash = sorted(name for name in names if name in taken)
        if clash:
            return f"service connection {clash[0]!r} is already plugin {taken[clash[0]]!r}'s"
        return None

    def _add_object(
        self, obj: Any, dist: Distribution | None, record: PluginRecord | None = None
    ) -> None:
        spec = getattr(obj, "plugin", None)
        if record is None:
            plugin_id = (
                spec.id if isinstance(spec, PluginSpec) else getattr(obj, "__name__", repr(obj))
            )
            record = _new_record(plugin_id, dist)
        if not isinstance(spec, PluginSpec):
            return self._fail_new(record, "the plugin module has no `plugin = PluginSpec(...)`")
        if spec.id != record.id:
            return self._fail_new(
                record, f"PluginSpec id {spec.id!r} differs from entry point {record.id!r}"
            )
        if not PLUGIN_ID.match(spec.id) or spec.id in RESERVED_IDS:
            return self._fail_new(record, f"invalid or reserved plugin id {spec.id!r}")
        if spec.id in self.records:
            return self._fail_new(
                PluginRecord(
                    id=f"{spec.id}#duplicate",
                    distribution=record.distribution,
                    version=record.version,
                ),
                f"duplicate plugin id {spec.id!r} (already provided by "
                f"{self.records[spec.id].distribution})",
            )
        problem = self._connection_problem(spec)
        if problem:
            return self._fail_new(record, problem)
        record.spec, record.obj, record.enabled = spec, obj, spec.enabled_by_default
        if not _compatible(record.requires_core):
            record.state = PluginState.INCOMPATIBLE
            record.error = f"needs medianest{record.requires_core}, this is {core_version}"
            self.records[record.id] = record
            return None
        unknown = [
            name
            for name in dir(obj)
            if not name.startswith("_")
            and self.pm.parse_hookimpl_opts(obj, name) is not None
            and name not in HOOK_NAMES
        ]
        if unknown:
            return self._fail_new(record, f"unknown hook(s): {', '.join(sorted(unknown))}")
        try:
            self.pm.register(obj, name=record.id)
        except Exception as exc:  # pluggy.PluginValidationError: wrong hook arguments
            return self._fail_new(record, f"invalid hook implementation: {exc}")
        record.state = PluginState.ENABLED if record.enabled else PluginState.DISABLED
        self.records[record.id] = record
        return None

    def _fail_new(self, record: PluginRecord, error: str) -> None:
        record.state, record.error = PluginState.FAILED, error
        self.records[record.id] = record
        log.error("plugin %s failed: %s", record.id, error)

    # ---- state -----------------------------------------------------------------------

    def get(self, plugin_id: str) -> PluginRecord | None:
        return self.records.get(plugin_id)

    def is_active(self, plugin_id: str) -> bool:
        record = self.records.get(plugin_id)
        return record is not None and record.active

    def fail(self, plugin_id: str, error: str) -> None:
        record = self.records[plugin_id]
        if record.state is not PluginState.FAILED:
            log.error("plugin %s failed: %s", plugin_id, error)
        record.state, record.error = PluginState.FAILED, error
        self._notify(record)

    def apply_wish(self, plugin_id: str, enabled: bool) -> None:
        """Set the persisted wish without calling setup/teardown (start-up, other instances)."""
        record = self.records.get(plugin_id)
        if record is None:
            return
        record.enabled = enabled
        if record.state in (PluginState.ENABLED, PluginState.DISABLED):
            record.state = PluginState.ENABLED if enabled else PluginState.DISABLED

    async def set_enabled(self, plugin_id: str, enabled: bool, core: Any) -> PluginRecord:
        """An admin's toggle: calls the plugin's `setup` or `teardown`, then tells listeners."""
        record = self.records[plugin_id]
        record.enabled = enabled
        if record.state is PluginState.INCOMPATIBLE or record.obj is None:
            await self._announce(record)
            return record
        if enabled and record.state is not PluginState.ENABLED and record.loaded:
            record.state, record.error = PluginState.ENABLED, None
            await self.call(plugin_id, "setup", core=core)
        elif not enabled and record.state is PluginState.ENABLED:
            await self.call(plugin_id, "teardown", core=core)
            if record.state is PluginState.ENABLED:
                record.state = PluginState.DISABLED
        elif not enabled and record.state is PluginState.FAILED:
            record.state = PluginState.DISABLED
        await self._announce(record)
        return record

    async def _announce(self, record: PluginRecord) -> None:
        for listener in self.listeners:
            try:
                await listener(record)
            except Exception:
                log.exception("plugin state listener failed for %s", record.id)

    def _notify(self, record: PluginRecord) -> None:
        """From synchronous code: schedule the listeners when a loop runs."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._announce(record))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    # ---- calling hooks ---------------------------------------------------------------

    def _impls(self, hook: str, plugin_id: str | None = None, include_inactive: bool = False):
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if plugin_id is not None and impl.plugin_name != plugin_id:
                continue
            if include_inactive or self.is_active(impl.plugin_name):
                yield impl

    async def _invoke(self, impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> Any:
        args = {name: kwargs[name] for name in impl.argnames}
        result = impl.function(**args)
        if inspect.isawaitable(result):
            result = await asyncio.wait_for(result, self.timeout)
        return result

    def _check(self, hook: str, result: Any) -> list[Any]:
        expected = RESULT_TYPES[hook]()
        if result is None:
            return []
        if not isinstance(result, (list, tuple)):
            raise PluginFailure(f"{hook} returned {type(result).__name__}, not a list")
        wrong = [type(item).__name__ for item in result if not isinstance(item, expected)]
        if wrong:
            raise PluginFailure(
                f"{hook} returned {', '.join(wrong)} where {expected.__name__} was expected"
            )
        return list(result)

    async def collect(
        self, hook: str, *, include_inactive: bool = True, **kwargs: Any
    ) -> dict[str, list[Any]]:
        """Call a `register_*` hook on each plugin; remember and return what each gave."""
        collected: dict[str, list[Any]] = {}
        for impl in list(self._impls(hook, include_inactive=include_inactive)):
            record = self.records[impl.plugin_name]
            if record.state in (PluginState.FAILED, PluginState.INCOMPATIBLE):
                continue
            try:
                items = self._check(hook, await self._invoke(impl, kwargs))
            except Exception as exc:
                self.fail(impl.plugin_name, f"{hook}: {_short_error(exc)}")
                continue
            record.contributions[hook] = items
            collected[impl.plugin_name] = items
        for record in self.records.values():
            record.contributions.setdefault(hook, [])
        return collected

    def contributed(self, hook: str) -> list[tuple[str, Any]]:
        """What active plugins contributed through a collecting hook, as (plugin id, item)."""
        return [
            (record.id, item)
            for record in self.records.values()
            if record.active
            for item in record.contributions.get(hook, [])
        ]

    async def call(self, plugin_id: str, hook: str, **kwargs: Any) -> bool:
        """Call one plugin's implementation of a lifecycle hook; False when it failed."""
        for impl in list(self._impls(hook, plugin_id=plugin_id, include_inactive=True)):
            try:
                await self._invoke(impl, kwargs)
            except Exception as exc:
                self.fail(plugin_id, f"{hook}: {_short_error(exc)}")
                return False
        return True

    async def fan_out(self, hook: str, **kwargs: Any) -> None:
        """Call every active plugin's implementation, each isolated from the others."""
        for impl in list(self._impls(hook)):
            try:
                await self._invoke(impl, kwargs)
            except Exception as exc:
                self.fail(impl.plugin_name, f"{hook}: {_short_error(exc)}")

    def call_sync(self, hook: str, **kwargs: Any) -> None:
        """For the CLI's `register_commands`: synchronous, each plugin isolated."""
        for impl in list(self._impls(hook, include_inactive=True)):
            try:
                args = {name: kwargs[name] for name in impl.argnames}
                impl.function(**args)
            except Exception as exc:
                self.fail(impl.plugin_name, f"{hook}: {_short_error(exc)}")


def _distribution_of(obj: Any) -> Distribution | None:
    module = getattr(obj, "__module__", None) if not inspect.ismodule(obj) else obj.__name__
    if not isinstance(module, str):
        return None
    names = packages_distributions().get(module.split(".")[0])
    if not names:
        return None
    from importlib.metadata import distribution

    return distribution(names[0])
