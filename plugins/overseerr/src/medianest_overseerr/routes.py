"""The plugin's own routes, mounted at `/api/overseerr` (and `/ws/overseerr` for its sockets).

- `POST /webhook` (public): Overseerr's webhook agent. Its `Authorization` header must equal
  the `webhook_secret` setting (compared in constant time); anything else is 401.
- `GET /poster/<size>/<file>`: a TMDB poster through Overseerr's image cache, for pages that
  may load nothing from outside. Only TMDB sizes and file names pass.
- `GET /requests/pending`, `POST /requests/<id>/approve|decline` (admins): approvals, made in
  Overseerr as the admin's own Overseerr user.
- `WS /ws/overseerr/requests` (one's own) and `/ws/overseerr/admin` (admins, everyone's):
  `request:status` events for pages whose badges change live.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, Response, request
from quart_schema import validate_querystring

from medianest.sdk import (
    Actor,
    BadRequest,
    Forbidden,
    NotFound,
    Unauthenticated,
    admin_only,
    counted_as,
    current_actor,
    current_core,
    ok,
    public,
    requires,
    signed_in,
)
from medianest_overseerr import media, people, records, sync
from medianest_overseerr.access import overseerr, service_errors
from medianest_overseerr.client import Overseerr
from medianest_overseerr.config import plugin_settings
from medianest_overseerr.models import OverseerrRequest

blueprint = Blueprint("overseerr", __name__)
sockets = Blueprint("overseerr_ws", __name__, url_prefix="/ws/overseerr")

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
IMAGE_CACHE = "private, max-age=86400"  # a TMDB path names one image for good
WEBHOOK_FAILURES = 30  # refused webhooks per address per 10 minutes before 429
TITLE_LOOKUPS = 4  # concurrent title look-ups for a page of pending requests


# ---- the webhook ------------------------------------------------------------------------------


@blueprint.post("/webhook")
@public
async def webhook():
    """Overseerr's webhook agent tells MediaNest a request changed (the body is Overseerr's
    JSON template; only which request it names is used, its state is read from Overseerr)."""
    core = current_core()
    if not await _webhook_authorised(core):
        await core.limits.hit(
            f"overseerr:webhook:{core.auth.client_ip()}", limit=WEBHOOK_FAILURES, window=600,
            fail_open=True,
        )  # fmt: skip
        raise Unauthenticated("The webhook's Authorization header is not this MediaNest's secret")
    payload = await request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest("The webhook's body is not a JSON object")
    kind = payload.get("notification_type")
    if kind == "TEST_NOTIFICATION":
        return ok({"received": kind, "refreshed": []})
    return ok({"received": str(kind)[:40], **await sync.on_webhook(core, payload)})


async def _webhook_authorised(core: Any) -> bool:
    secret = (await plugin_settings(core)).webhook_secret
    given = request.headers.get("Authorization")
    if secret is None or given is None:
        return False
    return hmac.compare_digest(given.encode(), secret.get_secret_value().encode())


# ---- posters ----------------------------------------------------------------------------------


@blueprint.get("/poster/<size>/<file>")
@signed_in
@counted_as("images")  # a search page shows twenty at once
async def poster(size: str, file: str):
    """A TMDB poster (`/poster/w300_and_h450_face/<file>.jpg`) from Overseerr's image cache."""
    path = f"/{file}"
    if size not in media.POSTER_SIZES or not media.POSTER_PATH.fullmatch(path):
        raise NotFound("No such poster")
    client = await overseerr(current_core())
    with service_errors():
        upstream = await client.image(f"/t/p/{size}{path}")
    content_type = upstream.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise NotFound("No such poster")  # never relay anything but a raster image
    return Response(
        upstream.content, content_type=content_type, headers={"Cache-Control": IMAGE_CACHE}
    )


# ---- a show's seasons (the request dialog) ---------------------------------------------------


@blueprint.get("/tv/<int:tmdb_id>/seasons")
@requires("media.request")
async def show_seasons(tmdb_id: int):
    """A show's seasons and where each stands (`available`, `partly`, `requested`, `pending`
    or `none`), for choosing what to request."""
    client = await overseerr(current_core())
    with service_errors():
        details = await client.details("tv", tmdb_id) if tmdb_id < 2**31 else None
    if details is None:
        raise NotFound("Overseerr knows no show with that TMDB id")
    return ok(
        {"tmdb_id": tmdb_id, "title": media.title_of(details), "seasons": media.seasons_of(details)}
    )


