"""A small async client for plex.tv and a Plex Media Server, over the core's ServiceClient.

- Every call goes through `core.http` (pooled, timed out, retried, circuit-broken) as the
  service `plex.tv` or `plex`, so each has its own breaker.
- A Plex token travels only in the `X-Plex-Token` header, never in a URL: URLs end up in
  logs, error messages and proxies' access logs, headers do not.
- Every request names this install the same way (`X-Plex-Client-Identifier`, the install id
  `core.secrets` derives for it), which plex.tv needs to hand a PIN's token back to the client
  that made it.
- Lists are always paged with `X-Plex-Container-Start`/`-Size`, at most `MAX_PAGE` per call:
  a Plex library can hold a million tracks, and asking for "all" of it is how peers fall over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlencode

import httpx

from medianest.sdk import JsonReply, ServiceClient, ServiceResponseError

PRODUCT = "MediaNest"
PLEX_TV = "plex.tv"  # the core.http service names (one circuit breaker each)
PMS = "plex"
DEFAULT_PLEX_TV_URL = "https://plex.tv"
PLEX_APP_AUTH = "https://app.plex.tv/auth#?"
MAX_PAGE = 500
LIBRARY_URI = "server://{machine}/com.plexapp.plugins.library/library/metadata/{keys}"

try:
    PLUGIN_VERSION = version("medianest-plex")
except PackageNotFoundError:  # running from a source tree without metadata
    PLUGIN_VERSION = "0"


def identity_headers(client_id: str) -> dict[str, str]:
    return {
        "Accept": "application/json",
        "X-Plex-Client-Identifier": client_id,
        "X-Plex-Product": PRODUCT,
        "X-Plex-Version": PLUGIN_VERSION,
        "X-Plex-Platform": "Web",
        "X-Plex-Device": "MediaNest",
        "X-Plex-Device-Name": "MediaNest",
    }


# ---- plex.tv ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    id: int
    code: str
    expires_at: datetime
    auth_token: str | None = None


@dataclass(frozen=True)
class PlexAccount:
    """Who a plex.tv token belongs to (no token kept here)."""

    id: str
    uuid: str
    username: str
    title: str
    email: str | None
    thumb: str | None

    @property
    def display_name(self) -> str:
        return self.username or self.title or f"plex-{self.id}"


@dataclass(frozen=True)
class Resource:
    """One server a plex.tv account reaches, and the token that reaches it."""

    machine_identifier: str
    owned: bool
    access_token: str | None
    provides: frozenset[str]


class PlexTV:
    """plex.tv: PINs, accounts and the servers an account reaches."""

    def __init__(self, http: ServiceClient, base_url: str, client_id: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.headers = identity_headers(client_id)

    async def create_pin(self) -> Pin:
        """A strong PIN (the browser flow's kind); plex.tv answers 201 with it."""
        body = await self._json("POST", "/api/v2/pins", params={"strong": "true"})
        return _pin(body)

    async def pin(self, pin_id: int) -> Pin | None:
        """The PIN as plex.tv sees it now; None once it has expired (plex.tv answers 404)."""
        try:
            return _pin(await self._json("GET", f"/api/v2/pins/{pin_id}"))
        except ServiceResponseError as exc:
            if exc.status_code == 404:
                return None
            raise

    async def account(self, token: str) -> PlexAccount:
        """The account behind a token; ServiceAuthFailed (401) when plex.tv no longer accepts it."""
        body = await self._json("GET", "/api/v2/user", token=token)
        return PlexAccount(
            id=str(body["id"]),
            uuid=str(body.get("uuid") or ""),
            username=str(body.get("username") or ""),
            title=str(body.get("title") or ""),
            email=body.get("email") or None,
            thumb=body.get("thumb") or None,
        )

    async def resources(self, token: str) -> list[Resource]:
        body = await self._json(
            "GET",
            "/api/v2/resources",
            token=token,
            params={"includeHttps": "1", "includeRelay": "1"},
        )
        return [
            Resource(
                machine_identifier=str(entry.get("clientIdentifier") or ""),
                owned=bool(entry.get("owned")),
                access_token=entry.get("accessToken") or None,
                provides=frozenset(str(entry.get("provides") or "").split(",")),
            )
            for entry in body
            if isinstance(entry, dict)
        ]

    def auth_url(self, code: str) -> str:
        """Where the person approves the PIN: Plex's own page, or the stand-in's `/link`."""
        query = urlencode(
            {"clientID": self.client_id, "code": code, "context[device][product]": PRODUCT},
            safe="[]",
        )
        if self.base_url == DEFAULT_PLEX_TV_URL:
            return PLEX_APP_AUTH + query
        return f"{self.base_url}/link?{query}"

    async def _json(
        self, method: str, path: str, *, token: str | None = None, params: Any = None
    ) -> Any:
        headers = dict(self.headers)
        if token is not None:
            headers["X-Plex-Token"] = token
        reply = await self.http.request_json(
            PLEX_TV, method, self.base_url + path, params=params, headers=headers
        )
        return reply.body


def _pin(body: Mapping[str, Any]) -> Pin:
    return Pin(
        id=int(body["id"]),
        code=str(body["code"]),
        expires_at=_expiry(body),
        auth_token=body.get("authToken") or None,
    )


def _expiry(body: Mapping[str, Any]) -> datetime:
    """`expiresAt` is an ISO string (some clients see epoch numbers); `expiresIn` is seconds."""
    raw = body.get("expiresAt")
    if isinstance(raw, int | float):
        return datetime.fromtimestamp(raw, UTC)
    if isinstance(raw, str) and raw:
        parsed = datetime.fromisoformat(raw)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC) + timedelta(seconds=int(body.get("expiresIn") or 900))


