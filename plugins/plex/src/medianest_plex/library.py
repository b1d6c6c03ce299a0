"""What browsing shows: Plex's libraries, items and collections in MediaNest's own shape.

Every list is one page asked of Plex (never a whole section). Images are rewritten to the
image proxy, so a browser never talks to Plex and never needs a Plex token; an image path
the proxy would refuse is dropped instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from medianest.sdk import ServiceError
from medianest_plex.client import Page, PlexServer

#: Plex-relative image paths the proxy serves: item and collection artwork, Plex's own icons.
IMAGE_PATH = re.compile(
    r"/library/metadata/[0-9]{1,12}/(?:thumb|art)/[0-9]{1,12}"
    r"|/library/collections/[0-9]{1,12}/(?:composite|thumb|art)/[0-9]{1,12}"
    r"|/:/resources/[A-Za-z0-9_-]{1,64}\.(?:png|jpe?g)"
)
IMAGE_ROUTE = "/api/plex/image"
# Of the characters IMAGE_PATH admits, the ones a query value escapes: `urlencode`'s output for
# a checked path, at a fraction of its cost (a page shows a hundred images).
IMAGE_PATH_ESCAPES = str.maketrans({"/": "%2F", ":": "%3A"})
#: The API's sort names → Plex's `sort` parameter.
SORTS = {
    "title": "titleSort:asc",
    "-title": "titleSort:desc",
    "added_at": "addedAt:asc",
    "-added_at": "addedAt:desc",
    "year": "year:asc",
    "-year": "year:desc",
}
LIST_SUMMARY_CHARS = 300
DETAIL_CHILDREN = 100
COUNT_CONCURRENCY = 4


def is_image_path(path: str) -> bool:
    return IMAGE_PATH.fullmatch(path) is not None


def image_url(path: Any) -> str | None:
    """The proxy URL for a Plex image path, or None when the proxy would refuse the path."""
    if not isinstance(path, str) or not is_image_path(path):
        return None
    return f"{IMAGE_ROUTE}?path={path.translate(IMAGE_PATH_ESCAPES)}"


def iso_time(epoch: Any) -> str | None:
    if isinstance(epoch, int | float) and epoch > 0:
        return datetime.fromtimestamp(epoch, UTC).isoformat()
    return None


def _tags(entry: Mapping[str, Any], key: str) -> list[str]:
    return [
        str(tag["tag"]) for tag in entry.get(key) or () if isinstance(tag, dict) and tag.get("tag")
    ]


# ---- views ----------------------------------------------------------------------------------


def library_view(section: Mapping[str, Any], count: int | None) -> dict[str, Any]:
    return {
        "id": str(section.get("key")),
        "title": section.get("title"),
        "type": section.get("type"),
        "thumb": image_url(section.get("thumb")),
        "count": count,
        "updated_at": iso_time(section.get("updatedAt")),
    }


def item_view(
    entry: Mapping[str, Any], *, summary_chars: int | None = LIST_SUMMARY_CHARS
) -> dict[str, Any]:
    summary = str(entry.get("summary") or "")
    if summary_chars is not None and len(summary) > summary_chars:
        summary = summary[: summary_chars - 1].rstrip() + "…"
    return {
        "rating_key": str(entry.get("ratingKey")),
        "type": entry.get("type"),
        "title": entry.get("title"),
        "year": entry.get("year"),
        "summary": summary,
        "thumb": image_url(entry.get("thumb")),
        "art": image_url(entry.get("art")),
        "duration_ms": entry.get("duration"),
        "added_at": iso_time(entry.get("addedAt")),
        "index": entry.get("index"),
        "parent_title": entry.get("parentTitle"),
        "grandparent_title": entry.get("grandparentTitle"),
        "child_count": entry.get("childCount"),
        "leaf_count": entry.get("leafCount"),
    }


def collection_view(entry: Mapping[str, Any], library_id: str | None = None) -> dict[str, Any]:
    return {
        "id": str(entry.get("ratingKey")),
        "title": entry.get("title"),
        "library_id": str(entry.get("librarySectionID") or library_id or "") or None,
        "subtype": entry.get("subtype"),
        "child_count": entry.get("childCount"),
        "smart": bool(entry.get("smart")),
        "thumb": image_url(entry.get("thumb")),
        "updated_at": iso_time(entry.get("updatedAt")),
    }


def details_view(entry: Mapping[str, Any], children: Page | None) -> dict[str, Any]:
    view = item_view(entry, summary_chars=None)
    view |= {
        "library_id": str(entry["librarySectionID"]) if entry.get("librarySectionID") else None,
        "library_title": entry.get("librarySectionTitle"),
        "originally_available_at": entry.get("originallyAvailableAt"),
        "content_rating": entry.get("contentRating"),
        "studio": entry.get("studio"),
        "genres": _tags(entry, "Genre"),
        "collections": [
            {"id": str(tag.get("id")), "title": tag.get("tag")}
            for tag in entry.get("Collection") or ()
            if isinstance(tag, dict)
        ],
    }
    if children is not None:
        view["children"] = [item_view(child) for child in children.items]
        view["children_total"] = children.total
    return view


# ---- fetching -----------------------------------------------------------------------------


async def libraries(server: PlexServer) -> list[dict[str, Any]]:
    """The sections this token sees, each with its item count (None when Plex cannot count now)."""
    sections = await server.sections()
    gate = asyncio.Semaphore(COUNT_CONCURRENCY)

    async def count(section: Mapping[str, Any]) -> int | None:
        async with gate:
            try:
                return await server.count(f"/library/sections/{section.get('key')}/all")
            except ServiceError:
                return None  # a huge music section may be slow to count: the list still answers

    counts = await asyncio.gather(*(count(section) for section in sections))
    return [library_view(section, n) for section, n in zip(sections, counts, strict=True)]


async def items(
    server: PlexServer, library_id: int, *, offset: int, limit: int, sort: str, query: str | None
) -> dict[str, Any]:
    params = {"sort": SORTS[sort]}
    if query:
        params["title"] = query
    page = await server.page(
        f"/library/sections/{library_id}/all", offset=offset, size=limit, params=params
    )
    return {
        "items": [item_view(entry) for entry in page.items],
        "total": page.total,
        "offset": offset,
        "limit": limit,
    }


async def collections(
    server: PlexServer, library_id: int | None, *, offset: int, limit: int
) -> dict[str, Any]:
    """One page of collections: of one library, or of every library this token sees, in order."""
    if library_id is not None:
        page = await server.page(
            f"/library/sections/{library_id}/collections", offset=offset, size=limit
        )
        shown = [collection_view(entry, str(library_id)) for entry in page.items]
        return {"items": shown, "total": page.total, "offset": offset, "limit": limit}
    section_ids = [str(section.get("key")) for section in await server.sections()]
    totals = await asyncio.gather(
        *(server.count(f"/library/sections/{sid}/collections") for sid in section_ids)
    )
    views: list[dict[str, Any]] = []
    start = 0  # where each library's collections begin in the combined list
    for section_id, total in zip(section_ids, totals, strict=True):
        wanted_from, wanted_to = max(offset, start), min(offset + limit, start + total)
        if wanted_from < wanted_to:
            page = await server.page(
                f"/library/sections/{section_id}/collections",
                offset=wanted_from - start,
                size=wanted_to - wanted_from,
            )
            views += [collection_view(entry, section_id) for entry in page.items]
        start += total
    return {"items": views, "total": start, "offset": offset, "limit": limit}


async def details(server: PlexServer, rating_key: int) -> dict[str, Any] | None:
    """One item with its details, and its first children (seasons, episodes, albums, tracks)."""
    entry = await server.metadata(str(rating_key))
    if entry is None:
        return None
    children = None
    if entry.get("type") in ("show", "season", "artist", "album"):
        children = await server.page(
            f"/library/metadata/{rating_key}/children", offset=0, size=DETAIL_CHILDREN
        )
    elif entry.get("type") == "collection":
        children = await server.page(
            f"/library/collections/{rating_key}/children", offset=0, size=DETAIL_CHILDREN
        )
    return details_view(entry, children)
