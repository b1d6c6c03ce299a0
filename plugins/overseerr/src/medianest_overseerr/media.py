"""Overseerr's answers in MediaNest's words: search results, availability, request states.

Overseerr speaks TMDB (`title`/`name`, `releaseDate`/`firstAirDate`, `posterPath`) and its own
enums; MediaNest's API and pages get one flat shape. Posters become URLs of this plugin's image
proxy, so a page loads nothing from outside (CSP, and a LAN without internet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from medianest_overseerr import models
from medianest_overseerr.client import MediaStatus, RequestStatus

#: TMDB image sizes the poster proxy passes on (those Overseerr's own pages use, and TMDB's).
POSTER_SIZES = frozenset(
    {"w92", "w154", "w185", "w300_and_h450_face", "w342", "w500", "w600_and_h900_bestv2", "w780"}
)
GRID_SIZE = "w300_and_h450_face"
#: A TMDB image path: one segment, letters and digits, an image extension.
POSTER_PATH = re.compile(r"/[A-Za-z0-9_-]{1,64}\.(?:jpg|jpeg|png|webp)")
POSTER_ROUTE = "/api/overseerr/poster"

AVAILABILITY = {
    MediaStatus.AVAILABLE: "available",
    MediaStatus.PARTIALLY_AVAILABLE: "partly",
    MediaStatus.PROCESSING: "requested",
    MediaStatus.PENDING: "pending",
}


def poster_url(path: Any, size: str = GRID_SIZE) -> str | None:
    """The proxy's URL for a TMDB poster path, or None for anything that is not one."""
    if isinstance(path, str) and POSTER_PATH.fullmatch(path):
        return f"{POSTER_ROUTE}/{size}{path}"
    return None


def availability(media_info: Mapping[str, Any] | None) -> str:
    """available / partly / requested (approved, on its way) / pending (awaiting approval) /
    none. Statuses Overseerr or Seerr may add later read as none."""
    if not isinstance(media_info, Mapping):
        return "none"
    return AVAILABILITY.get(media_info.get("status"), "none")  # type: ignore[arg-type]


def year_of(date: Any) -> int | None:
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


def title_of(details: Mapping[str, Any]) -> str:
    return str(details.get("title") or details.get("name") or f"TMDB {details.get('id')}")


def search_item(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """One search result, or None for people (and anything else that cannot be requested)."""
    kind = result.get("mediaType")
    if kind not in ("movie", "tv") or not isinstance(result.get("id"), int):
        return None
    date = result.get("releaseDate") if kind == "movie" else result.get("firstAirDate")
    return {
        "tmdb_id": result["id"],
        "type": kind,
        "title": title_of(result),
        "year": year_of(date),
        "overview": str(result.get("overview") or ""),
        "poster": poster_url(result.get("posterPath")),
        "availability": availability(result.get("mediaInfo")),
    }


def details_summary(details: Mapping[str, Any], media_type: str) -> dict[str, Any]:
    """What MediaNest keeps of a title: its name, year and poster path."""
    date = details.get("releaseDate") if media_type == "movie" else details.get("firstAirDate")
    path = details.get("posterPath")
    return {
        "title": title_of(details)[:300],
        "year": year_of(date),
        "poster_path": path if isinstance(path, str) and POSTER_PATH.fullmatch(path) else None,
    }


def season_numbers(request: Mapping[str, Any]) -> list[int]:
    return sorted(
        season["seasonNumber"]
        for season in request.get("seasons") or ()
        if isinstance(season, Mapping) and isinstance(season.get("seasonNumber"), int)
    )


def request_status(request: Mapping[str, Any]) -> str:
    """A request's state: Overseerr's request status, and for approved ones the media's."""
    status = request.get("status")
    if status == RequestStatus.PENDING:
        return models.PENDING
    if status == RequestStatus.DECLINED:
        return models.DECLINED
    if status == RequestStatus.FAILED:
        return models.FAILED
    if status == RequestStatus.COMPLETED:
        return models.AVAILABLE
    media = request.get("media") or {}
    media_status = media.get("status4k" if request.get("is4k") else "status")
    if media_status == MediaStatus.AVAILABLE:
        return models.AVAILABLE
    if media_status == MediaStatus.PARTIALLY_AVAILABLE and request.get("type") == "tv":
        return _partly(media, season_numbers(request))
    return models.APPROVED


def _partly(media: Mapping[str, Any], asked: Iterable[int]) -> str:
    ready = {
        season.get("seasonNumber")
        for season in media.get("seasons") or ()
        if isinstance(season, Mapping) and season.get("status") == MediaStatus.AVAILABLE
    }
    asked = set(asked)
    if asked and asked <= ready:
        return models.AVAILABLE
    return models.PARTLY if asked & ready else models.APPROVED


def overseerr_time(value: Any) -> datetime:
    """Overseerr's `2020-09-12T10:00:27.000Z`; now when it is missing or unreadable."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def seasons_of(details: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A show's seasons (specials last) with where each stands in Overseerr."""
    info = details.get("mediaInfo") or {}
    states = {
        s.get("seasonNumber"): AVAILABILITY.get(s.get("status"), "none")  # type: ignore[arg-type]
        for s in info.get("seasons") or () if isinstance(s, Mapping)
    }  # fmt: skip
    for request in info.get("requests") or ():
        if isinstance(request, Mapping) and request.get("status") in (
            RequestStatus.PENDING, RequestStatus.APPROVED,
        ):  # fmt: skip
            for number in season_numbers(request):
                if states.get(number, "none") == "none":
                    pending = request.get("status") == RequestStatus.PENDING
                    states[number] = "pending" if pending else "requested"
    seasons = [
        {"number": s["seasonNumber"], "name": str(s.get("name") or f"Season {s['seasonNumber']}"),
         "episodes": s.get("episodeCount"), "state": states.get(s["seasonNumber"], "none")}
        for s in details.get("seasons") or ()
        if isinstance(s, Mapping) and isinstance(s.get("seasonNumber"), int)
    ]  # fmt: skip
    return sorted(seasons, key=lambda s: (s["number"] == 0, s["number"]))
