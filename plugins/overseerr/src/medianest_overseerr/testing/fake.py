"""`FakeOverseerr`: the stand-in's state, its rules (Overseerr's, see each method) and the control
API tests and the demo use. The HTTP surface is in `_routes.py`."""

from __future__ import annotations

import itertools
import json
import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import httpx
from quart import Quart

from medianest.testing.standin import StandinServer
from medianest_overseerr.testing import _catalog
from medianest_overseerr.testing._catalog import MOVIES, PEOPLE, SHOWS, Movie, Person, Show, Title
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
    now,
)
from medianest_overseerr.testing._webhook import (
    DEFAULT_TEMPLATE,
    MEDIA_NOTIFICATIONS,
    NotificationPayload,
    WebhookDelivery,
    WebhookSettings,
    render,
)

log = logging.getLogger(__name__)

#: The version `/status` reports: the Overseerr release whose API the stand-in speaks.
OVERSEERR_VERSION = "1.34.0"
#: The stand-in's default API key (Overseerr's are base64 of a timestamp and a UUID).
DEFAULT_API_KEY = "MTcwMDAwMDAwMDAwMGZha2Utb3ZlcnNlZXJyLXN0YW5kLWluLWtleQ=="
#: Overseerr's default for new users (`settings.main.defaultPermissions`).
DEFAULT_PERMISSIONS = Permission.REQUEST
DEFAULT_QUOTA_DAYS = 7
WEBHOOK_TIMEOUT = 10.0
IMAGE_BASE = "https://image.tmdb.org/t/p/w600_and_h900_bestv2"

MediaType = Literal["movie", "tv"]


