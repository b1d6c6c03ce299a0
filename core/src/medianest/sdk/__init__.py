"""`medianest.sdk`: everything a MediaNest plugin imports from MediaNest, in one place.

    from medianest.sdk import PluginSpec, Widget, hookimpl, signed_in, ok, current_core

The promise: names exported here keep working, with the same meaning, for every 0.x release of
`medianest` from the one that added them; a change that breaks one is announced in
CHANGELOG.md under "Plugin API" one minor release ahead, with a deprecation warning meanwhile.
Anything imported from elsewhere in `medianest` is internal and may change at any time; the
import contracts in CI keep first-party and contrib plugins to this module (tests may also use
`medianest.testing`).

What is here:
- contributions the hooks return (`PluginSpec`, `Widget`, `StatusProbe`, `JobSpec`, …);
- `PluginCore`, the typed `core` every hook receives, and its parts (`core.users`,
  `core.accounts`, `core.audit`, `core.secrets`, `core.limits`, `core.status`, `core.jobs`,
  `core.http`, `core.realtime`, `core.capabilities`, `core.services`, …);
- route policies (`public`, `signed_in`, `admin_only`, `requires`, …), the envelope's errors
  and responses (`ok`, `listing`, `NotFound`, …), and `current_core()` / `current_actor()`;
- the service client's errors, capabilities one plugin offers another (`MediaLibrary`,
  `DownloadProgress`), and the web shell's helpers for plugin pages (`render_page`,
  `login_url`).
"""

from __future__ import annotations

import pluggy
from quart import current_app, g

from medianest.auth.accounts import LinkedAccount, UserInfo
from medianest.auth.actor import Actor
from medianest.auth.policy import (
    admin_only,
    allowed_before_password_change,
    counted_as,
    public,
    requires,
    signed_in,
)
from medianest.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PasswordChangeRequired,
    PluginDisabled,
    RateLimited,
    ServiceNotConfigured,
    ServiceUnavailable,
    Unauthenticated,
    ValidationFailed,
    listing,
    ok,
)
from medianest.events import Event
from medianest.http import (
    JsonReply,
    ServiceAuthFailed,
    ServiceClient,
    ServiceDown,
    ServiceError,
    ServiceResponseError,
)
from medianest.jobs import JobCancelled, JobContext, TransientJobError
from medianest.plugins.contributions import (
    AuthProvider,
    Capability,
    Connection,
    DemoConnection,
    DemoService,
    JobSpec,
    ModelSpec,
    Permission,
    PluginSpec,
    ProbeResult,
    RateLimit,
    RequestProvider,
    ServiceSpec,
    StatusProbe,
    Widget,
)
from medianest.ratelimit import Decision, LimiterUnavailable
from medianest.sdk.capabilities import (
    DOWNLOAD_PROGRESS,
    DOWNLOAD_STATES,
    MEDIA_LIBRARY,
    DownloadProgress,
    DownloadState,
    Library,
    LibraryNotFound,
    MediaLibrary,
)
from medianest.sdk.core import PluginCore
from medianest.sdk.ui import (
    BASE_TEMPLATE,
    MACROS_TEMPLATE,
    NO_STORE,
    NavEntry,
    Shell,
    has_shell,
    login_url,
    render_page,
)
from medianest.security.crypto import DecryptionError

SDK_VERSION = "1.0"
hookimpl = pluggy.HookimplMarker("medianest")

#: The Tortoise model a plugin's table points at for "this row belongs to a user":
#: `user = fields.ForeignKeyField(USER_MODEL, on_delete=fields.CASCADE)`.
USER_MODEL = "medianest.User"


def current_core() -> PluginCore:
    """The `core` of the app serving this request or websocket (for route functions)."""
    return current_app.extensions["medianest"]


def current_actor() -> Actor | None:
    """Who is asking: the signed-in user of this request or websocket, or None."""
    return g.get("actor")


__all__ = [
    "BASE_TEMPLATE",
    "DOWNLOAD_PROGRESS",
    "DOWNLOAD_STATES",
    "MACROS_TEMPLATE",
    "MEDIA_LIBRARY",
    "NO_STORE",
    "SDK_VERSION",
    "USER_MODEL",
    "Actor",
    "ApiError",
    "AuthProvider",
    "BadRequest",
    "Capability",
    "Conflict",
    "Connection",
    "Decision",
    "DecryptionError",
    "DemoConnection",
    "DemoService",
    "DownloadProgress",
    "DownloadState",
    "Event",
    "Forbidden",
    "JobCancelled",
    "JobContext",
    "JobSpec",
    "JsonReply",
    "Library",
    "LibraryNotFound",
    "LimiterUnavailable",
    "LinkedAccount",
    "MediaLibrary",
    "ModelSpec",
    "NavEntry",
    "NotFound",
    "PasswordChangeRequired",
    "Permission",
    "PluginCore",
    "PluginDisabled",
    "PluginSpec",
    "ProbeResult",
    "RateLimit",
    "RateLimited",
    "RequestProvider",
    "ServiceAuthFailed",
    "ServiceClient",
    "ServiceDown",
    "ServiceError",
    "ServiceNotConfigured",
    "ServiceResponseError",
    "ServiceSpec",
    "ServiceUnavailable",
    "Shell",
    "StatusProbe",
    "TransientJobError",
    "Unauthenticated",
    "UserInfo",
    "ValidationFailed",
    "Widget",
    "admin_only",
    "allowed_before_password_change",
    "counted_as",
    "current_actor",
    "current_core",
    "has_shell",
    "hookimpl",
    "listing",
    "login_url",
    "ok",
    "public",
    "render_page",
    "requires",
    "signed_in",
]
