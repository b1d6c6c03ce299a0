"""Browsing Plex, mounted at `/api/plex`: libraries, items, collections, details and images.

Every route needs `plex.browse` and reaches Plex with the caller's own access, so a person
sees exactly what Plex shares with them. Answers are cached for a few seconds per person and
request (`cache_seconds`), so repeat views cost Plex nothing. Plex unreachable → 503
`SERVICE_UNAVAILABLE` with `details.service = "plex"`, within the connection's timeout.

The `fetch_*` functions are what the routes answer; the browse pages (`pages`) call them too,
so a page and the API share one cache entry for the same person and request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, field_validator
from quart import Blueprint, Response
from quart_schema import validate_querystring

from medianest.sdk import NotFound, counted_as, current_actor, current_core, ok, requires
from medianest_plex import library
from medianest_plex.access import api_errors, runtime, user_server
from medianest_plex.client import PlexServer
from medianest_plex.config import plugin_settings

blueprint = Blueprint("plex", __name__)

BROWSE = "plex.browse"
MAX_LIMIT = 100
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
IMAGE_CACHE = "private, max-age=86400"  # artwork paths carry a timestamp: a new image is a new URL
MAX_IMAGE_SIDE = 2000
T = TypeVar("T")

SortName = Literal["title", "-title", "added_at", "-added_at", "year", "-year"]


class Paging(BaseModel):
    offset: int = Field(default=0, ge=0, le=100_000_000)
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)


class ItemsQuery(Paging):
    sort: SortName = "title"
    q: str | None = Field(default=None, min_length=1, max_length=100, description="title contains")


class CollectionsQuery(Paging):
    library: int | None = Field(
        default=None, ge=1, description="a library id; all libraries when absent"
    )


class ImageQuery(BaseModel):
    path: str = Field(
        max_length=200,
        description="a Plex-relative image path, e.g. /library/metadata/1/thumb/1700000000",
    )
    width: int | None = Field(default=None, ge=1, le=MAX_IMAGE_SIDE)
    height: int | None = Field(default=None, ge=1, le=MAX_IMAGE_SIDE)

    @field_validator("path")
    @classmethod
    def _plex_image_path(cls, path: str) -> str:
        if not library.is_image_path(path):
            raise ValueError("must be a Plex image path such as /library/metadata/<id>/thumb/<n>")
        return path


def _user_id() -> str:
    actor = current_actor()
    assert actor is not None  # every route here needs a permission: someone is signed in
    return actor.user_id


async def browse(key: tuple[Hashable, ...], fetch: Callable[[PlexServer], Awaitable[T]]) -> T:
    """`fetch` with the caller's own Plex access, cached per caller and request.

    Raises the API's errors (`api_errors`): 503 when Plex is down, 403 without Plex access.
    The cached value is shared between requests: callers must not change it.
    """
    core = current_core()
    user_id = _user_id()
    ttl = (await plugin_settings(core)).cache_seconds

    async def load() -> T:
        return await fetch(await user_server(core, user_id))

    with api_errors():
        return await runtime(core).browse_cache.get_or_fetch((user_id, *key), load, ttl)


async def fetch_libraries() -> list[dict[str, Any]]:
    return await browse(("libraries",), library.libraries)


async def fetch_items(
    library_id: int, *, offset: int, limit: int, sort: str, query: str | None
) -> dict[str, Any]:
    return await browse(
        ("items", library_id, offset, limit, sort, query),
        lambda server: library.items(
            server, library_id, offset=offset, limit=limit, sort=sort, query=query
        ),
    )


async def fetch_collections(library_id: int | None, *, offset: int, limit: int) -> dict[str, Any]:
    return await browse(
        ("collections", library_id, offset, limit),
        lambda server: library.collections(server, library_id, offset=offset, limit=limit),
    )


async def fetch_details(rating_key: int) -> dict[str, Any]:
    """One item's details; NotFound when the caller's Plex has no such item."""
    found = await browse(("item", rating_key), lambda server: library.details(server, rating_key))
    if found is None:
        raise NotFound("No such item")
    return found


@blueprint.get("/libraries")
@requires(BROWSE)
async def libraries():
    """The libraries Plex shares with you, with their item counts."""
    found = await fetch_libraries()
    return ok({"items": found, "total": len(found)})


@blueprint.get("/library/<int:library_id>/items")
@requires(BROWSE)
@validate_querystring(ItemsQuery)
async def library_items(library_id: int, query_args: ItemsQuery):
    """One page of a library's items (at most 100), sorted, optionally filtered by title."""
    q = query_args
    page = await fetch_items(library_id, offset=q.offset, limit=q.limit, sort=q.sort, query=q.q)
    return ok(page)


@blueprint.get("/collections")
@requires(BROWSE)
@validate_querystring(CollectionsQuery)
async def collections(query_args: CollectionsQuery):
    """One page of collections, of one library or of all of yours."""
    q = query_args
    return ok(await fetch_collections(q.library, offset=q.offset, limit=q.limit))


@blueprint.get("/items/<int:rating_key>")
@requires(BROWSE)
async def item_details(rating_key: int):
    """One item's details (and its first seasons, episodes, albums or tracks)."""
    return ok(await fetch_details(rating_key))


@blueprint.get("/image")
@requires(BROWSE)
@counted_as("images")  # a library page shows dozens of posters: not the API budget
@validate_querystring(ImageQuery)
async def image(query_args: ImageQuery):
    """A Plex image through MediaNest (resized by Plex when width or height is given)."""
    core = current_core()
    q = query_args
    with api_errors():
        server = await user_server(core, _user_id())
        upstream = await server.image(q.path, width=q.width, height=q.height)
    content_type = upstream.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise NotFound("No such image")  # never relay anything but a raster image
    return Response(
        upstream.content, content_type=content_type, headers={"Cache-Control": IMAGE_CACHE}
    )
