"""Browsing Plex, mounted at `/api/plex`: libraries, items, collections, details and images.

Every route needs `plex.browse` and reaches Plex with the caller's own access, so a person
sees exactly what Plex shares with them. Answers are cached for a few seconds per person and
request (`cache_seconds`), so repeat views cost Plex nothing. Plex unreachable → 503
`SERVICE_UNAVAILABLE` with `details.service = "plex"`, within the connection's timeout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Literal, TypeVar

from medianest.auth.policy import requires
from medianest.errors import NotFound, ok
from pydantic import BaseModel, Field, field_validator
from quart import Blueprint, Response, current_app, g
from quart_schema import validate_querystring

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


def _core() -> Any:
    return current_app.extensions["medianest"]


async def _browse(key: tuple[Hashable, ...], fetch: Callable[[PlexServer], Awaitable[T]]) -> T:
    """`fetch` with the caller's own Plex access, cached per caller and request."""
    core = _core()
    user_id = g.actor.user_id
    ttl = (await plugin_settings(core)).cache_seconds

    async def load() -> T:
        return await fetch(await user_server(core, user_id))

    with api_errors():
        return await runtime(core).browse_cache.get_or_fetch((user_id, *key), load, ttl)


@blueprint.get("/libraries")
@requires(BROWSE)
async def libraries():
    """The libraries Plex shares with you, with their item counts."""
    found = await _browse(("libraries",), library.libraries)
    return ok({"items": found, "total": len(found)})


@blueprint.get("/library/<int:library_id>/items")
@requires(BROWSE)
@validate_querystring(ItemsQuery)
async def library_items(library_id: int, query_args: ItemsQuery):
    """One page of a library's items (at most 100), sorted, optionally filtered by title."""
    q = query_args
    page = await _browse(
        ("items", library_id, q.offset, q.limit, q.sort, q.q),
        lambda server: library.items(
            server, library_id, offset=q.offset, limit=q.limit, sort=q.sort, query=q.q
        ),
    )
    return ok(page)


@blueprint.get("/collections")
@requires(BROWSE)
@validate_querystring(CollectionsQuery)
async def collections(query_args: CollectionsQuery):
    """One page of collections, of one library or of all of yours."""
    q = query_args
    page = await _browse(
        ("collections", q.library, q.offset, q.limit),
        lambda server: library.collections(server, q.library, offset=q.offset, limit=q.limit),
    )
    return ok(page)


@blueprint.get("/items/<int:rating_key>")
@requires(BROWSE)
async def item_details(rating_key: int):
    """One item's details (and its first seasons, episodes, albums or tracks)."""
    found = await _browse(("item", rating_key), lambda server: library.details(server, rating_key))
    if found is None:
        raise NotFound("No such item")
    return ok(found)


@blueprint.get("/image")
@requires(BROWSE)
@validate_querystring(ImageQuery)
async def image(query_args: ImageQuery):
    """A Plex image through MediaNest (resized by Plex when width or height is given)."""
    core = _core()
    q = query_args
    with api_errors():
        server = await user_server(core, g.actor.user_id)
        upstream = await server.image(q.path, width=q.width, height=q.height)
    content_type = upstream.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise NotFound("No such image")  # never relay anything but a raster image
    return Response(
        upstream.content, content_type=content_type, headers={"Cache-Control": IMAGE_CACHE}
    )
