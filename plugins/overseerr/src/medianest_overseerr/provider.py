"""The request provider behind the core's `/api/media/*`: search, request, and one's requests.

The core has checked `media.request` (or a signed-in user for the lists) and validated the
input. Here, MediaNest's own checks come before anything reaches Overseerr: a Plex link, a
title requested already in MediaNest's record (409), the `media_request` budget (429). Then,
with Overseerr: who the person is there, whether they may request, whether the title is
available or requested already (409 with that request: Overseerr itself would accept a movie
that is in Plex but was never requested), their Overseerr quota; and only then the request,
made as them (`X-API-User`). Lists and single requests answer from MediaNest's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medianest.sdk import (
    Actor,
    Conflict,
    Forbidden,
    NotFound,
    RateLimit,
    RequestProvider,
    ServiceAuthFailed,
    ServiceResponseError,
    ValidationFailed,
)
from medianest_overseerr import media, models, people, records
from medianest_overseerr.access import overseerr, runtime, service_errors
from medianest_overseerr.client import MediaStatus, Overseerr, RequestStatus
from medianest_overseerr.config import plugin_settings
from medianest_overseerr.models import OverseerrRequest
from medianest_overseerr.people import OverseerrUser

BUDGET = "media_request"
RATE_LIMIT = RateLimit(BUDGET, "Media requests per person", 20, 3600)


def request_provider() -> RequestProvider:
    return RequestProvider(
        id="overseerr",
        title="Overseerr",
        search=search,
        request=make_request,
        list_requests=list_requests,
        get_request=get_request,
    )


# ---- search ---------------------------------------------------------------------------------


async def search(core: Any, actor: Actor, query: str, media_type: str, page: int) -> dict[str, Any]:
    """Movies and shows matching `query` (people left out), with their availability and the
    caller's own request for each. Overseerr pages its search by 20 results of every kind, so
    a filtered page may hold fewer; `total` is exact when everything fits on one page, else
    Overseerr's count of every match."""
    query = " ".join(query.split())
    found = await cached_search(core, query, page)
    items = [item for item in found["items"] if media_type in ("all", item["type"])]
    mine = await _my_requests(actor, items)
    items = [{**item, "request": mine.get((item["type"], item["tmdb_id"]))} for item in items]
    total = len(items) if found["pages"] <= 1 else found["total"]
    return {"items": items, "total": total, "page": page, "pages": found["pages"]}


async def cached_search(core: Any, query: str, page: int) -> dict[str, Any]:
    """Overseerr's search page, normalised; shared by everyone for `search_cache_seconds`
    (the answer does not depend on who asks; changes to a request empty the cache)."""
    client = await overseerr(core)
    ttl = (await plugin_settings(core)).search_cache_seconds

    async def fetch() -> dict[str, Any]:
        body = await client.search(query, page)
        items = [media.search_item(r) for r in body.get("results") or () if isinstance(r, dict)]
        return {
            "items": [item for item in items if item is not None],
            "total": int(body.get("totalResults") or 0),
            "pages": int(body.get("totalPages") or 0),
        }

    with service_errors():
        return await runtime(core).searches.get((query.casefold(), page), fetch, ttl)


async def _my_requests(actor: Actor, items: list[dict[str, Any]]) -> dict[tuple[str, int], dict]:
    ids = [item["tmdb_id"] for item in items]
    if not ids:
        return {}
    rows = await OverseerrRequest.filter(user_id=actor.user_id, tmdb_id__in=ids).order_by("id")
    return {(row.media_type, row.tmdb_id): {"id": row.id, "status": row.status} for row in rows}


# ---- requesting -------------------------------------------------------------------------------


