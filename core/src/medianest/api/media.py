"""`/api/media`: search and request movies and shows through the enabled request provider.

The core owns these routes (SPEC §3): it decides who may call, validates the input and keeps
the envelope; the first active plugin that offers a `RequestProvider` does the rest. With none
active every route answers 503 `SERVICE_UNAVAILABLE` saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from quart import Blueprint, current_app, g
from quart_schema import validate_querystring, validate_request

from medianest.auth.policy import requires, signed_in
from medianest.errors import Forbidden, ServiceUnavailable, ValidationFailed, ok

if TYPE_CHECKING:
    from medianest.core import Core

blueprint = Blueprint("media", __name__, url_prefix="/api/media")
MAX_PAGE_SIZE = 100
NO_PROVIDER = "Requests are not set up: an admin can enable a request service in Admin → Plugins"


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=200)
    type: Literal["all", "movie", "tv"] = "all"
    page: int = Field(default=1, ge=1, le=500)


class NewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    media_type: Literal["movie", "tv"]
    tmdb_id: int = Field(ge=1, le=2**31 - 1)
    seasons: list[int] | None = Field(
        default=None, max_length=100, description="TV only; omitted: all"
    )

    @field_validator("seasons")
    @classmethod
    def _distinct_seasons(cls, seasons: list[int] | None) -> list[int] | None:
        if seasons is None:
            return None
        if not seasons or any(number < 0 or number > 1000 for number in seasons):
            raise ValueError("seasons are season numbers from 0 to 1000, at least one")
        return sorted(set(seasons))


class RequestsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    all: bool = False
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)


def _provider() -> Any:
    core: Core = current_app.extensions["medianest"]
    provider = core.request_provider()
    if provider is None:
        raise ServiceUnavailable("media_requests", NO_PROVIDER, reason="no_provider")
    return core, provider


@blueprint.get("/search")
@requires("media.request")
@validate_querystring(SearchQuery)
async def search(query_args: SearchQuery):
    """Movies and shows matching `q`, with whether each is available or requested already."""
    core, provider = _provider()
    return ok(await provider.search(core, g.actor, query_args.q, query_args.type, query_args.page))


@blueprint.post("/request")
@requires("media.request")
@validate_request(NewRequest)
async def create_request(data: NewRequest):
    """Request a movie, or a show (all seasons, or the ones named); 409 when requested already."""
    if data.media_type == "movie" and data.seasons is not None:
        raise ValidationFailed(details={"fields": {"seasons": "a movie has no seasons"}})
    core, provider = _provider()
    created = await provider.request(core, g.actor, data.media_type, data.tmdb_id, data.seasons)
    return ok(created, status=201)


@blueprint.get("/requests")
@signed_in
@validate_querystring(RequestsQuery)
async def list_requests(query_args: RequestsQuery):
    """Your requests, newest first, status kept in sync (admins: `?all=true` for everyone's)."""
    if query_args.all and not g.actor.is_admin:
        raise Forbidden("Only admins may list everyone's requests")
    core, provider = _provider()
    page = await provider.list_requests(
        core, g.actor, query_args.all, query_args.offset, query_args.limit
    )
    return ok({**page, "offset": query_args.offset, "limit": query_args.limit})


@blueprint.get("/requests/<int(max=2147483647):request_id>")
@signed_in
async def get_request(request_id: int):
    """One of your requests (an admin may read anyone's)."""
    core, provider = _provider()
    return ok(await provider.get_request(core, g.actor, request_id))