# ---- Plex Media Server --------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a Plex list: the entries and the list's total length."""

    items: list[dict[str, Any]]
    total: int
    offset: int


class PlexServer:
    """One Plex Media Server, reached with one token (the owner's, or a user's own)."""

    def __init__(
        self,
        http: ServiceClient,
        url: str,
        token: str,
        client_id: str,
        *,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.headers = {**identity_headers(client_id), "X-Plex-Token": token}
        self.timeout = timeout
        self.retries = retries

    # ---- reading ------------------------------------------------------------------------

    async def identity(self) -> dict[str, Any]:
        """`machineIdentifier`, `version`, `claimed`; answered without checking the token."""
        return await self.container("/identity")

    async def sections(self) -> list[dict[str, Any]]:
        return _entries(await self.container("/library/sections"), "Directory")

    async def page(
        self, path: str, *, offset: int, size: int, params: Mapping[str, str] | None = None
    ) -> Page:
        """One page of any Plex list (`size` 0 asks only for the total)."""
        if not 0 <= size <= MAX_PAGE:
            raise ValueError(f"a page holds 0 to {MAX_PAGE} entries")
        paging = {"X-Plex-Container-Start": str(offset), "X-Plex-Container-Size": str(size)}
        reply = await self._get(path, params=params, extra_headers=paging)
        container = _container(reply.body)
        entries = _entries(container, "Metadata") or _entries(container, "Directory")
        total = _total(container, reply.response.headers, offset + len(entries))
        return Page(entries, total, offset)

    async def count(self, path: str, params: Mapping[str, str] | None = None) -> int:
        return (await self.page(path, offset=0, size=0, params=params)).total

    async def metadata(self, rating_key: str) -> dict[str, Any] | None:
        """One item or collection with its details; None when this token cannot see it."""
        try:
            found = _entries(await self.container(f"/library/metadata/{rating_key}"), "Metadata")
        except ServiceResponseError as exc:
            if exc.status_code == 404:
                return None
            raise
        return found[0] if found else None

    async def image(self, path: str, *, width: int | None, height: int | None) -> httpx.Response:
        """An image's bytes: `path` as it is, or resized by Plex's photo transcoder."""
        headers = {**self.headers, "Accept": "image/*"}
        if width is None and height is None:
            return await self._request("GET", path, headers=headers)
        params = {"url": path, "minSize": "1", "upscale": "1"}
        params |= {"width": str(width)} if width else {}
        params |= {"height": str(height)} if height else {}
        return await self._request("GET", "/photo/:/transcode", params=params, headers=headers)

    async def container(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return _container((await self._get(path, params=params)).body)

    # ---- changing (the owner's token only) ------------------------------------------------

    async def refresh(self, section_id: str, path: str | None = None) -> None:
        """Ask Plex to scan a section, or only the folder `path` inside it."""
        params = {"path": path} if path else None
        await self._request("GET", f"/library/sections/{section_id}/refresh", params=params)

    async def create_collection(
        self, section_id: str, title: str, type_code: int, uri: str
    ) -> dict[str, Any]:
        params = {
            "type": str(type_code),
            "title": title,
            "smart": "0",
            "sectionId": section_id,
            "uri": uri,
        }
        reply = await self._json("POST", "/library/collections", params=params)
        created = _entries(_container(reply.body), "Metadata")
        if not created:
            raise ServiceResponseError(
                PMS, reply.response.status_code, "POST /library/collections", " (no collection)"
            )
        return created[0]

    async def add_collection_items(self, collection_key: str, uri: str) -> None:
        await self._request(
            "PUT", f"/library/collections/{collection_key}/items", params={"uri": uri}
        )

    # ---- plumbing -------------------------------------------------------------------------

    async def _get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> JsonReply:
        headers = {**self.headers, **(extra_headers or {})}
        return await self._json("GET", path, params=params, headers=headers)

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> JsonReply:
        return await self.http.request_json(
            PMS, method, self.url + path, **self._options(params, headers)
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.request(
            PMS, method, self.url + path, **self._options(params, headers)
        )

    def _options(
        self, params: Mapping[str, str] | None, headers: Mapping[str, str] | None
    ) -> dict[str, Any]:
        return {
            "params": dict(params) if params else None,
            "headers": headers or self.headers,
            "timeout": self.timeout,
            "retries": self.retries,
        }


def _container(body: Any) -> dict[str, Any]:
    container = body.get("MediaContainer") if isinstance(body, dict) else None
    return container if isinstance(container, dict) else {}


def _entries(container: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    entries = container.get(key)
    return (
        [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    )


def _total(container: Mapping[str, Any], headers: httpx.Headers, fallback: int) -> int:
    """`totalSize`, else the total-size header, else what we have (python-plexapi does the same)."""
    for candidate in (container.get("totalSize"), headers.get("X-Plex-Container-Total-Size")):
        try:
            return int(candidate)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return fallback


def library_uri(machine_identifier: str, rating_keys: list[str]) -> str:
    """The `uri` Plex takes to name library items in collection calls."""
    return LIBRARY_URI.format(machine=machine_identifier, keys=",".join(rating_keys))