# ---- approvals --------------------------------------------------------------------------------


class Paging(BaseModel):
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=20, ge=1, le=100)


@blueprint.get("/requests/pending")
@admin_only
@validate_querystring(Paging)
async def pending(query_args: Paging):
    """Requests waiting for approval, newest first, as Overseerr lists them to you."""
    page = await pending_requests(current_core(), _actor(), query_args.offset, query_args.limit)
    return ok({**page, "offset": query_args.offset, "limit": query_args.limit})


async def pending_requests(core: Any, actor: Actor, offset: int, limit: int) -> dict[str, Any]:
    """`{items, total}`: the pending requests, read as the admin's own Overseerr user."""
    client, user = await _as_manager(core, actor)
    with service_errors():
        body = await client.requests(
            take=limit, skip=offset, sort="added", filter="pending", as_user=user.id
        )
        found = [r for r in body.get("results") or () if isinstance(r, dict) and "id" in r]
        items = await _pending_views(core, client, found)
    return {"items": items, "total": int((body.get("pageInfo") or {}).get("results") or len(items))}


@blueprint.post("/requests/<int:request_id>/<any(approve, decline):action>")
@admin_only
async def decide(request_id: int, action: str):
    """Approve or decline a request, in Overseerr, as your own Overseerr user."""
    core, actor = current_core(), _actor()
    client, user = await _as_manager(core, actor)
    with service_errors():
        decided = await client.decide(request_id, action, as_user=user.id)
        if decided is None:
            raise NotFound("No such request")
        await sync.upsert(core, client, decided)
    await core.audit.record(
        f"overseerr.request.{action}d", actor=actor, target=f"overseerr_request:{request_id}"
    )
    row = await OverseerrRequest.get_or_none(id=request_id)
    if row is not None:
        return ok((await records.views(core, [row]))[0])
    return ok(await _pending_view(core, client, decided))


async def _as_manager(core: Any, actor: Actor) -> tuple[Overseerr, people.OverseerrUser]:
    plex_id = await people.plex_id_of(core, actor.user_id)
    client = await overseerr(core)
    with service_errors():
        user = await people.overseerr_user(core, client, plex_id)
    people.check_may_manage(user)
    return client, user


async def _pending_views(core: Any, client: Overseerr, found: list[dict[str, Any]]) -> list[dict]:
    gate = asyncio.Semaphore(TITLE_LOOKUPS)

    async def one(request_json: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            return await _pending_view(core, client, request_json)

    return list(await asyncio.gather(*(one(r) for r in found)))


async def _pending_view(core: Any, client: Overseerr, found: dict[str, Any]) -> dict[str, Any]:
    """An Overseerr request as the approvals page shows it (title from MediaNest's record, or
    Overseerr's details, cached)."""
    info = found.get("media") or {}
    kind = str(found.get("type") or info.get("mediaType"))
    summary = await sync.title_summary(core, client, kind, info.get("tmdbId"))
    by = found.get("requestedBy") or {}
    linked = await core.accounts.find("plex", str(by["plexId"])) if by.get("plexId") else None
    return {
        "id": found["id"],
        "type": kind,
        "tmdb_id": info.get("tmdbId"),
        "title": summary["title"],
        "year": summary["year"],
        "poster": media.poster_url(summary["poster_path"]),
        "status": media.request_status(found),
        "seasons": media.season_numbers(found),
        "requested_at": media.overseerr_time(found.get("createdAt")).isoformat(),
        "requested_by": {
            "name": str(by.get("displayName") or ""),
            "user_id": linked.user_id if linked else None,
        },
    }


def _actor() -> Actor:
    actor = current_actor()
    assert actor is not None  # the route's policy let only signed-in people through
    return actor


# ---- live updates -----------------------------------------------------------------------------


@sockets.websocket("/requests")
@signed_in
async def my_request_updates() -> None:
    """`request:status` whenever one of your requests changes: `{request, before}`."""
    await current_core().realtime.topic_socket(records.MINE_TOPIC, names={records.STATUS_EVENT})


@sockets.websocket("/admin")
@admin_only
async def all_request_updates() -> None:
    """`request:status` whenever anyone's request changes (admins only)."""
    await current_core().realtime.topic_socket(
        records.ADMIN_TOPIC, names={records.STATUS_EVENT}, authorize=_admins_only
    )


def _admins_only(actor: Actor) -> bool:
    if not actor.is_admin:
        raise Forbidden("Administrators only")
    return True
