"""MediaNest's record of requests (`overseerr_requests`): saving, updating and telling people.

Every change of a request's state goes through `apply`, whoever noticed it (the webhook, the
sync job, an admin's decision here): the row changes, the requester gets a `notification` on
`/ws/status`, and `request:status` goes to their pages' socket and to the admins'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from medianest_overseerr import downloads, media, models
from medianest_overseerr.access import runtime
from medianest_overseerr.models import OverseerrRequest

STATUS_EVENT = "request:status"
MINE_TOPIC = "overseerr:requests"  # each person's own requests (events carry their user id)
ADMIN_TOPIC = "overseerr:admin"  # every request, for admins' pages

NEWS = {  # status → (toast title, message, level); pending is nobody's news
    models.APPROVED: ("Request approved", "{title} was approved: it's on its way.", "success"),
    models.PARTLY: ("Partly available", "Part of {title} is ready to watch.", "success"),
    models.AVAILABLE: ("Ready to watch", "{title} is ready to watch on Plex.", "success"),
    models.DECLINED: ("Request declined", "{title} was declined.", "warning"),
    models.FAILED: (
        "Request failed",
        "Overseerr couldn't process your request for {title}.",
        "error",
    ),
    models.DELETED: (
        "Request removed",
        "Your request for {title} was removed in Overseerr.",
        "info",
    ),
}


def view(row: OverseerrRequest, username: str | None = None) -> dict[str, Any]:
    """A request as the API answers it."""
    data = {
        "id": row.id,
        "type": row.media_type,
        "tmdb_id": row.tmdb_id,
        "title": row.title,
        "year": row.year,
        "poster": media.poster_url(row.poster_path),
        "status": row.status,
        "seasons": list(row.seasons or []),
        "requested_at": row.requested_at.isoformat(),
        "changed_at": row.changed_at.isoformat(),
        "user": {"id": str(row.user_id), "username": username},
    }
    return data


async def views(core: Any, rows: Iterable[OverseerrRequest]) -> list[dict[str, Any]]:
    """`view` for each row, with each requester's username (one look-up per person) and, while
    a plugin offers download progress, each request's `download`."""
    rows = list(rows)
    names: dict[str, str | None] = {}
    for user_id in {str(row.user_id) for row in rows}:
        user = await core.users.get(user_id)
        names[user_id] = user.username if user is not None else None
    items = [view(row, names[str(row.user_id)]) for row in rows]
    await downloads.attach(core, items)
    return items


async def create(
    core: Any,
    user_id: Any,
    request: Mapping[str, Any],
    summary: Mapping[str, Any],
) -> tuple[OverseerrRequest, bool]:
    """Save a request Overseerr answered with (`summary`: title, year, poster path); returns
    the row and whether it is new. The webhook may have saved it a moment before: then that
    row is brought up to date instead."""
    now = datetime.now(UTC)
    values = {
        "user_id": user_id,
        "overseerr_user_id": int((request.get("requestedBy") or {}).get("id") or 0),
        "media_type": str(request.get("type") or (request.get("media") or {}).get("mediaType")),
        "tmdb_id": int((request.get("media") or {}).get("tmdbId") or 0),
        "status": media.request_status(request),
        "seasons": media.season_numbers(request),
        "requested_at": media.overseerr_time(request.get("createdAt")),
        "changed_at": now,
        **summary,
    }
    try:
        row = await OverseerrRequest.create(id=int(request["id"]), **values)
    except IntegrityError:
        existing = await OverseerrRequest.get(id=int(request["id"]))
        await apply(core, existing, request)
        return existing, False
    await announce(core, row, before=None)
    return row, True


async def apply(core: Any, row: OverseerrRequest, request: Mapping[str, Any] | None) -> bool:
    """Bring a row up to date with Overseerr's request (None: Overseerr has it no more);
    whether its status changed."""
    status = media.request_status(request) if request is not None else models.DELETED
    seasons = media.season_numbers(request) if request is not None else list(row.seasons or [])
    if status == row.status and seasons == list(row.seasons or []):
        return False
    before = row.status
    changed = await OverseerrRequest.filter(id=row.id, status=before).update(
        status=status, seasons=seasons, changed_at=datetime.now(UTC)
    )
    if not changed:  # another instance (or the webhook and the sync) got there first
        return False
    await row.refresh_from_db()
    if status != before:
        await announce(core, row, before=before)
    return status != before


async def announce(core: Any, row: OverseerrRequest, *, before: str | None) -> None:
    """Tell the requester (a toast, when it is news to them) and every page that shows it."""
    runtime(core).searches.clear()  # search answers carry availability
    shown = view(row)
    user_id = str(row.user_id)
    change = {"request": shown, "before": before}
    await core.publish(STATUS_EVENT, change, user_id=user_id, topic=MINE_TOPIC)
    await core.publish(STATUS_EVENT, change, topic=ADMIN_TOPIC)
    news = NEWS.get(row.status) if before is not None else None
    if news is not None:
        title, message, level = news
        name = f"“{row.title}”" + (f" ({row.year})" if row.year else "")
        await core.publish(
            "notification",
            {
                "title": title,
                "message": message.format(title=name),
                "level": level,
                "plugin": "overseerr",
                "request_id": row.id,
                "status": row.status,
                "url": "/overseerr/requests",
            },
            user_id=user_id,
        )
