"""A stand-in for Overseerr: a real HTTP server on 127.0.0.1 speaking Overseerr's API.

MediaNest's Overseerr plugin, its tests, the browser tests and ``medianest demo`` talk to this
instead of a real Overseerr. It speaks the API of Overseerr 1.34.0 (``overseerr-api.yml`` of
sct/overseerr at 46a9b244, 2025-03-28; Seerr, its successor, keeps these endpoints), with the
same paths, headers, status codes, field names and error bodies, and its own tests check every
answer against that spec with an OpenAPI validator. It is a ``StandinServer``
(``medianest.testing.standin``): ``async with`` in the caller's loop or ``with`` on a thread,
``hang()``/``fail()``/``recover()``, ``request_log``.

Quick start
-----------
::

    from medianest_overseerr.testing import FakeOverseerr, Permission

    async with FakeOverseerr() as overseerr:               # user 1 "owner" (Plex id 1001), admin
        bob = overseerr.add_user("bob", plex_id=1002)        # may request (Permission.REQUEST)
        headers = {"X-Api-Key": overseerr.api_key, "X-API-User": str(bob.id)}
        r = await http.post(f"{overseerr.url}/api/v1/request", headers=headers,
                            json={"mediaType": "movie", "mediaId": 910102})
        assert r.status_code == 201 and overseerr.requests[0].requested_by is bob
        overseerr.approve(overseerr.requests[0].id)          # as the owner would
        overseerr.mark_available("movie", 910102)            # Plex has it now

``FakeOverseerr.demo()`` is a ready household matching the Plex stand-in's (see its docstring);
``python -m medianest_overseerr.testing --port 5055`` serves it until Ctrl+C.

Authentication (``server/middleware/auth.ts`` and the OpenAPI validator)
------------------------------------------------------------------------
- ``X-Api-Key: <api_key>`` acts as user 1; with ``X-API-User: <id>`` as that user, so their
  permissions, quotas and auto-approval apply.
- No key (and no ``connect.sid`` cookie): 401 ``{"message": "cookie 'connect.sid' required",
  "errors": [{"path", "message"}]}``. A wrong key, or an ``X-API-User`` that names nobody: 403
  ``{"status": 403, "error": "You do not have permission to access this endpoint"}`` (the same
  body as for a route's missing permission). ``/status`` and ``/imageproxy`` need no key.
- Other refusals are ``{"message": "…"}`` (plus ``errors`` for a bad parameter, 400).
- Permissions are Overseerr's bit flags (``Permission``): ADMIN passes every check.

Routes (under ``/api/v1``)
--------------------------
- ``GET /status`` → ``{version: "1.34.0", commitTag, updateAvailable, commitsBehind,
  restartRequired}``. ``GET /auth/me`` → the caller (a User).
- ``GET /search?query=&page=&language=`` → ``{page, totalPages, totalResults, results}``, 20 a
  page: movies (``mediaType: "movie"``, ``title``, ``releaseDate``), shows (``"tv"``, ``name``,
  ``firstAirDate``) and people (``"person"``, ``knownFor``) whose name contains the query, most
  popular first; titles Overseerr knows carry ``mediaInfo``. ``language`` is ignored.
- ``GET /movie/{tmdbId}``, ``GET /tv/{tmdbId}`` (with ``seasons[{seasonNumber, episodeCount,
  …}]``, season 0 being specials) → details with ``mediaInfo`` (and its ``requests``) when known.
  An unknown id: 500 "Unable to retrieve movie." / "Unable to retrieve series.", as Overseerr.
- ``GET /request?take=10&skip=0&filter=&sort=added|modified&requestedBy=`` →
  ``{pageInfo: {pages, pageSize, results, page}, results: [MediaRequest]}``, newest first.
  Filters as Overseerr's: approved (request approved), available / processing (approved and the
  media available / not yet), pending, unavailable (pending or approved, not available), failed.
  Without MANAGE_REQUESTS or REQUEST_VIEW a user sees only their own (``requestedBy`` naming
  someone else: 403).
- ``POST /request {mediaType, mediaId, seasons?: [n] | "all", is4k?, userId?}`` → 201 a
  MediaRequest. Refusals: 403 "You do not have permission to make movie requests." (or
  "series"; needs REQUEST or REQUEST_MOVIE/_TV), 403 "Movie Quota exceeded." / "Series Quota
  exceeded.", 409 "Request for this media already exists." (a movie with a request not declined),
  202 "No seasons available to request" (every asked season already requested or available).
  ``"all"`` means every season but specials. AUTO_APPROVE (or _MOVIE/_TV, or MANAGE_REQUESTS)
  approves at once. Media status follows: pending request → PENDING, approved → PROCESSING.
- ``GET /request/count`` → ``{total, movie, tv, pending, approved, declined, processing,
  available}``.
- ``GET /request/{id}`` (404 "Request not found."; someone else's without MANAGE_REQUESTS or
  REQUEST_VIEW: 403), ``POST /request/{id}/approve|decline`` (MANAGE_REQUESTS) → the request,
  ``DELETE /request/{id}`` → 204 (a pending or one's own request, else MANAGE_REQUESTS: 401).
- ``GET /user?take=10&skip=0&sort=created|updated|requests|displayname`` → paged Users with
  ``plexId``; ``GET /user/{id}`` (404 "User not found."); ``GET /user/{id}/quota``. Without
  MANAGE_USERS, ``email`` and ``plexId`` are left out (as Overseerr does, though the spec
  requires ``email``).
- ``POST /user/import-from-plex {plexIds?: ["1006"]}`` (MANAGE_USERS) → 201 the new Users: the
  Plex friends (``add_plex_friend``) not yet users, given the default permission REQUEST.
  ``plexIds`` are strings, as in the spec (numbers: 400).
- ``GET|POST /settings/notifications/webhook`` (ADMIN) ``{enabled, types, options: {webhookUrl,
  authHeader, jsonPayload}}`` and ``POST /settings/notifications/webhook/test`` (see below).
- ``GET /imageproxy/t/p/{size}/{file}`` (outside ``/api/v1``, Overseerr's TMDB image cache):
  a PNG per path, so pages show posters without the internet. Posters are TMDB-style
  ``posterPath`` strings (``/…27 characters….jpg``).

Unknown paths answer 404 ``{"message": "not found", …}``, bad parameters 400 worded like
Overseerr's validator (``request/query/filter must be equal to one of the allowed values: …``).

Webhook agent
-------------
Configured over HTTP like Overseerr's UI does (``options.jsonPayload`` is the template as a JSON
*string literal*, i.e. ``json.dumps(template)``) or with ``configure_webhook(url,
auth_header=…, types=MEDIA_NOTIFICATIONS, template=DEFAULT_TEMPLATE)``. On MEDIA_PENDING,
MEDIA_APPROVED, MEDIA_AUTO_APPROVED, MEDIA_DECLINED, MEDIA_FAILED and MEDIA_AVAILABLE (when in
``types``) it renders the template — ``notification_type``, ``event``, ``subject`` ("Title
(year)"), ``message`` (the overview), ``image``, ``media {media_type, tmdbId, tvdbId, status
("PENDING"…), status4k}``, ``request {request_id, requestedBy_email, requestedBy_username, …}``,
``issue: null``, ``comment: null``, ``extra`` (TV: "Requested Seasons") — every value a string,
as Overseerr sends it, and POSTs it in the background with ``Authorization: <authHeader>``.
``webhook_deliveries`` logs each ``WebhookDelivery(notification, url, authorization, payload,
status_code, error)``; ``await overseerr.settled()`` waits for those in flight (from another
thread: ``overseerr.run_in_server_loop(overseerr.settled()).result()``).

Control API (thread-safe)
-------------------------
``FakeOverseerr(*, api_key=DEFAULT_API_KEY, owner_username="owner", owner_plex_id=1001,
owner_email=None, version="1.34.0", port=0)``; ``owner`` is user 1.

- Users: ``add_user(username, *, plex_id=None, email=None, permissions=Permission.REQUEST,
  movie_quota_limit=None, movie_quota_days=None, tv_quota_limit=None, tv_quota_days=None,
  discord_id=None) -> User`` (a Plex user with ``plex_id``, else a local one; quota days default
  to 7); ``users``, ``user(id)``, ``user_by_plex_id(plex_id)``; ``add_plex_friend(username,
  plex_id)``, ``import_from_plex(plex_ids=None)``; ``quota(user)``.
- Catalogue: ``titles`` ((media_type, tmdb_id) → ``Movie``/``Show``), ``people``;
  ``add_movie(title, year)``, ``add_show(name, year, episodes=(10,))``, ``title(type, id)``.
- Requests: ``requests`` (``MediaRequest`` objects, oldest first), ``get_request(id)``,
  ``request(user, "movie"|"tv", tmdb_id, *, seasons=None, is4k=False)`` (the same rules as
  the HTTP route; raises ``OverseerrError(status, message)``), ``approve(id, by=None)``,
  ``decline(id, by=None)``, ``fail_request(id)``, ``delete_request(id, by=None)``.
- Media: ``media_for(type, tmdb_id) -> Media | None``; ``mark_available(type, tmdb_id, *,
  seasons=None, is4k=False)``: a movie (or a whole show) AVAILABLE, or some seasons available and
  the show PARTIALLY_AVAILABLE; MEDIA_AVAILABLE goes out for each request that is now complete.
- Webhook: ``configure_webhook(...)``, ``webhook`` (``WebhookSettings``),
  ``webhook_deliveries``.

Known simplifications: no Radarr/Sonarr (approved requests stay approved and their media
"processing" until ``mark_available``), no issues, watchlists, discover sliders or sessions;
unset string fields Overseerr sends as ``null`` (``username`` of Plex users, ``serverId``…) are
left out; a movie is a duplicate when any earlier request for it was not declined.
"""

from __future__ import annotations

from medianest.testing.standin import RecordedRequest
from medianest_overseerr.testing._catalog import Movie, Person, Show
from medianest_overseerr.testing._model import (
    Media,
    MediaRequest,
    MediaStatus,
    Notification,
    Permission,
    RequestStatus,
    SeasonRequest,
    User,
    UserType,
)
from medianest_overseerr.testing._webhook import (
    DEFAULT_TEMPLATE,
    MEDIA_NOTIFICATIONS,
    WebhookDelivery,
    WebhookSettings,
)
from medianest_overseerr.testing.fake import (
    DEFAULT_API_KEY,
    OVERSEERR_VERSION,
    FakeOverseerr,
    OverseerrError,
    PlexFriend,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_TEMPLATE",
    "MEDIA_NOTIFICATIONS",
    "OVERSEERR_VERSION",
    "FakeOverseerr",
    "Media",
    "MediaRequest",
    "MediaStatus",
    "Movie",
    "Notification",
    "OverseerrError",
    "Permission",
    "Person",
    "PlexFriend",
    "RecordedRequest",
    "RequestStatus",
    "SeasonRequest",
    "Show",
    "User",
    "UserType",
    "WebhookDelivery",
    "WebhookSettings",
]
