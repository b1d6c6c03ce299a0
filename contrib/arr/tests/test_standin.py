"""The stand-ins answer as Sonarr's and Radarr's API v3 do (their OpenAPI specs): the paged
resources, the record fields MediaNest reads and their types, the include flags, and 401."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from medianest_arr.testing import FakeArr, FakeRadarr, FakeSonarr

PAGED = {"page", "pageSize", "sortKey", "sortDirection", "totalRecords", "records"}
QUEUE_FIELDS = {
    "id", "title", "status", "trackedDownloadStatus", "trackedDownloadState", "statusMessages",
    "size", "sizeleft", "added", "protocol", "downloadClient", "downloadId", "indexer",
    "outputPath", "quality", "languages", "customFormats",
}  # fmt: skip


async def get(fake: FakeArr, path: str, *, key: str | None = None, **params: Any) -> httpx.Response:
    headers = {"X-Api-Key": fake.api_key if key is None else key}
    async with httpx.AsyncClient() as client:
        return await client.get(f"{fake.url}/api/v3{path}", params=params, headers=headers)


async def test_radarr_queue_is_paged_and_embeds_the_movie_on_request(radarr: FakeRadarr) -> None:
    film = radarr.add_movie("Quiet Orbit", tmdb_id=910102, year=2021)
    radarr.download(film, size=4_000_000_000, left=1_000_000_000)

    plain = (await get(radarr, "/queue", page=1, pageSize=5)).json()
    embedded = (await get(radarr, "/queue", page=1, pageSize=5, includeMovie="true")).json()

    assert set(plain) == PAGED and (plain["page"], plain["pageSize"]) == (1, 5)
    (record,) = plain["records"]
    assert set(record) >= QUEUE_FIELDS | {"movieId", "timeleft", "estimatedCompletionTime"}
    assert "movie" not in record
    assert (record["size"], record["sizeleft"]) == (4_000_000_000.0, 1_000_000_000.0)
    assert (record["status"], record["trackedDownloadStatus"]) == ("downloading", "ok")
    movie = embedded["records"][0]["movie"]
    assert (movie["title"], movie["tmdbId"], movie["year"]) == ("Quiet Orbit", 910102, 2021)


async def test_sonarr_queue_embeds_series_and_episode(sonarr: FakeSonarr) -> None:
    show = sonarr.add_series("Northern Lights", tvdb_id=392201, tmdb_id=920201, year=2022)
    episode = sonarr.add_episode(show, 2, 1, "The Thaw", air=datetime.now(UTC))
    sonarr.download(show, episode_id=episode)

    page = (await get(sonarr, "/queue", includeSeries="true", includeEpisode="true")).json()

    (record,) = page["records"]
    assert (record["seriesId"], record["episodeId"], record["seasonNumber"]) == (show, episode, 2)
    assert (record["series"]["tvdbId"], record["series"]["tmdbId"]) == (392201, 920201)
    assert record["episode"]["episodeNumber"] == 1 and page["pageSize"] == 10  # Arr's default


async def test_a_failed_download_is_said_three_ways(radarr: FakeRadarr) -> None:
    radarr.mark_failed(radarr.download(radarr.add_movie("Static", tmdb_id=910118, year=2007)))

    (record,) = (await get(radarr, "/queue")).json()["records"]

    assert (record["status"], record["trackedDownloadStatus"], record["trackedDownloadState"]) == (
        "failed", "error", "failed"
    )  # fmt: skip
    assert record["statusMessages"][0]["messages"] == ["Download failed"]


async def test_calendar_honours_the_range(sonarr: FakeSonarr, radarr: FakeRadarr) -> None:
    now = datetime.now(UTC)
    show = sonarr.add_series("Northern Lights", tvdb_id=1, tmdb_id=2, year=2022)
    sonarr.add_episode(show, 1, 1, "Soon", air=now + timedelta(days=1))
    sonarr.add_episode(show, 1, 2, "Later", air=now + timedelta(days=30))
    radarr.add_movie("Glass Harbour", tmdb_id=3, year=2027, release=now + timedelta(days=2))
    window = {"start": now.isoformat(), "end": (now + timedelta(days=7)).isoformat()}

    episodes = (await get(sonarr, "/calendar", includeSeries="true", **window)).json()
    movies = (await get(radarr, "/calendar", **window)).json()

    assert [(e["title"], e["series"]["title"]) for e in episodes] == [("Soon", "Northern Lights")]
    assert {"airDateUtc", "seasonNumber", "episodeNumber", "hasFile"} <= set(episodes[0])
    assert [(m["title"], m["tmdbId"]) for m in movies] == [("Glass Harbour", 3)]
    assert movies[0]["digitalRelease"].endswith("Z")


async def test_wanted_missing_counts_monitored_titles_without_a_file(sonarr: FakeSonarr) -> None:
    show = sonarr.add_series("Northern Lights", tvdb_id=1, tmdb_id=2, year=2022)
    past = datetime.now(UTC) - timedelta(days=3)
    sonarr.add_episode(show, 1, 1, "Have", air=past, has_file=True)
    sonarr.add_episode(show, 1, 2, "Lack", air=past)
    sonarr.add_episode(show, 1, 3, "Not aired", air=past + timedelta(days=30))

    page = (await get(sonarr, "/wanted/missing", page=1, pageSize=1)).json()

    assert set(page) == PAGED and page["totalRecords"] == 1
    assert page["records"][0]["title"] == "Lack"


@pytest.mark.parametrize("key", ["", "wrong"])
async def test_a_missing_or_wrong_key_is_401(radarr: FakeRadarr, key: str) -> None:
    answer = await get(radarr, "/system/status", key=key)

    assert answer.status_code == 401 and answer.content == b""


async def test_system_status_names_the_app(sonarr: FakeSonarr, radarr: FakeRadarr) -> None:
    first = (await get(sonarr, "/system/status")).json()
    second = (await get(radarr, "/system/status")).json()

    assert (first["appName"], first["version"][0]) == ("Sonarr", "4")
    assert (second["appName"], second["version"][0]) == ("Radarr", "5")