class OverseerrError(Exception):
    """A refusal as Overseerr words it: the status and `{"message": …}` it answers."""

    def __init__(self, status: int, message: str, *, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


@dataclass(frozen=True)
class PlexFriend:
    """A Plex account with access to the owner's server: what `import-from-plex` can import."""

    plex_id: int
    username: str
    email: str


class FakeOverseerr(StandinServer):
    """An Overseerr with a seeded catalogue and one owner (user 1), served on 127.0.0.1.

    See the package docstring for routes, rules and the control API. Control methods are
    thread-safe and may be called while the server runs, from any thread.
    """

    label = "overseerr"

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        owner_username: str = "owner",
        owner_plex_id: int | None = 1001,
        owner_email: str | None = None,
        version: str = OVERSEERR_VERSION,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.api_key = api_key
        self.version = version
        titles: list[Title] = [*MOVIES, *SHOWS]
        self.titles: dict[tuple[str, int], Title] = {(t.media_type, t.id): t for t in titles}
        self.people: dict[int, Person] = {p.id: p for p in PEOPLE}
        self.plex_friends: dict[int, PlexFriend] = {}
        self.webhook = WebhookSettings()
        #: Every webhook sent (or attempted), oldest first.
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._users: dict[int, User] = {}
        self._media: dict[int, Media] = {}
        self._requests: dict[int, MediaRequest] = {}
        self._ids = {name: itertools.count(1) for name in ("user", "media", "request", "season")}
        self._lock = threading.RLock()  # changed by test code, read by the server's thread
        self.owner = self.add_user(
            owner_username, plex_id=owner_plex_id, email=owner_email, permissions=Permission.ADMIN
        )

    def _build_app(self) -> Quart:
        from medianest_overseerr.testing._routes import build_app

        return build_app(self)

    # ------------------------------------------------------------------ control: users
    def add_user(
        self,
        username: str,
        *,
        plex_id: int | None = None,
        email: str | None = None,
        permissions: int = DEFAULT_PERMISSIONS,
        movie_quota_limit: int | None = None,
        movie_quota_days: int | None = None,
        tv_quota_limit: int | None = None,
        tv_quota_days: int | None = None,
        discord_id: str | None = None,
    ) -> User:
        """A user: a Plex user (`plexUsername`, `plexId`) with `plex_id`, else a local one
        (`username`). Quotas count requests in the last `*_days` (7 unless given)."""
        with self._lock:
            user = User(
                id=next(self._ids["user"]),
                email=(email or f"{username.lower()}@example.com").lower(),
                username=None if plex_id is not None else username,
                plex_username=username if plex_id is not None else None,
                plex_id=plex_id,
                permissions=int(permissions),
                user_type=UserType.PLEX if plex_id is not None else UserType.LOCAL,
                movie_quota_limit=movie_quota_limit,
                movie_quota_days=movie_quota_days,
                tv_quota_limit=tv_quota_limit,
                tv_quota_days=tv_quota_days,
                discord_id=discord_id,
            )
            self._users[user.id] = user
            return user

    def add_plex_friend(
        self, username: str, plex_id: int, *, email: str | None = None
    ) -> PlexFriend:
        """A Plex account the owner's server is shared with (importable, not yet a user)."""
        friend = PlexFriend(plex_id, username, (email or f"{username.lower()}@example.com").lower())
        with self._lock:
            self.plex_friends[plex_id] = friend
        return friend

    @property
    def users(self) -> list[User]:
        with self._lock:
            return list(self._users.values())

    def user(self, user_id: int) -> User | None:
        with self._lock:
            return self._users.get(user_id)

    def user_by_plex_id(self, plex_id: int) -> User | None:
        with self._lock:
            return next((u for u in self._users.values() if u.plex_id == plex_id), None)

    def import_from_plex(self, plex_ids: Iterable[str] | None = None) -> list[User]:
        """`POST /user/import-from-plex`: friends not yet users become users with the default
        permissions (only those whose id, as a string, is in `plex_ids` when it is given)."""
        wanted = None if plex_ids is None else list(plex_ids)
        created = []
        with self._lock:
            for friend in list(self.plex_friends.values()):
                known = any(
                    u.plex_id == friend.plex_id or u.email == friend.email
                    for u in self._users.values()
                )
                if known or (wanted is not None and str(friend.plex_id) not in wanted):
                    continue
                created.append(
                    self.add_user(friend.username, plex_id=friend.plex_id, email=friend.email)
                )
        return created

    # ------------------------------------------------------------------ control: catalogue
    def add_movie(
        self, title: str, year: int, *, tmdb_id: int | None = None, overview: str = ""
    ) -> Movie:
        """A movie more in the stand-in's TMDB (for paging tests and the like)."""
        with self._lock:
            movie = Movie(tmdb_id or self._free_tmdb_id(), title, year, (18,), 100, overview)
            self.titles[("movie", movie.id)] = movie
            return movie

    def add_show(
        self, name: str, year: int, episodes: tuple[int, ...] = (10,), *, tmdb_id: int | None = None
    ) -> Show:
        """A show more in the stand-in's TMDB; `episodes` per season from season 1."""
        with self._lock:
            show = Show(
                tmdb_id or self._free_tmdb_id(), name, year, (18,), episodes, "", "Metro One"
            )
            self.titles[("tv", show.id)] = show
            return show

    def title(self, media_type: str, tmdb_id: int) -> Title | None:
        return self.titles.get((media_type, tmdb_id))

    def _free_tmdb_id(self) -> int:
        return max(tmdb_id for _, tmdb_id in self.titles) + 1

    # ------------------------------------------------------------------ control: requests
    @property
    def requests(self) -> list[MediaRequest]:
        """Every media request, oldest first."""
        with self._lock:
            return list(self._requests.values())

    def get_request(self, request_id: int) -> MediaRequest | None:
        with self._lock:
            return self._requests.get(request_id)

    def media_for(self, media_type: str, tmdb_id: int) -> Media | None:
        """Overseerr's record of a title (its `mediaInfo`), if it has one."""
        with self._lock:
            return next(
                (
                    m
                    for m in self._media.values()
                    if (m.media_type, m.tmdb_id) == (media_type, tmdb_id)
                ),
                None,
            )

    def request(
        self,
        user: User | int,
        media_type: MediaType,
        tmdb_id: int,
        *,
        seasons: list[int] | Literal["all"] | None = None,
        is4k: bool = False,
        on_behalf_of: int | None = None,
    ) -> MediaRequest:
        """Request a title as `user`, by Overseerr's rules (`MediaRequest.request`): permission,
        quota, duplicate and seasons checks, auto-approval, media status and notifications.
        Raises `OverseerrError` with Overseerr's status and message when it refuses."""
        with self._lock:
            caller = self._as_user(user)
            requester = self._requester(caller, on_behalf_of)
            _check_request_permission(requester, media_type, is4k)
            quota = self.quota(requester)
            if quota[media_type]["restricted"]:
                raise OverseerrError(403, _QUOTA_MESSAGE[media_type])
            title = self._tmdb(media_type, tmdb_id, for_request=True)
            media = self.media_for(media_type, tmdb_id) or self._new_media(title)
            earlier = [r for r in self._requests_for(media) if r.is4k == is4k]
            if media_type == "movie" and any(r.status != RequestStatus.DECLINED for r in earlier):
                raise OverseerrError(409, "Request for this media already exists.")
            numbers = self._seasons_to_request(title, media, earlier, seasons, is4k)
            if (
                media_type == "tv"
                and quota["tv"]["limit"]
                and len(numbers) > quota["tv"].get("remaining", 0)
            ):
                raise OverseerrError(403, _QUOTA_MESSAGE["tv"])

            if media.status_for(is4k) == MediaStatus.UNKNOWN:
                media.set_status(is4k, MediaStatus.PENDING)
            self._media[media.id] = media
            auto = _auto_approves(caller, media_type, is4k)
            status = RequestStatus.APPROVED if auto else RequestStatus.PENDING
            request = MediaRequest(
                id=next(self._ids["request"]),
                status=status,
                media=media,
                requested_by=requester,
                modified_by=caller if auto else None,
                is4k=is4k,
                seasons=[SeasonRequest(next(self._ids["season"]), n, status) for n in numbers],
            )
            self._requests[request.id] = request
            self._update_media_status(request)
            self._notify(
                Notification.MEDIA_AUTO_APPROVED if auto else Notification.MEDIA_PENDING, request
            )
            return request

    def approve(self, request_id: int, *, by: User | int | None = None) -> MediaRequest:
        """Approve a request (as `by`, the owner unless given): media goes to processing."""
        return self._set_request_status(request_id, RequestStatus.APPROVED, by)

    def decline(self, request_id: int, *, by: User | int | None = None) -> MediaRequest:
        """Decline a request: a movie's media goes back to unknown."""
        return self._set_request_status(request_id, RequestStatus.DECLINED, by)

    def fail_request(self, request_id: int) -> MediaRequest:
        """What Overseerr does when Radarr/Sonarr refuse an approved request: FAILED, notified."""
        with self._lock:
            request = self._existing_request(request_id)
            request.set_status(RequestStatus.FAILED, request.modified_by)
            self._notify(Notification.MEDIA_FAILED, request)
            return request

    def delete_request(self, request_id: int, *, by: User | int | None = None) -> None:
        """`DELETE /request/{id}`: anyone may remove a pending request or their own; others need
        MANAGE_REQUESTS. The media falls back to unknown when no request is left on it."""
        with self._lock:
            caller = self._as_user(by)
            request = self._existing_request(request_id)
            mine = request.requested_by.id == caller.id
            if not (
                caller.can(Permission.MANAGE_REQUESTS)
                or mine
                or request.status == RequestStatus.PENDING
            ):
                raise OverseerrError(401, "You do not have permission to delete this request.")
            del self._requests[request_id]
            media = request.media
            for is4k in (False, True):
                left = [r for r in self._requests_for(media) if r.is4k == is4k]
                if not left and media.status_for(is4k) != MediaStatus.AVAILABLE:
                    media.set_status(is4k, MediaStatus.UNKNOWN)

    def mark_available(
        self,
        media_type: MediaType,
        tmdb_id: int,
        *,
        seasons: Iterable[int] | None = None,
        is4k: bool = False,
    ) -> Media:
        """The title reached Plex (what Overseerr's scan finds). A movie, or a show without
        `seasons`, becomes AVAILABLE; a show with `seasons` has those seasons available, and
        is PARTIALLY_AVAILABLE until every season is. MEDIA_AVAILABLE goes to each request
        (not declined) that is now complete."""
        with self._lock:
            title = self._tmdb(media_type, tmdb_id)
            media = self.media_for(media_type, tmdb_id) or self._new_media(title)
            self._media[media.id] = media
            complete_before = {r.id for r in self._requests_for(media) if self._complete(r)}
            if isinstance(title, Show):
                wanted = title.season_numbers if seasons is None else list(seasons)
                for number in wanted:
                    media.season_status[number] = MediaStatus.AVAILABLE
                everything = all(
                    media.season_status.get(n) == MediaStatus.AVAILABLE
                    for n in title.season_numbers
                )
                status = MediaStatus.AVAILABLE if everything else MediaStatus.PARTIALLY_AVAILABLE
            else:
                status = MediaStatus.AVAILABLE
            media.set_status(is4k, status)
            for request in self._requests_for(media):
                done = request.is4k == is4k and self._complete(request)
                if (
                    done
                    and request.id not in complete_before
                    and request.status != RequestStatus.DECLINED
                ):
                    self._notify(Notification.MEDIA_AVAILABLE, request)
            return media

    def quota(self, user: User | int) -> dict[str, dict[str, Any]]:
        """`GET /user/{id}/quota` (`User.getQuota`): MANAGE_USERS bypasses; requests not
        declined in the last `days` count (movies one each, series one per season)."""
        with self._lock:
            user = self._as_user(user)
            return {
                "movie": self._quota_for(
                    user, "movie", user.movie_quota_limit, user.movie_quota_days
                ),
                "tv": self._quota_for(user, "tv", user.tv_quota_limit, user.tv_quota_days),
            }

    # ------------------------------------------------------------------ control: webhook
    def configure_webhook(
        self,
        url: str,
        *,
        auth_header: str = "",
        types: int = MEDIA_NOTIFICATIONS,
        template: str = DEFAULT_TEMPLATE,
        enabled: bool = True,
    ) -> None:
        """Set up the webhook agent as an admin would in Settings → Notifications → Webhook."""
        with self._lock:
            self.webhook = WebhookSettings(
                enabled, int(types), url, auth_header, json.dumps(template)
            )

    # ------------------------------------------------------------------ demo
    @classmethod
    def demo(cls, *, port: int = 0) -> FakeOverseerr:
        """A ready household matching the Plex stand-in's (`medianest_plex.testing.demo_household`:
        owner 1001, friend 1002, stranger 1003 with no access):

        - user 1 `owner` (plex id 1001), the admin; user 2 `friend` (1002), may request;
        - user 3 `kim` (1004), requests auto-approved; user 4 `max` (1005), 3 movies a week;
        - user 5 `guest`, a local account that may not request;
        - `lee` (1006): a Plex friend not yet imported; the stranger is unknown to Overseerr;
        - a few requests in every state, and titles already available.
        """
        fake = cls(port=port)
        friend = fake.add_user("friend", plex_id=1002)
        fake.add_user("kim", plex_id=1004, permissions=Permission.REQUEST | Permission.AUTO_APPROVE)
        fake.add_user("max", plex_id=1005, movie_quota_limit=3, movie_quota_days=7)
        fake.add_user("guest", permissions=Permission.NONE)
        fake.add_plex_friend("lee", 1006)
        fake.mark_available("movie", 910102)  # Quiet Orbit, in the library already
        fake.mark_available("tv", 920201, seasons=[1, 2])  # Northern Lights Station, half of it
        pending = fake.request(friend, "movie", 910105)  # The Last Cartographer
        fake.request(friend, "tv", 920203, seasons=[1])  # Signal Lost
        approved = fake.request(friend, "movie", 910111)  # Deep Field
        fake.approve(approved.id)
        declined = fake.request(friend, "movie", 910118)  # Static
        fake.decline(declined.id)
        done = fake.request(friend, "movie", 910122)  # Blue Hour Heist
        fake.approve(done.id)
        fake.mark_available("movie", 910122)
        assert pending.status == RequestStatus.PENDING
        return fake

    # ------------------------------------------------------------------ rules (internal)
    def _as_user(self, user: User | int | None) -> User:
        if user is None:
            return self.owner
        found = self._users.get(user.id if isinstance(user, User) else user)
        if found is None:
            raise KeyError(f"no Overseerr user {user!r}")
        return found

    def _requester(self, caller: User, on_behalf_of: int | None) -> User:
        """`userId` in the body: requesting for someone else needs MANAGE_USERS and
        MANAGE_REQUESTS."""
        if on_behalf_of is None:
            return caller
        if not caller.can(Permission.MANAGE_USERS, Permission.MANAGE_REQUESTS):
            raise OverseerrError(403, "You do not have permission to modify the request user.")
        other = self._users.get(on_behalf_of)
        if other is None:
            raise OverseerrError(500, 'Could not find any entity of type "User" matching the query')
        return other

    def _tmdb(self, media_type: str, tmdb_id: int, *, for_request: bool = False) -> Title:
        title = self.titles.get((media_type, tmdb_id))
        if title is None:
            if for_request:
                what = "movie" if media_type == "movie" else "TV show"
                raise OverseerrError(
                    500,
                    f"[TMDB] Failed to fetch {what} details: Request failed with status code 404",
                )
            raise OverseerrError(
                500,
                "Unable to retrieve movie."
                if media_type == "movie"
                else "Unable to retrieve series.",
            )
        return title

    def _new_media(self, title: Title) -> Media:
        tvdb_id = title.tvdb_id if isinstance(title, Show) else None
        return Media(next(self._ids["media"]), title.media_type, title.id, tvdb_id)

    def _requests_for(self, media: Media) -> list[MediaRequest]:
        return [r for r in self._requests.values() if r.media is media]

    def _seasons_to_request(
        self,
        title: Title,
        media: Media,
        earlier: list[MediaRequest],
        seasons: list[int] | Literal["all"] | None,
        is4k: bool,
    ) -> list[int]:
        """Asked-for seasons less those already requested (not declined) or not unknown; none
        left is Overseerr's 202 "No seasons available to request"."""
        if not isinstance(title, Show):
            return []
        if seasons is None:
            raise OverseerrError(500, "Cannot read properties of undefined (reading 'filter')")
        asked = title.season_numbers if seasons == "all" else list(seasons)
        taken = {n for r in earlier if r.status != RequestStatus.DECLINED for n in r.season_numbers}
        if not is4k:
            taken |= {n for n, s in media.season_status.items() if s != MediaStatus.UNKNOWN}
        numbers = [n for n in asked if n not in taken]
        if not numbers:
            raise OverseerrError(202, "No seasons available to request")
        return numbers

    def _set_request_status(
        self, request_id: int, status: RequestStatus, by: User | int | None
    ) -> MediaRequest:
        with self._lock:
            actor = self._as_user(by)
            request = self._existing_request(request_id)
            request.set_status(status, actor)
            self._update_media_status(request)
            if request.media.status_for(request.is4k) != MediaStatus.AVAILABLE:  # else: no news
                approved = status == RequestStatus.APPROVED
                self._notify(
                    Notification.MEDIA_APPROVED if approved else Notification.MEDIA_DECLINED,
                    request,
                )
            return request

    def _existing_request(self, request_id: int) -> MediaRequest:
        request = self._requests.get(request_id)
        if request is None:
            raise OverseerrError(404, "Request not found.")
        return request

    def _update_media_status(self, request: MediaRequest) -> None:
        """`MediaRequest.updateParentStatus`: approved → processing (unless already in the
        library); a declined movie → unknown; a declined show → unknown if nothing else pends."""
        media, is4k = request.media, request.is4k
        current = media.status_for(is4k)
        if request.status == RequestStatus.APPROVED:
            if current not in (MediaStatus.AVAILABLE, MediaStatus.PARTIALLY_AVAILABLE):
                media.set_status(is4k, MediaStatus.PROCESSING)
        elif request.status == RequestStatus.DECLINED:
            pending = any(r.status == RequestStatus.PENDING for r in self._requests_for(media))
            if media.media_type == "movie" or (not pending and current == MediaStatus.PENDING):
                media.set_status(is4k, MediaStatus.UNKNOWN)

    def _complete(self, request: MediaRequest) -> bool:
        media = request.media
        if media.media_type == "movie" or request.is4k:
            return media.status_for(request.is4k) == MediaStatus.AVAILABLE
        return all(
            media.season_status.get(n) == MediaStatus.AVAILABLE for n in request.season_numbers
        )

    def _quota_for(
        self, user: User, media_type: str, limit: int | None, days: int | None
    ) -> dict[str, Any]:
        limit = 0 if user.can(Permission.MANAGE_USERS) else (limit or 0)
        days = days or DEFAULT_QUOTA_DAYS
        since = now() - timedelta(days=days)
        counted = [
            r
            for r in self._requests.values()
            if r.requested_by.id == user.id
            and r.type == media_type
            and r.created_at > since
            and r.status != RequestStatus.DECLINED
        ]
        used = (
            (len(counted) if media_type == "movie" else sum(len(r.seasons) for r in counted))
            if limit
            else 0
        )
        quota: dict[str, Any] = {"days": days, "limit": limit, "used": used}
        if limit:
            quota["remaining"] = max(0, limit - used)
        quota["restricted"] = bool(limit) and limit - used <= 0
        return quota

    # ------------------------------------------------------------------ notifications
    def _notify(self, notification: Notification, request: MediaRequest) -> None:
        """Render the webhook now (the state as it is) and send it in the background."""
        if not self.running or not self.webhook.wants(notification):
            return
        payload = _payload(self.title(request.type, request.media.tmdb_id), notification, request)
        self._send(notification, payload)

    def _send(self, notification: Notification, payload: NotificationPayload) -> None:
        settings = self.webhook
        authorization = settings.auth_header or None
        try:
            body = render(settings.json_payload, notification, payload)
        except ValueError as error:  # a template that does not parse: nothing is sent
            self.webhook_deliveries.append(
                WebhookDelivery(
                    notification, settings.webhook_url, authorization, None, error=str(error)
                )
            )
            return
        self.spawn(self._deliver(notification, settings.webhook_url, authorization, body))

    async def _deliver(
        self, notification: Notification, url: str, authorization: str | None, body: dict
    ) -> None:
        headers = {"Authorization": authorization} if authorization else {}
        status, error = None, None
        try:
            async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
                status = (await client.post(url, json=body, headers=headers)).status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.info("overseerr stand-in: webhook to %s failed: %s", url, error)
        self.webhook_deliveries.append(
            WebhookDelivery(notification, url, authorization, body, status, error)
        )

    async def send_test_notification(self, settings: WebhookSettings, user: User) -> bool:
        """`POST /settings/notifications/webhook/test`: sent at once, answered when done."""
        payload = NotificationPayload(
            event="", subject="Test Notification",
            message="Check check, 1, 2, 3. Are we coming in clear?", image="", notify_user=user,
        )  # fmt: skip
        try:
            body = render(settings.json_payload, Notification.TEST_NOTIFICATION, payload)
        except ValueError:
            return False
        authorization = settings.auth_header or None
        before = len(self.webhook_deliveries)
        await self._deliver(
            Notification.TEST_NOTIFICATION, settings.webhook_url, authorization, body
        )
        return self.webhook_deliveries[before].delivered


_QUOTA_MESSAGE = {"movie": "Movie Quota exceeded.", "tv": "Series Quota exceeded."}


def _check_request_permission(user: User, media_type: str, is4k: bool) -> None:
    if media_type == "movie":
        wanted = (
            (Permission.REQUEST_4K, Permission.REQUEST_4K_MOVIE)
            if is4k
            else (Permission.REQUEST, Permission.REQUEST_MOVIE)
        )
    else:
        wanted = (
            (Permission.REQUEST_4K, Permission.REQUEST_4K_TV)
            if is4k
            else (Permission.REQUEST, Permission.REQUEST_TV)
        )
    if not user.can(*wanted, any_of=True):
        what = "movie" if media_type == "movie" else "series"
        raise OverseerrError(
            403, f"You do not have permission to make {'4K ' if is4k else ''}{what} requests."
        )


def _auto_approves(user: User, media_type: str, is4k: bool) -> bool:
    general = Permission.AUTO_APPROVE_4K if is4k else Permission.AUTO_APPROVE
    if media_type == "movie":
        specific = Permission.AUTO_APPROVE_4K_MOVIE if is4k else Permission.AUTO_APPROVE_MOVIE
    else:
        specific = Permission.AUTO_APPROVE_4K_TV if is4k else Permission.AUTO_APPROVE_TV
    return user.can(general, specific, Permission.MANAGE_REQUESTS, any_of=True)


_EVENTS = {
    Notification.MEDIA_PENDING: "New {kind} Request",
    Notification.MEDIA_APPROVED: "{kind} Request Approved",
    Notification.MEDIA_AUTO_APPROVED: "{kind} Request Automatically Approved",
    Notification.MEDIA_DECLINED: "{kind} Request Declined",
    Notification.MEDIA_FAILED: "{kind} Request Failed",
    Notification.MEDIA_AVAILABLE: "{kind} Request Now Available",
}
_TO_ADMINS = (
    Notification.MEDIA_PENDING,
    Notification.MEDIA_AUTO_APPROVED,
    Notification.MEDIA_FAILED,
)


def _payload(
    title: Title | None, notification: Notification, request: MediaRequest
) -> NotificationPayload:
    """`MediaRequest.sendNotification`: subject "Title (year)", the overview, the poster."""
    assert title is not None
    kind = ("4K " if request.is4k else "") + ("Movie" if isinstance(title, Movie) else "Series")
    name = title.title if isinstance(title, Movie) else title.name
    extra = None
    if isinstance(title, Show):
        extra = [
            {"name": "Requested Seasons", "value": ", ".join(map(str, request.season_numbers))}
        ]
    return NotificationPayload(
        event=_EVENTS[notification].format(kind=kind),
        subject=f"{name} ({title.year})",
        message=_truncate(title.overview, 500),
        image=IMAGE_BASE + _catalog.image_path("poster", title.id),
        request=request,
        notify_user=None if notification in _TO_ADMINS else request.requested_by,
        extra=extra,
    )


def _truncate(text: str, length: int) -> str:
    """lodash `truncate` at a space, with `…`."""
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"


def page_info(total: int, page_size: int, skip: int) -> dict[str, int]:
    """Overseerr's `pageInfo` (with `pageSize`, which the spec leaves out)."""
    return {
        "pages": math.ceil(total / page_size),
        "pageSize": page_size,
        "results": total,
        "page": math.ceil(skip / page_size) + 1,
    }
