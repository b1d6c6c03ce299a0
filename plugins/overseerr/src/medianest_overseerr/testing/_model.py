"""Overseerr's entities as the stand-in keeps them, and their JSON as Overseerr sends it.

Enums and permission rules follow Overseerr's `server/constants/media.ts`,
`server/lib/permissions.ts` and `server/lib/notifications/index.ts`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, IntFlag
from typing import Any


class Permission(IntFlag):
    """User permission bits. ADMIN passes every check."""

    NONE = 0
    ADMIN = 2
    MANAGE_USERS = 8
    MANAGE_REQUESTS = 16
    REQUEST = 32
    VOTE = 64
    AUTO_APPROVE = 128
    AUTO_APPROVE_MOVIE = 256
    AUTO_APPROVE_TV = 512
    REQUEST_4K = 1024
    REQUEST_4K_MOVIE = 2048
    REQUEST_4K_TV = 4096
    REQUEST_ADVANCED = 8192
    REQUEST_VIEW = 16384
    AUTO_APPROVE_4K = 32768
    AUTO_APPROVE_4K_MOVIE = 65536
    AUTO_APPROVE_4K_TV = 131072
    REQUEST_MOVIE = 262144
    REQUEST_TV = 524288
    MANAGE_ISSUES = 1048576
    VIEW_ISSUES = 2097152
    CREATE_ISSUES = 4194304
    AUTO_REQUEST = 8388608
    AUTO_REQUEST_MOVIE = 16777216
    AUTO_REQUEST_TV = 33554432
    RECENT_VIEW = 67108864
    WATCHLIST_VIEW = 134217728


class MediaStatus(IntEnum):
    UNKNOWN = 1
    PENDING = 2
    PROCESSING = 3
    PARTIALLY_AVAILABLE = 4
    AVAILABLE = 5


class RequestStatus(IntEnum):
    PENDING = 1
    APPROVED = 2
    DECLINED = 3
    FAILED = 4


class Notification(IntFlag):
    """Notification types; a webhook agent's `types` is a sum of these."""

    NONE = 0
    MEDIA_PENDING = 2
    MEDIA_APPROVED = 4
    MEDIA_AVAILABLE = 8
    MEDIA_FAILED = 16
    TEST_NOTIFICATION = 32
    MEDIA_DECLINED = 64
    MEDIA_AUTO_APPROVED = 128
    ISSUE_CREATED = 256
    ISSUE_COMMENT = 512
    ISSUE_RESOLVED = 1024
    ISSUE_REOPENED = 2048
    MEDIA_AUTO_REQUESTED = 4096


class UserType(IntEnum):
    PLEX = 1
    LOCAL = 2


def has_permission(value: int, *wanted: Permission, any_of: bool = False) -> bool:
    """Overseerr's `hasPermission`: ADMIN passes; several permissions need all (or any)."""
    if value & Permission.ADMIN or not wanted:
        return True
    test = any if any_of else all
    return test(value & permission for permission in wanted)


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """JavaScript's `Date.toJSON()`: `2020-09-12T10:00:27.000Z`."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


@dataclass
class User:
    id: int
    email: str
    username: str | None
    plex_username: str | None
    plex_id: int | None
    permissions: int
    user_type: UserType
    movie_quota_limit: int | None = None
    movie_quota_days: int | None = None
    tv_quota_limit: int | None = None
    tv_quota_days: int | None = None
    discord_id: str | None = None
    telegram_chat_id: str | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def display_name(self) -> str:
        return self.username or self.plex_username or self.email

    @property
    def avatar(self) -> str:
        """Plex users show their plex.tv thumb, local users a Gravatar (as Overseerr stores)."""
        digest = hashlib.md5(self.email.encode(), usedforsecurity=False).hexdigest()
        if self.user_type == UserType.PLEX:
            return f"https://plex.tv/users/{digest[:16]}/avatar?c=1700000000"
        return f"https://www.gravatar.com/avatar/{digest}?default=mm&size=200"

    def can(self, *wanted: Permission, any_of: bool = False) -> bool:
        return has_permission(self.permissions, *wanted, any_of=any_of)


@dataclass
class Media:
    """Overseerr's record of a title: what is known of it locally (its `mediaInfo`)."""

    id: int
    media_type: str  # "movie" | "tv"
    tmdb_id: int
    tvdb_id: int | None
    status: MediaStatus = MediaStatus.UNKNOWN
    status4k: MediaStatus = MediaStatus.UNKNOWN
    season_status: dict[int, MediaStatus] = field(default_factory=dict)  # TV: by season number
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def status_for(self, is4k: bool) -> MediaStatus:
        return self.status4k if is4k else self.status

    def set_status(self, is4k: bool, status: MediaStatus) -> None:
        if is4k:
            self.status4k = status
        else:
            self.status = status
        self.updated_at = now()