async def make_request(
    core: Any, actor: Actor, media_type: str, tmdb_id: int, seasons: list[int] | None
) -> dict[str, Any]:
    plex_id = await people.plex_id_of(core, actor.user_id)
    await _refuse_recorded_duplicate(actor, media_type, tmdb_id, seasons)
    await core.limits.spend(BUDGET, str(actor.user_id))
    client = await overseerr(core)
    with service_errors():
        user = await people.overseerr_user(core, client, plex_id)
        people.check_may_request(user, media_type)
        details = await client.details(media_type, tmdb_id)
        if details is None:
            what = "movie" if media_type == "movie" else "show"
            raise NotFound(f"Overseerr knows no {what} with TMDB id {tmdb_id}")
        wanted = _left_to_request(details, media_type, seasons, user)
        await _check_quota(client, user, media_type, len(wanted or ()) or 1)
        created = await _create(client, user, media_type, tmdb_id, wanted, details)
    row, _ = await records.create(
        core, actor.user_id, created, media.details_summary(details, media_type)
    )
    await core.audit.record(
        "overseerr.request.created", actor=actor, target=f"overseerr_request:{row.id}",
        media_type=media_type, tmdb_id=tmdb_id,
    )  # fmt: skip
    return records.view(row, actor.username)


async def _refuse_recorded_duplicate(
    actor: Actor, media_type: str, tmdb_id: int, seasons: list[int] | None
) -> None:
    """409 at once when MediaNest's own record shows the title requested (every season asked
    for, for a show), without asking Overseerr."""
    rows = await OverseerrRequest.filter(
        media_type=media_type, tmdb_id=tmdb_id, status__in=models.BLOCKING
    ).order_by("id")
    if not rows:
        return
    if media_type == "tv":
        taken = {n for row in rows for n in row.seasons or ()}
        if seasons is None or not set(seasons) <= taken:
            return  # Overseerr knows which seasons are left
    row = rows[0]
    raise Conflict(
        _requested_already(row.title, row.status),
        details={"request": _existing(row, actor), "availability": _availability_of(row.status)},
    )


def _left_to_request(
    details: Mapping[str, Any], media_type: str, seasons: list[int] | None, user: OverseerrUser
) -> list[int] | None:
    """The seasons to ask for (None for a movie); 409 when the title is available or
    requested already, 422 for seasons the show does not have."""
    title = media.title_of(details)
    info = details.get("mediaInfo") or {}
    status = info.get("status")
    standing = [
        r for r in info.get("requests") or ()
        if isinstance(r, dict) and not r.get("is4k") and r.get("status") != RequestStatus.DECLINED
    ]  # fmt: skip
    if media_type == "movie":
        if status == MediaStatus.AVAILABLE or standing:
            raise _conflict(title, info, standing, user)
        return None
    numbers = {s.get("seasonNumber") for s in details.get("seasons") or () if isinstance(s, dict)}
    missing = sorted(set(seasons or ()) - numbers)
    if missing:
        raise ValidationFailed(
            f"{title} has no season {', '.join(map(str, missing))}",
            details={"fields": {"seasons": f"not seasons of this show: {missing}"}},
        )
    asked = seasons if seasons is not None else sorted(n for n in numbers if n and n > 0)
    taken = {n for r in standing for n in media.season_numbers(r)}
    taken |= {
        s["seasonNumber"] for s in info.get("seasons") or ()
        if isinstance(s, dict) and isinstance(s.get("seasonNumber"), int)
        and s.get("status") not in (None, MediaStatus.UNKNOWN)
    }  # fmt: skip
    left = [n for n in asked if n not in taken]
    if status == MediaStatus.AVAILABLE or not left:
        raise _conflict(title, info, standing, user, seasons=sorted(set(asked) & taken))
    return left


