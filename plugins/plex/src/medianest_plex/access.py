"""Reaching the configured Plex server: as its owner, or as the signed-in user.

The admin's `plex` connection holds the server's URL and its owner's token; that token is for
the status probe, scans and collections. Browsing always uses the signed-in user's own access
(the token plex.tv issued them for this server), so each person sees exactly what Plex shares
with them.

The plugin's per-app state (this install's Plex identity, the plex.tv client, caches) lives in
a `PlexRuntime` per core, found with `runtime(core)`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from medianest.sdk import (
    Connection,
    DecryptionError,
    Forbidden,
    NotFound,
    PluginCore,
    ServiceAuthFailed,
    ServiceDown,
    ServiceError,
    ServiceNotConfigured,
    ServiceResponseError,
    ServiceUnavailable,
)
from medianest_plex.cache import TTLCache
from medianest_plex.client import PMS, PlexServer, PlexTV
from medianest_plex.config import (
    PLUGIN_ID,
    PlexEnvironment,
    plex_tv_url,
    plugin_settings,
    server_options,
)
from medianest_plex.models import PlexAccess

IDENTITY_TTL = 300.0  # seconds a server's machineIdentifier is trusted without asking again
BROWSE_CACHE_ENTRIES = 256  # a page of 50 items is ~45 KB as Python objects: ~12 MB at most
SERVICE_TITLES = {PMS: "Plex", "plex.tv": "plex.tv"}
CLIENT_ID_PURPOSE = "plex/client-identifier"


class PlexNotConfigured(ServiceNotConfigured):
    """No enabled `plex` connection with a URL and the owner's token (503 in the envelope)."""

    def __init__(self) -> None:
        super().__init__(PMS, "Plex is not set up yet: an admin adds its URL and token")


class NotLinked(Exception):
    """The user has no usable Plex access stored (never signed in with Plex, or it was revoked)."""


class NoServerAccess(Exception):
    """The Plex account exists but cannot reach the configured server."""


def server_token_context(user_id: object) -> str:
    return f"plex_access|server_token|{user_id}"


class PlexRuntime:
    """This app's Plex state: identity, the plex.tv client and short-lived caches."""

    def __init__(self, core: PluginCore) -> None:
        self.core = core
        # This install's stable `X-Plex-Client-Identifier`: plex.tv hands a PIN's token only to
        # the client that made it. It survives key rotation (see `Secrets.install_id`).
        self.client_id = core.secrets.install_id(CLIENT_ID_PURPOSE)
        self.environment = PlexEnvironment()
        self.browse_cache: TTLCache[Any] = TTLCache(max_entries=BROWSE_CACHE_ENTRIES)
        self._identities: dict[str, tuple[float, str]] = {}

    async def plextv(self) -> PlexTV:
        """plex.tv at the address the settings give now (an admin may change it any time)."""
        url = plex_tv_url(await plugin_settings(self.core), self.environment)
        return PlexTV(self.core.http, url, self.client_id)

    def server(
        self, url: str, token: str, *, timeout: float | None = None, retries: int | None = None
    ) -> PlexServer:
        return PlexServer(
            self.core.http, url, token, self.client_id, timeout=timeout, retries=retries
        )

    async def machine_identifier(self, connection: Connection) -> str:
        """The configured server's `machineIdentifier` (cached: it never changes for a server)."""
        assert connection.url and connection.api_key
        cached = self._identities.get(connection.url)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        identity = await owner_server(self.core, connection).identity()
        machine = str(identity.get("machineIdentifier") or "")
        if not machine:
            raise ServiceResponseError(PMS, 200, "GET /identity", " (no machineIdentifier)")
        self._identities[connection.url] = (time.monotonic() + IDENTITY_TTL, machine)
        return machine


_runtimes: WeakKeyDictionary[PluginCore, PlexRuntime] = WeakKeyDictionary()


def runtime(core: PluginCore) -> PlexRuntime:
    found = _runtimes.get(core)
    if found is None:
        found = _runtimes[core] = PlexRuntime(core)
    return found


async def connection(core: PluginCore) -> Connection:
    """The admin's Plex connection, or PlexNotConfigured."""
    found = await core.services.get(PLUGIN_ID)
    if found is None or not found.enabled or not found.url or not found.api_key:
        raise PlexNotConfigured()
    return found


def owner_server(core: PluginCore, conn: Connection, *, interactive: bool = False) -> PlexServer:
    """The server reached with its owner's token (probes, scans, collections).

    `interactive` calls (someone is waiting) are not retried, so the connection's timeout
    bounds the wait; background calls keep the client's retries.
    """
    assert conn.url and conn.api_key
    options = server_options(conn.config)
    return runtime(core).server(
        conn.url, conn.api_key, timeout=options.timeout, retries=0 if interactive else None
    )


async def user_server(core: PluginCore, user_id: str) -> PlexServer:
    """The server reached with this user's own access; NotLinked when they have none for it."""
    conn = await connection(core)
    access = await PlexAccess.get_or_none(user_id=user_id)
    if access is None:
        raise NotLinked()
    if access.machine_identifier != await runtime(core).machine_identifier(conn):
        raise NotLinked()  # the admin pointed MediaNest at another server since
    try:
        token = core.secrets.decrypt(access.server_token, context=server_token_context(user_id))
    except DecryptionError:
        raise NotLinked() from None
    assert conn.url
    options = server_options(conn.config)
    return runtime(core).server(conn.url, token, timeout=options.timeout, retries=0)


@contextlib.contextmanager
def api_errors() -> Iterator[None]:
    """Turn what can go wrong reaching Plex into the API's error envelope.

    Messages name the service and what to do, never an upstream body or a URL. A missing
    connection (`PlexNotConfigured`) is one of the API's errors already.
    """
    try:
        yield
    except NotLinked:
        raise Forbidden(
            "Sign in with Plex to browse its libraries", details={"reason": "plex_not_linked"}
        ) from None
    except NoServerAccess:
        raise Forbidden(
            "This Plex account has no access to this server", details={"reason": "no_server_access"}
        ) from None
    except ServiceDown as exc:
        title = SERVICE_TITLES.get(exc.service, exc.service)
        raise ServiceUnavailable(exc.service, f"{title} is not answering right now") from None
    except ServiceAuthFailed:
        raise Forbidden(
            "Plex refused your access to this server", details={"reason": "plex_refused"}
        ) from None
    except ServiceResponseError as exc:
        if exc.status_code == 404:
            raise NotFound() from None
        raise ServiceUnavailable(exc.service, "Plex could not answer that request") from None
    except ServiceError as exc:
        raise ServiceUnavailable(exc.service, "Plex could not be reached") from None