@dataclass
class SeasonRequest:
    id: int
    season_number: int
    status: RequestStatus
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass
class MediaRequest:
    id: int
    status: RequestStatus
    media: Media
    requested_by: User
    modified_by: User | None
    is4k: bool
    seasons: list[SeasonRequest]
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def type(self) -> str:
        return self.media.media_type

    @property
    def season_numbers(self) -> list[int]:
        return [season.season_number for season in self.seasons]

    def set_status(self, status: RequestStatus, by: User | None) -> None:
        self.status, self.modified_by, self.updated_at = status, by, now()
        if status == RequestStatus.APPROVED:  # Overseerr approves the seasons with the request
            for season in self.seasons:
                season.status, season.updated_at = status, self.updated_at


# ----- JSON, field for field as Overseerr serialises its entities ----------------------------
# Overseerr sends `null` for unset strings the spec types as plain strings (`username`,
# `serverId`, ...); the stand-in leaves those keys out instead, so every answer validates.


def user_json(user: User, *, private: bool = True) -> dict[str, Any]:
    """A User; without `private`, `email` and `plexId` are left out (Overseerr's `filter()`
    for callers without MANAGE_USERS)."""
    data: dict[str, Any] = {
        "permissions": user.permissions,
        "id": user.id,
        "email": user.email,
        "plexUsername": user.plex_username,
        "username": user.username,
        "recoveryLinkExpirationDate": None,
        "userType": int(user.user_type),
        "plexId": user.plex_id,
        "avatar": user.avatar,
        "movieQuotaLimit": user.movie_quota_limit,
        "movieQuotaDays": user.movie_quota_days,
        "tvQuotaLimit": user.tv_quota_limit,
        "tvQuotaDays": user.tv_quota_days,
        "createdAt": timestamp(user.created_at),
        "updatedAt": timestamp(user.updated_at),
        "displayName": user.display_name,
    }
    for key in ("plexUsername", "username"):
        if data[key] is None:
            del data[key]
    if not private:
        del data["email"], data["plexId"]
    return data


def media_json(media: Media, requests: list[MediaRequest] | None = None) -> dict[str, Any]:
    """A MediaInfo; `requests` only where Overseerr loads them (movie and TV details)."""
    data: dict[str, Any] = {
        "downloadStatus": [],
        "downloadStatus4k": [],
        "id": media.id,
        "mediaType": media.media_type,
        "tmdbId": media.tmdb_id,
        "tvdbId": media.tvdb_id,
        "imdbId": None,
        "status": int(media.status),
        "status4k": int(media.status4k),
        "createdAt": timestamp(media.created_at),
        "updatedAt": timestamp(media.updated_at),
        "lastSeasonChange": timestamp(media.updated_at),
        "mediaAddedAt": timestamp(media.updated_at)
        if media.status in (MediaStatus.AVAILABLE, MediaStatus.PARTIALLY_AVAILABLE)
        else None,
        "serviceId": None,
        "serviceId4k": None,
        "externalServiceId": None,
        "externalServiceId4k": None,
        "externalServiceSlug": None,
        "externalServiceSlug4k": None,
        "ratingKey": None,
        "ratingKey4k": None,
        "seasons": [
            {
                "id": media.id * 1000 + number,
                "seasonNumber": number,
                "status": int(status),
                "status4k": int(MediaStatus.UNKNOWN),
                "createdAt": timestamp(media.created_at),
                "updatedAt": timestamp(media.updated_at),
            }
            for number, status in sorted(media.season_status.items())
        ],
    }
    if requests is not None:
        data["requests"] = [request_json(r, with_media=False) for r in requests]
    return data


def request_json(request: MediaRequest, *, with_media: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": request.id,
        "status": int(request.status),
        "createdAt": timestamp(request.created_at),
        "updatedAt": timestamp(request.updated_at),
        "type": request.type,
        "is4k": request.is4k,
        "isAutoRequest": False,
        "requestedBy": user_json(request.requested_by),
        "modifiedBy": user_json(request.modified_by) if request.modified_by else None,
        "seasons": [
            {
                "id": season.id,
                "seasonNumber": season.season_number,
                "status": int(season.status),
                "createdAt": timestamp(season.created_at),
                "updatedAt": timestamp(season.updated_at),
            }
            for season in request.seasons
        ],
        "seasonCount": len(request.seasons),
    }
    if with_media:
        data["media"] = media_json(request.media)
    return data