def _conflict(
    title: str,
    info: Mapping[str, Any],
    standing: list[dict[str, Any]],
    user: OverseerrUser,
    seasons: list[int] | None = None,
) -> Conflict:
    shown = media.availability(info)
    if shown == "available" or not standing:
        message = (
            f"{title} is already available on Plex"
            if shown == "available"
            else (f"{title} is already on its way")
        )
    else:
        message = _requested_already(title, media.request_status(standing[0]))
    existing = None
    if standing:
        first = standing[0]
        existing = {
            "id": first.get("id"),
            "status": media.request_status({**first, "media": info}),
            "seasons": media.season_numbers(first),
            "mine": (first.get("requestedBy") or {}).get("id") == user.id,
        }
    details: dict[str, Any] = {"availability": shown, "request": existing}
    if seasons is not None:
        details["seasons"] = seasons
    return Conflict(message, details=details)


def _requested_already(title: str, status: str) -> str:
    if status == models.AVAILABLE:
        return f"{title} is already available on Plex"
    return f"{title} has been requested already ({status})"


def _availability_of(status: str) -> str:
    return {models.AVAILABLE: "available", models.PARTLY: "partly", models.PENDING: "pending"}.get(
        status, "requested"
    )


def _existing(row: OverseerrRequest, actor: Actor) -> dict[str, Any]:
    """The request in the way: the caller's own in full, someone else's without who made it."""
    shown = records.view(row)
    shown.pop("user")
    return {**shown, "mine": str(row.user_id) == str(actor.user_id)}


async def _check_quota(client: Overseerr, user: OverseerrUser, media_type: str, count: int) -> None:
    """Overseerr's quota for the person, checked first so the refusal can say what it is."""
    quota = (await client.quota(user.id)).get(media_type) or {}
    limit = quota.get("limit") or 0
    if not limit:
        return
    remaining = quota.get("remaining", max(0, limit - (quota.get("used") or 0)))
    if quota.get("restricted") or remaining < count:
        what = "movies" if media_type == "movie" else "seasons"
        raise Forbidden(
            f"You've used your Overseerr quota: {limit} {what} every {quota.get('days')} days. "
            "An admin can raise it in Overseerr.",
            details={"reason": "overseerr_quota", "limit": limit, "days": quota.get("days"),
                     "used": quota.get("used")},
        )  # fmt: skip


async def _create(
    client: Overseerr,
    user: OverseerrUser,
    media_type: str,
    tmdb_id: int,
    seasons: list[int] | None,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    body: dict[str, Any] = {"mediaType": media_type, "mediaId": tmdb_id}
    if seasons is not None:
        body["seasons"] = seasons
    title = media.title_of(details)
    try:
        reply = await client.create_request(body, as_user=user.id)
    except ServiceResponseError as refused:
        if refused.status_code == 409:  # someone was quicker
            raise Conflict(f"{title} has been requested already") from None
        raise
    except ServiceAuthFailed:  # the key works (it just listed users): this person is refused
        raise Forbidden(
            f"Overseerr refused your request for {title}: check your permissions and quota there",
            details={"reason": "overseerr_refused"},
        ) from None
    if reply.response.status_code == 202:  # Overseerr: no seasons left to request
        raise Conflict(f"Every season of {title} you asked for is requested or available already")
    return reply.body


# ---- one's requests ---------------------------------------------------------------------------


async def list_requests(
    core: Any, actor: Actor, everyone: bool, offset: int, limit: int
) -> dict[str, Any]:
    """The caller's requests (admins asking for `everyone`: all), newest first."""
    query = OverseerrRequest.all() if everyone else OverseerrRequest.filter(user_id=actor.user_id)
    total = await query.count()
    rows = await query.order_by("-requested_at", "-id").offset(offset).limit(limit)
    return {"items": await records.views(core, rows), "total": total}


async def get_request(core: Any, actor: Actor, request_id: int) -> dict[str, Any]:
    """One request: the caller's own (an admin: anyone's); another's looks missing."""
    row = await OverseerrRequest.get_or_none(id=request_id)
    if row is None or (str(row.user_id) != str(actor.user_id) and not actor.is_admin):
        raise NotFound("No such request")
    return (await records.views(core, [row]))[0]
