"""What plugins hand to the core. Plugins describe; the core does.

Every hook that collects returns a list of these frozen dataclasses (or, for
`register_routes`, Quart blueprints). The core checks the type of each item: a
plugin that returns anything else is marked failed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

PLUGIN_ID = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
RESERVED_IDS = frozenset(
    {
        "core",
        "admin",
        "auth",
        "api",
        "static",
        "ws",
        "dashboard",
        "media",
        "healthz",
        "readyz",
        "metrics",
        "openapi",
        "medianest",
        "login",
        "logout",
        "settings",
    }
)


@dataclass(frozen=True)
class ServiceSpec:
    """The plugin talks to an external service an admin configures: URL, key and options.

    The admin's services page renders a form from it; the connection reaches the plugin's
    probes and routes decrypted, in-process only (`core.services.get(name)`). `name` is the
    connection's name: the plugin id unless given. A plugin that talks to several services
    lists one named spec each in `PluginSpec.services`.
    """

    title: str
    key_label: str = "API key"
    key_required: bool = True
    config: type[BaseModel] | None = None  # extra options, e.g. Uptime Kuma's status page slug
    default_url: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Connection:
    """A service connection as plugins see it. `api_key` is plaintext: never log or return it."""

    name: str
    url: str | None
    api_key: str | None = field(default=None, repr=False)
    config: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class PluginSpec:
    """Metadata a plugin module exposes as its `plugin` attribute.

    Version, description and the required core version come from the distribution's
    metadata (its `medianest>=…` requirement), so they are never repeated here.
    """

    id: str
    title: str
    description: str = ""
    settings: type[BaseModel] | None = None  # SecretStr fields are secrets: encrypted, masked
    enabled_by_default: bool = True
    docs_url: str | None = None
    service: ServiceSpec | None = None  # one connection, named after the plugin
    services: Sequence[ServiceSpec] = ()  # several, each with its own `name`

    def connections(self) -> dict[str, ServiceSpec]:
        """Every service connection the plugin declares, by name."""
        declared = [self.service] if self.service is not None else []
        return {spec.name or self.id: spec for spec in [*declared, *self.services]}


@dataclass(frozen=True)
class Permission:
    """A permission a plugin declares; the core alone decides who holds it."""

    name: str  # "<plugin id>.<action>", e.g. "youtube.download"
    description: str
    default_roles: tuple[str, ...] = ("user",)


@dataclass(frozen=True)
class ProbeResult:
    status: str  # online / offline / degraded / unknown
    response_time_ms: float | None = None
    error: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusProbe:
    """A check the core's coordinator runs on its interval; pages read its cached result.

    `await check(core, connection)` gets the admin's connection for `service` (None when there
    is none). With `needs_connection`, an unconfigured or disabled service is reported
    `unknown` without calling `check`. The same check answers the admin's "test connection".
    """

    service: str
    check: Callable[[Any, Connection | None], Awaitable[ProbeResult]]
    interval: float = 30.0
    timeout: float = 10.0
    title: str | None = None
    needs_connection: bool = True


@dataclass(frozen=True)
class Widget:
    """A dashboard tile: a template fragment rendered with data the plugin keeps cached."""

    id: str
    title: str
    data: Callable[[Any, Any], Awaitable[dict[str, Any]]]  # (core, actor) -> dict; cache only
    template: str | None = None  # "<plugin id>/widget.html"
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True)
class JobSpec:
    """A background job; the core registers it as `<plugin id>.<name>`."""

    name: str
    func: Callable[..., Awaitable[Any]]
    schedule: float | None = None  # run every N seconds, never overlapping
    retries: int = 3
    timeout: float | None = None


@dataclass(frozen=True)
class ModelSpec:
    """Tortoise model modules and the migrations package that ships inside the plugin."""

    modules: Sequence[str]
    migrations: str


@dataclass(frozen=True)
class AuthProvider:
    """A way to sign in (the Plex PIN flow, …).

    `blueprint`, when given, is a Quart Blueprint the core mounts at `/api/auth/<id>`, inside
    its own sign-in space (the plugin's gate still applies). `id` is the plugin id or starts
    with `<plugin id>_`. Its routes finish with `await core.auth.sign_in_external(user, …)`.
    `sign_in_template`, when given, is a template of the plugin's that the shell's sign-in page
    includes while the provider is active (its button, and the script that runs it).
    """

    id: str
    title: str
    start_path: str | None = None  # where the sign-in page sends the browser to begin
    # Whether people this provider vouches for but MediaNest does not know yet may sign in is
    # an admin's switch under `registration.providers.<id>` (on unless turned off).
    blueprint: Any = None  # a quart.Blueprint; typed loosely so this module never imports Quart
    sign_in_template: str | None = None  # "<plugin id>/sign_in.html": the shell's sign-in button


@dataclass(frozen=True)
class RequestProvider:
    """A media request backend behind the core's `/api/media` routes (SPEC §3).

    The core checks who may call, validates the input and counts nothing itself; each
    callable gets `(core, actor, …)` and returns plain JSON-able data, raising the sdk's
    errors (`NotFound`, `Conflict`, `ServiceUnavailable`, …) for the envelope:

    - `search(core, actor, query, media_type, page)` → `{items, total, page, pages}`
    - `request(core, actor, media_type, tmdb_id, seasons)` → the new request
    - `list_requests(core, actor, everyone, offset, limit)` → `{items, total}`
    - `get_request(core, actor, request_id)` → one request (another user's is `NotFound`)

    With several enabled, the first by plugin id answers.
    """

    id: str
    title: str
    search: Callable[..., Awaitable[Any]]
    request: Callable[..., Awaitable[Any]]
    list_requests: Callable[..., Awaitable[Any]]
    get_request: Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class RateLimit:
    """A budget a plugin declares: admins change it under `rate_limits.<name>` in the system
    config, and the plugin spends it with `core.limits.spend(name, subject)`."""

    name: str  # e.g. "youtube": unique across the install
    title: str  # what Admin → Settings calls it
    limit: int
    window: int  # seconds


@dataclass(frozen=True)
class Capability:
    """Something one plugin offers others without either importing the other.

    `name` is a capability the sdk defines a protocol for (e.g. `MEDIA_LIBRARY`, see
    `medianest.sdk.MediaLibrary`); `provider` implements it. Consumers ask
    `core.capabilities.get(name)`, which answers only while the offering plugin is active.
    """

    name: str
    provider: Any


@dataclass(frozen=True)
class DemoConnection:
    """What a running demo stand-in tells `medianest demo`: the connection to save (as an admin
    would), the plugin's own settings to save with it (e.g. where its sign-in service is) and
    lines to print at start (who to sign in as, what to try)."""

    url: str
    api_key: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class DemoService:
    """A stand-in for the plugin's service, run by `medianest demo` so a newcomer sees the plugin
    working without owning the real service.

    `run(data_dir)` is a context manager: it starts the stand-in on 127.0.0.1 (usually on a
    thread), yields a `DemoConnection` for the connection `service`, and stops it on exit.
    """

    service: str
    run: Callable[[Path], AbstractContextManager[DemoConnection]]


@dataclass(frozen=True)
class NavEntry:
    """A link in the shell's header. `icon` names one of the shell's icons ("home", "film", …)
    or a symbol in an SVG sprite of the plugin's own `static/` folder ("img/icons.svg#i-x").
    Shown while the plugin is active, to those who hold `permission` (admins only with `admin`),
    and only when a page answers at `href`."""

    label: str
    href: str
    icon: str
    permission: str | None = None
    admin: bool = False
    order: int = 100


@dataclass(frozen=True)
class Shell:
    """The site's HTML front end: the pages at the root (`/`, `/login`, …), the layout every
    plugin page extends and its static files. The core takes one from at most one plugin.

    The shell provides the templates `shell/base.html` (blocks `title`, `head`, `main`,
    `main_class`, `main_attrs`) and `shell/macros.html` (`icon(name, class)`), and the template
    function `asset(path, plugin=None)`: the content-hashed URL of a file in its own `static/`
    folder, or in a plugin's. It serves each plugin's `static/` folder at
    `/static/plugins/<plugin id>/`.
    """

    blueprint: Any  # a quart.Blueprint mounted at the site root
    render: Callable[..., Awaitable[Any]]  # await render(template, status=200, **context)
    login_url: Callable[[str | None], str]  # the sign-in page, sending the visitor on to a path
    adopt: Callable[[Any], None] | None = None  # gives a plugin's page blueprint the error pages
