"""The stand-in's HTTP surface: Overseerr's `/api/v1` routes and its `/imageproxy`.

Checks run in Overseerr's order: an unknown path (404) and missing credentials (401) come from
its OpenAPI validator, then a bad parameter (400), then the route's permission (403).
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from quart import Quart, Response, g, jsonify, request

from medianest.testing.standin import colour_for, solid_png
from medianest_overseerr.testing import _catalog
from medianest_overseerr.testing._catalog import GENRES, Movie, Person, Show, Title
from medianest_overseerr.testing._model import (
    MediaRequest,
    MediaStatus,
    Permission,
    RequestStatus,
    User,
    media_json,
    request_json,
    user_json,
)
from medianest_overseerr.testing._webhook import WebhookSettings
from medianest_overseerr.testing.fake import OverseerrError, page_info

if TYPE_CHECKING:
    from medianest_overseerr.testing.fake import FakeOverseerr

API = "/api/v1"
SEARCH_PAGE_SIZE = 20  # TMDB's
REQUEST_FILTERS = ("all", "approved", "available", "pending", "processing", "unavailable", "failed")
USER_SORTS = ("created", "updated", "requests", "displayname")
NO_PERMISSION = {"status": 403, "error": "You do not have permission to access this endpoint"}


def build_app(fake: FakeOverseerr) -> Quart:
    app = Quart(__name__)
    # keep Overseerr's field order (quart's provider has it; its stub does not)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    lock = fake._lock

    @app.before_request
    async def authenticate() -> Response | tuple[Response, int] | None:
        """`checkUser`: the API key acts as user 1, or as the user `X-API-User` names."""
        g.user = None
        if (
            request.url_rule is None
            or request.path in (f"{API}/status",)
            or not request.path.startswith(API)
        ):
            return None
        key = request.headers.get("X-Api-Key")
        if key is None and "connect.sid" not in request.cookies:
            message = "cookie 'connect.sid' required"
            return jsonify(
                {"message": message, "errors": [{"path": request.path, "message": message}]}
            ), 401
        if key is not None and secrets.compare_digest(key.encode(), fake.api_key.encode()):
            g.user = fake.user(_acting_user_id(request.headers.get("X-API-User")))
        if g.user is None:
            return jsonify(NO_PERMISSION), 403
        return None

    @app.errorhandler(OverseerrError)
    async def refused(error: OverseerrError) -> tuple[Response, int]:
        body: dict[str, Any] = {"message": error.message}
        if error.errors:
            body["errors"] = error.errors
        return jsonify(body), error.status

    @app.errorhandler(404)
    async def not_found(_: Exception) -> tuple[Response, int]:
        return jsonify(
            {"message": "not found", "errors": [{"path": request.path, "message": "not found"}]}
        ), 404

    @app.errorhandler(405)
    async def not_allowed(_: Exception) -> tuple[Response, int]:
        message = f"{request.method} method not allowed"
        return jsonify(
            {"message": message, "errors": [{"path": request.path, "message": message}]}
        ), 405

    # ----- public, auth ----------------------------------------------------------------
    @app.get(f"{API}/status")
    async def status() -> Response:
        return jsonify(
            {
                "version": fake.version,
                "commitTag": f"v{fake.version}",
                "updateAvailable": False,
                "commitsBehind": 0,
                "restartRequired": False,
            }
        )

    @app.get(f"{API}/auth/me")
    async def me() -> Response:
        with lock:
            return jsonify(user_json(g.user))

    # ----- TMDB ----------------------------------------------------------------------------
    @app.get(f"{API}/search")
    async def search() -> Response:
        query = request.args.get("query")
        if query is None:
            raise _invalid("query", "request/query must have required property 'query'")
        page = _query_number("page", 1)
        with lock:
            found = _search(fake, query.strip().lower())
            start = (page - 1) * SEARCH_PAGE_SIZE
            results = [_result(fake, item) for item in found[start : start + SEARCH_PAGE_SIZE]]
        return jsonify(
            {
                "page": page,
                "totalPages": max(1, math.ceil(len(found) / SEARCH_PAGE_SIZE)),
                "totalResults": len(found),
                "results": results,
            }
        )

    @app.get(f"{API}/movie/<movie_id>")
    async def movie(movie_id: str) -> Response:
        tmdb_id = _path_number("movieId", movie_id)
        with lock:
            title = fake.title("movie", tmdb_id)
            if not isinstance(title, Movie):
                raise OverseerrError(500, "Unable to retrieve movie.")
            return jsonify(_movie_details(fake, title))

    @app.get(f"{API}/tv/<tv_id>")
    async def tv(tv_id: str) -> Response:
        tmdb_id = _path_number("tvId", tv_id)
        with lock:
            title = fake.title("tv", tmdb_id)
            if not isinstance(title, Show):
                raise OverseerrError(500, "Unable to retrieve series.")
            return jsonify(_tv_details(fake, title))

    # ----- requests ------------------------------------------------------------------------
    @app.get(f"{API}/request")
    async def list_requests() -> Response:
        take, skip = _query_number("take", 10) or 10, _query_number("skip", 0)
        requested_by = _query_number("requestedBy", None)
        wanted = _query_enum("filter", REQUEST_FILTERS) or "all"
        sort = _query_enum("sort", ("added", "modified")) or "added"
        user: User = g.user
        with lock:
            chosen = [r for r in fake.requests if _matches_filter(r, wanted)]
            if not user.can(Permission.MANAGE_REQUESTS, Permission.REQUEST_VIEW, any_of=True):
                if requested_by and requested_by != user.id:
                    raise OverseerrError(
                        403, "You do not have permission to view this user's requests."
                    )
                requested_by = user.id
            if requested_by:
                chosen = [r for r in chosen if r.requested_by.id == requested_by]
            order: Callable[[MediaRequest], Any] = (
                (lambda r: (r.updated_at, r.id)) if sort == "modified" else (lambda r: r.id)
            )
            chosen.sort(key=order, reverse=True)
            page = [request_json(r) for r in chosen[skip : skip + take]]
            return jsonify({"pageInfo": page_info(len(chosen), take, skip), "results": page})

    @app.post(f"{API}/request")
    async def create_request() -> tuple[Response, int]:
        body = _request_body(await request.get_json(silent=True))
        made = fake.request(
            g.user,
            body["mediaType"],
            int(body["mediaId"]),
            seasons=body.get("seasons"),
            is4k=bool(body.get("is4k", False)),
            on_behalf_of=body.get("userId"),
        )
        with lock:
            return jsonify(request_json(made)), 201

    @app.get(f"{API}/request/count")
    async def count_requests() -> Response:
        with lock:
            everything = fake.requests

        def counted(**where: Any) -> int:
            return sum(1 for r in everything if all(test(r) for test in where.values()))

        def approved(r: Any) -> bool:
            return r.status == RequestStatus.APPROVED

        def in_library(r: Any) -> bool:
            return r.media.status_for(r.is4k) == MediaStatus.AVAILABLE

        return jsonify(
            {
                "total": len(everything),
                "movie": counted(t=lambda r: r.type == "movie"),
                "tv": counted(t=lambda r: r.type == "tv"),
                "pending": counted(s=lambda r: r.status == RequestStatus.PENDING),
                "approved": counted(s=approved),
                "declined": counted(s=lambda r: r.status == RequestStatus.DECLINED),
                "processing": counted(s=approved, m=lambda r: not in_library(r)),
                "available": counted(s=approved, m=in_library),
            }
        )

    @app.get(f"{API}/request/<request_id>")
    async def get_request(request_id: str) -> Response:
        user: User = g.user
        with lock:
            found = fake.get_request(_loose_number(request_id))
            if found is None:
                raise OverseerrError(404, "Request not found.")
            if found.requested_by.id != user.id and not user.can(
                Permission.MANAGE_REQUESTS, Permission.REQUEST_VIEW, any_of=True
            ):
                raise OverseerrError(403, "You do not have permission to view this request.")
            return jsonify(request_json(found))

    @app.post(f"{API}/request/<request_id>/<action>")
    async def decide(request_id: str, action: str) -> Response | tuple[Response, int]:
        if action not in ("approve", "decline"):
            raise _invalid(
                "params/status",
                "request/params/status must be equal to one of the allowed values: approve, "
                "decline",
            )
        if not g.user.can(Permission.MANAGE_REQUESTS):
            return jsonify(NO_PERMISSION), 403
        decision = fake.approve if action == "approve" else fake.decline
        changed = decision(_loose_number(request_id), by=g.user)
        with lock:
            return jsonify(request_json(changed))

    @app.delete(f"{API}/request/<request_id>")
    async def delete_request(request_id: str) -> tuple[str, int]:
        fake.delete_request(_loose_number(request_id), by=g.user)
        return "", 204

    # ----- users ---------------------------------------------------------------------------
    @app.get(f"{API}/user")
    async def list_users() -> Response:
        take, skip = _query_number("take", 10) or 10, _query_number("skip", 0)
        sort = _query_enum("sort", USER_SORTS) or "created"
        private = g.user.can(Permission.MANAGE_USERS)
        with lock:
            users = fake.users
            counts = {
                u.id: sum(1 for r in fake.requests if r.requested_by.id == u.id) for u in users
            }
            orders: dict[str, Callable[[User], Any]] = {
                "created": lambda u: u.id,
                "updated": lambda u: (-u.updated_at.timestamp(), u.id),
                "requests": lambda u: (-counts[u.id], u.id),
                "displayname": lambda u: u.display_name.lower(),
            }
            users.sort(key=orders[sort])
            page = [
                user_json(u, private=private) | {"requestCount": counts[u.id]}
                for u in users[skip : skip + take]
            ]
            return jsonify({"pageInfo": page_info(len(users), take, skip), "results": page})

    @app.post(f"{API}/user/import-from-plex")
    async def import_from_plex() -> Response | tuple[Response, int]:
        if not g.user.can(Permission.MANAGE_USERS):
            return jsonify(NO_PERMISSION), 403
        body = await request.get_json(silent=True)
        plex_ids = None
        if isinstance(body, dict) and "plexIds" in body:
            plex_ids = body["plexIds"]
            bad = next((i for i, v in enumerate(plex_ids or []) if not isinstance(v, str)), None)
            if not isinstance(plex_ids, list) or bad is not None:
                where = "plexIds" if bad is None else f"plexIds/{bad}"
                raise _invalid(
                    f"body/{where}",
                    f"request/body/{where} must be {'array' if bad is None else 'string'}",
                )
        created = fake.import_from_plex(plex_ids)
        with lock:
            return jsonify([user_json(u, private=False) for u in created]), 201

    @app.get(f"{API}/user/<user_id>")
    async def get_user(user_id: str) -> Response:
        with lock:
            found = fake.user(_path_number("userId", user_id))
            if found is None:
                raise OverseerrError(404, "User not found.")
            return jsonify(user_json(found, private=g.user.can(Permission.MANAGE_USERS)))

    @app.get(f"{API}/user/<user_id>/quota")
    async def user_quota(user_id: str) -> Response:
        wanted = _path_number("userId", user_id)
        user: User = g.user
        if wanted != user.id and not user.can(Permission.MANAGE_USERS, Permission.MANAGE_REQUESTS):
            raise OverseerrError(
                403, "You do not have permission to view this user's request limits."
            )
        if fake.user(wanted) is None:
            raise OverseerrError(404, 'Could not find any entity of type "User" matching the query')
        return jsonify(fake.quota(wanted))

    # ----- webhook agent -------------------------------------------------------------------
    @app.get(f"{API}/settings/notifications/webhook")
    async def webhook_settings() -> Response | tuple[Response, int]:
        if not g.user.can(Permission.ADMIN):
            return jsonify(NO_PERMISSION), 403
        with lock:
            return jsonify(fake.webhook.shown())

    @app.post(f"{API}/settings/notifications/webhook")
    async def save_webhook_settings() -> Response | tuple[Response, int]:
        if not g.user.can(Permission.ADMIN):
            return jsonify(NO_PERMISSION), 403
        settings = _webhook_body(await request.get_json(silent=True))
        with lock:
            fake.webhook = settings
            return jsonify(settings.stored())

    @app.post(f"{API}/settings/notifications/webhook/test")
    async def test_webhook() -> tuple[str | Response, int]:
        if not g.user.can(Permission.ADMIN):
            return jsonify(NO_PERMISSION), 403
        settings = _webhook_body(await request.get_json(silent=True))
        if not await fake.send_test_notification(settings, g.user):
            raise OverseerrError(500, "Failed to send webhook notification.")
        return "", 204

    # ----- images --------------------------------------------------------------------------
    @app.get("/imageproxy/<path:image>")
    async def image(image: str) -> Response:
        """Overseerr's TMDB image cache (`/imageproxy/t/p/{size}/{file}`): a PNG per path."""
        seed = sum(image.rsplit("/", 1)[-1].encode())
        return Response(
            solid_png(200, 300, colour_for(seed)),
            content_type="image/png",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return app


# ----- parameters, as Overseerr's OpenAPI validator checks them -------------------------------
def _invalid(where: str, message: str) -> OverseerrError:
    path = "/" + where.replace("request/", "")
    return OverseerrError(
        400, message, errors=[{"path": path, "message": message.split(" ", 1)[1]}]
    )


@overload
def _query_number(name: str, default: int) -> int: ...
@overload
def _query_number(name: str, default: None) -> int | None: ...
def _query_number(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(float(raw))
    except ValueError:
        raise _invalid(f"query/{name}", f"request/query/{name} must be number") from None


def _query_enum(name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is not None and raw not in allowed:
        raise _invalid(
            f"query/{name}",
            f"request/query/{name} must be equal to one of the allowed values: "
            + ", ".join(allowed),
        )
    return raw


def _path_number(name: str, raw: str) -> int:
    try:
        return int(float(raw))
    except ValueError:
        raise _invalid(f"params/{name}", f"request/params/{name} must be number") from None


def _loose_number(raw: str) -> int:
    """A `requestId` is a string in the spec; `Number("abc")` finds nothing (404)."""
    try:
        return int(raw)
    except ValueError:
        return -1


def _acting_user_id(header: str | None) -> int:
    if not header or not header.strip():
        return 1  # the API key alone works as the original administrator
    try:
        return int(header.strip())
    except ValueError:
        return -1


def _request_body(body: Any) -> dict[str, Any]:
    """`POST /request`'s body as the spec has it: mediaType, mediaId, seasons, is4k, userId."""
    if not isinstance(body, dict):
        raise _invalid("body", "request/body must be object")
    for name in ("mediaType", "mediaId"):
        if name not in body:
            raise _invalid("body", f"request/body must have required property '{name}'")
    if body["mediaType"] not in ("movie", "tv"):
        raise _invalid(
            "body/mediaType",
            "request/body/mediaType must be equal to one of the allowed values: movie, tv",
        )
    for name in ("mediaId", "userId", "tvdbId"):
        if body.get(name) is not None and not _is_number(body[name]):
            raise _invalid(f"body/{name}", f"request/body/{name} must be number")
    seasons: Any = body.get("seasons")
    valid_list = isinstance(seasons, list) and all(_is_number(n) and n >= 0 for n in seasons)
    if seasons is not None and seasons != "all" and not valid_list:
        raise _invalid(
            "body/seasons", "request/body/seasons must match exactly one schema in oneOf"
        )
    if "is4k" in body and not isinstance(body["is4k"], bool):
        raise _invalid("body/is4k", "request/body/is4k must be boolean")
    if valid_list:
        body["seasons"] = [int(n) for n in seasons]
    return body


def _webhook_body(body: Any) -> WebhookSettings:
    if not isinstance(body, dict) or not isinstance(body.get("options"), dict):
        raise OverseerrError(500, "Cannot read properties of undefined (reading 'jsonPayload')")
    options = body["options"]
    payload = options.get("jsonPayload")
    try:
        json.loads(payload)
    except (TypeError, ValueError) as error:
        raise OverseerrError(500, f"Unexpected token in JSON: {error}") from None
    return WebhookSettings(
        enabled=bool(body.get("enabled")),
        types=int(body.get("types") or 0),
        webhook_url=options.get("webhookUrl") or "",
        auth_header=options.get("authHeader") or "",
        json_payload=payload,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ----- request filters (routes/request.ts) ----------------------------------------------------
_IN_PROGRESS = (
    MediaStatus.UNKNOWN,
    MediaStatus.PENDING,
    MediaStatus.PROCESSING,
    MediaStatus.PARTIALLY_AVAILABLE,
)


def _matches_filter(r: MediaRequest, wanted: str) -> bool:
    media_status = r.media.status_for(r.is4k)
    match wanted:
        case "approved":
            return r.status == RequestStatus.APPROVED
        case "available":
            return r.status == RequestStatus.APPROVED and media_status == MediaStatus.AVAILABLE
        case "processing":
            return r.status == RequestStatus.APPROVED and media_status in _IN_PROGRESS
        case "pending":
            return r.status == RequestStatus.PENDING
        case "unavailable":
            return (
                r.status in (RequestStatus.PENDING, RequestStatus.APPROVED)
                and media_status in _IN_PROGRESS
            )
        case "failed":
            return r.status == RequestStatus.FAILED
        case _:
            return True


# ----- TMDB-shaped answers (server/models/Search.ts, Movie.ts, Tv.ts) -------------------------
def _search(fake: FakeOverseerr, query: str) -> list[Title | Person]:
    """TMDB's multi search: titles and people whose name contains the query, most popular first."""
    if not query:
        return []
    titles = [
        t
        for t in fake.titles.values()
        if query in (t.title if isinstance(t, Movie) else t.name).lower()
    ]
    people = [p for p in fake.people.values() if query in p.name.lower()]
    return sorted([*titles, *people], key=lambda item: (-_catalog.popularity(item.id), item.id))


def _result(
    fake: FakeOverseerr, item: Title | Person, *, with_media: bool = True
) -> dict[str, Any]:
    if isinstance(item, Person):
        known = [fake.titles[key] for key in _known_for(fake, item)]
        return {
            "id": item.id,
            "name": item.name,
            "popularity": _catalog.popularity(item.id),
            "profilePath": _catalog.image_path("profile", item.id),
            "adult": False,
            "mediaType": "person",
            "knownFor": [_result(fake, t, with_media=False) for t in known],
        }
    common = {
        "id": item.id,
        "mediaType": item.media_type,
        "popularity": _catalog.popularity(item.id),
        "posterPath": _catalog.image_path("poster", item.id),
        "backdropPath": _catalog.image_path("backdrop", item.id),
        "voteCount": _catalog.vote_count(item.id),
        "voteAverage": _catalog.vote_average(item.id),
        "genreIds": list(item.genre_ids),
        "overview": item.overview,
        "originalLanguage": "en",
    }
    if isinstance(item, Movie):
        data = common | {
            "title": item.title,
            "originalTitle": item.title,
            "releaseDate": item.release_date,
            "adult": False,
            "video": False,
        }
    else:
        data = common | {
            "name": item.name,
            "originalName": item.name,
            "originCountry": ["GB"],
            "firstAirDate": item.first_air_date,
        }
    media = fake.media_for(item.media_type, item.id) if with_media else None
    if media is not None:
        data["mediaInfo"] = media_json(media)
    return data


def _known_for(fake: FakeOverseerr, person: Person) -> list[tuple[str, int]]:
    return [key for key in fake.titles if key[1] in person.known_for]


def _credits(fake: FakeOverseerr, title: Title) -> dict[str, list[dict[str, Any]]]:
    involved = [p for p in fake.people.values() if title.id in p.known_for]
    cast = [
        {
            "id": p.id, "castId": order + 1, "character": f"{p.name.split()[0]}'s role",
            "creditId": f"{p.id:x}{title.id:x}", "gender": 0, "name": p.name, "order": order,
            "profilePath": _catalog.image_path("profile", p.id),
        }
        for order, p in enumerate(x for x in involved if x.department == "Acting")
    ]  # fmt: skip
    crew = [
        {
            "id": p.id, "creditId": f"{title.id:x}{p.id:x}", "gender": 0, "name": p.name,
            "job": "Director", "department": "Directing",
            "profilePath": _catalog.image_path("profile", p.id),
        }
        for p in involved if p.department == "Directing"
    ]  # fmt: skip
    return {"cast": cast, "crew": crew}


def _details_media(fake: FakeOverseerr, media_type: str, tmdb_id: int) -> dict[str, Any]:
    media = fake.media_for(media_type, tmdb_id)
    if media is None:
        return {}
    requests = [r for r in fake.requests if r.media is media]
    return {"mediaInfo": media_json(media, requests=requests)}


_ENGLISH = [{"englishName": "English", "iso_639_1": "en", "name": "English"}]


def _movie_details(fake: FakeOverseerr, movie: Movie) -> dict[str, Any]:
    return {
        "id": movie.id,
        "imdbId": movie.imdb_id,
        "adult": False,
        "backdropPath": _catalog.image_path("backdrop", movie.id),
        "posterPath": _catalog.image_path("poster", movie.id),
        "budget": 1_000_000 * (5 + movie.id % 60),
        "genres": [{"id": g, "name": GENRES[g]} for g in movie.genre_ids],
        "homepage": "",
        "relatedVideos": [],
        "originalLanguage": "en",
        "originalTitle": movie.title,
        "overview": movie.overview,
        "popularity": _catalog.popularity(movie.id),
        "productionCompanies": [],
        "productionCountries": [{"iso_3166_1": "GB", "name": "United Kingdom"}],
        "releaseDate": movie.release_date,
        "releases": {"results": []},
        "revenue": None,
        "runtime": movie.runtime,
        "spokenLanguages": _ENGLISH,
        "status": "Released",
        "tagline": movie.tagline,
        "title": movie.title,
        "video": False,
        "voteAverage": _catalog.vote_average(movie.id),
        "voteCount": _catalog.vote_count(movie.id),
        "credits": _credits(fake, movie),
        "externalIds": {
            "imdbId": movie.imdb_id,
            "facebookId": None,
            "instagramId": None,
            "twitterId": None,
        },
        "watchProviders": [],
        "keywords": [],
    } | _details_media(fake, "movie", movie.id)


def _tv_details(fake: FakeOverseerr, show: Show) -> dict[str, Any]:
    network = {
        "id": 1000 + sum(show.network.encode()),
        "name": show.network,
        "originCountry": "GB",
        "logoPath": None,
    }
    return {
        "createdBy": [],
        "episodeRunTime": [45],
        "firstAirDate": show.first_air_date,
        "genres": [{"id": g, "name": GENRES[g]} for g in show.genre_ids],
        "homepage": "",
        "id": show.id,
        "inProduction": not show.ended,
        "languages": ["en"],
        "lastAirDate": show.last_air_date,
        "name": show.name,
        "networks": [network],
        "numberOfEpisodes": sum(show.episodes),
        "numberOfSeasons": len(show.episodes),
        "originCountry": ["GB"],
        "originalLanguage": "en",
        "originalName": show.name,
        "tagline": "",
        "overview": show.overview,
        "popularity": _catalog.popularity(show.id),
        "productionCompanies": [],
        "productionCountries": [{"iso_3166_1": "GB", "name": "United Kingdom"}],
        "contentRatings": {"results": []},
        "spokenLanguages": _ENGLISH,
        "seasons": [
            {
                "airDate": s.air_date,
                "episodeCount": s.episode_count,
                "id": s.id,
                "name": s.name,
                "overview": "",
                "posterPath": _catalog.image_path("season", s.id),
                "seasonNumber": s.season_number,
            }
            for s in show.seasons
        ],
        "status": "Ended" if show.ended else "Returning Series",
        "type": "Scripted",
        "voteAverage": _catalog.vote_average(show.id),
        "voteCount": _catalog.vote_count(show.id),
        "backdropPath": _catalog.image_path("backdrop", show.id),
        "posterPath": _catalog.image_path("poster", show.id),
        "credits": _credits(fake, show),
        "externalIds": {"tvdbId": show.tvdb_id, "imdbId": None, "facebookId": None},
        "keywords": [],
        "watchProviders": [],
    } | _details_media(fake, "tv", show.id)
