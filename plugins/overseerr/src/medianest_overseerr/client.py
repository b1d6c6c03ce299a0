"""A small async client for Overseerr's API (`/api/v1`), over the core's ServiceClient.

- Every call goes through `core.http` as the service `overseerr` (pooled, timed out, retried,
  circuit-broken). The API key travels only in the `X-Api-Key` header, never in a URL.
- `as_user` adds `X-API-User`: Overseerr then acts as that user, so their permissions, quotas
  and auto-approval apply. Without it the key acts as user 1, Overseerr's owner.
- Overseerr answers 500 for a TMDB id TMDB does not know; `details` reads that as "no such
  title" (None), without retrying it.

Wire format: Overseerr 1.34.0's `overseerr-api.yml`; Seerr, its successor, serves the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from medianest.sdk import JsonReply, ServiceClient, ServiceDown, ServiceResponseError
from medianest_overseerr.config import SERVICE

API = "/api/v1"
PAGE = 100  # users and requests are read this many at a time
MAX_USER_PAGES = 50  # 5,000 users: far beyond a household


# Overseerr's enums (server/constants/media.ts, server/lib/permissions.ts).
class MediaStatus:
    UNKNOWN, PENDING, PROCESSING, PARTIALLY_AVAILABLE, AVAILABLE = 1, 2, 3, 4, 5


class RequestStatus:
    PENDING, APPROVED, DECLINED, FAILED, COMPLETED = 1, 2, 3, 4, 5  # COMPLETED: Seerr only


class Permission:
    ADMIN = 2
    MANAGE_USERS = 8
    MANAGE_REQUESTS = 16
    REQUEST = 32
    REQUEST_MOVIE = 262144
    REQUEST_TV = 524288


def has_permission(value: int, *wanted: int) -> bool:
    """Overseerr's `hasPermission(..., {type: "or"})`: ADMIN passes, else any of `wanted`."""
    return bool(value & Permission.ADMIN) or any(value & permission for permission in wanted)


class Overseerr:
    """One Overseerr, reached with the admin's API key."""

    def __init__(
        self, http: ServiceClient, url: str, api_key: str, *, timeout: float | None = None
    ) -> None:
        self.http = http
        self.base = url.rstrip("/")
        self._key = api_key
        self.timeout = timeout

    # ---- reading ----------------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        """`{version, commitTag, …}`; public, so it proves only that Overseerr answers."""
        return await self._json("GET", "/status", key=False)

    async def request_count(self) -> dict[str, Any]:
        """`{total, movie, tv, pending, approved, declined, processing, available}`."""
        return await self._json("GET", "/request/count")

    async def search(self, query: str, page: int) -> dict[str, Any]:
        return await self._json("GET", "/search", params={"query": query, "page": str(page)})

    async def details(self, media_type: str, tmdb_id: int) -> dict[str, Any] | None:
        """A movie's or a show's details (with `mediaInfo` and its requests, when Overseerr has
        any); None when Overseerr cannot find the title."""
        try:
            return await self._json("GET", f"/{media_type}/{int(tmdb_id)}", retries=0)
        except ServiceDown as down:
            if down.reason == "http_5xx" and down.status_code == 500:
                return None
            raise

    async def users(self) -> list[dict[str, Any]]:
        """Every user, with `plexId` (the API key acts as the owner, who may see it)."""
        found: list[dict[str, Any]] = []
        for page in range(MAX_USER_PAGES):
            params = {"take": str(PAGE), "skip": str(page * PAGE), "sort": "created"}
            body = await self._json("GET", "/user", params=params)
            results = [user for user in body.get("results") or () if isinstance(user, dict)]
            found += results
            if len(results) < PAGE:
                break
        return found

    async def quota(self, user_id: int) -> dict[str, Any]:
        return await self._json("GET", f"/user/{int(user_id)}/quota")

    async def requests(
        self,
        *,
        take: int = PAGE,
        skip: int = 0,
        sort: str = "modified",
        filter: str | None = None,  # Overseerr's parameter name
        as_user: int | None = None,
    ) -> dict[str, Any]:
        """One page of requests, newest (or most recently changed) first."""
        params = {"take": str(take), "skip": str(skip), "sort": sort}
        if filter:
            params["filter"] = filter
        return await self._json("GET", "/request", params=params, as_user=as_user)

    async def request(self, request_id: int) -> dict[str, Any] | None:
        """One request; None when Overseerr has no such request (any more)."""
        try:
            return await self._json("GET", f"/request/{int(request_id)}")
        except ServiceResponseError as refused:
            if refused.status_code == 404:
                return None
            raise

    async def image(self, path: str) -> httpx.Response:
        """An image from Overseerr's TMDB image cache (`/imageproxy/t/p/<size>/<file>`)."""
        return await self.http.request(
            SERVICE, "GET", f"{self.base}/imageproxy{path}", timeout=self.timeout,
            headers={"Accept": "image/*"},
        )  # fmt: skip

    # ---- changing ---------------------------------------------------------------------------

    async def create_request(self, body: Mapping[str, Any], *, as_user: int) -> JsonReply:
        """`POST /request` as the user: 201 with the request, or 202 when every season asked
        for is requested or available already. Never retried: it is not idempotent."""
        return await self._send("POST", "/request", json=dict(body), as_user=as_user)

    async def decide(self, request_id: int, action: str, *, as_user: int) -> dict[str, Any] | None:
        """Approve or decline a request as the user; None when there is no such request."""
        try:
            reply = await self._send(
                "POST", f"/request/{int(request_id)}/{action}", as_user=as_user
            )
        except ServiceResponseError as refused:
            if refused.status_code == 404:
                return None
            raise
        return reply.body

    async def import_from_plex(self, plex_ids: list[str]) -> list[dict[str, Any]]:
        """Import Plex users (friends of the server's owner) as Overseerr users; the new ones."""
        reply = await self._send("POST", "/user/import-from-plex", json={"plexIds": plex_ids})
        created = reply.body
        return (
            [user for user in created if isinstance(user, dict)]
            if isinstance(created, list)
            else []
        )

    # ---- plumbing ---------------------------------------------------------------------------

    def _headers(self, *, key: bool = True, as_user: int | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if key:
            headers["X-Api-Key"] = self._key
        if as_user is not None:
            headers["X-API-User"] = str(int(as_user))
        return headers

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        key: bool = True,
        as_user: int | None = None,
        retries: int | None = None,
    ) -> Any:
        reply = await self.http.request_json(
            SERVICE,
            method,
            f"{self.base}{API}{path}",
            params=dict(params) if params else None,
            headers=self._headers(key=key, as_user=as_user),
            timeout=self.timeout,
            retries=retries,
        )
        return reply.body

    async def _send(
        self, method: str, path: str, *, json: Any = None, as_user: int | None = None
    ) -> JsonReply:
        return await self.http.request_json(
            SERVICE,
            method,
            f"{self.base}{API}{path}",
            json=json,
            headers=self._headers(as_user=as_user),
            timeout=self.timeout,
        )
