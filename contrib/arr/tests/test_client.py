"""The probes and the download capability against the stand-ins, through a real ServiceClient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from medianest.sdk import Connection, ServiceAuthFailed, ServiceResponseError
from medianest_arr.config import RADARR, SONARR
from medianest_arr.probes import check_app
from medianest_arr.progress import combined
from medianest_arr.testing import FakeRadarr, FakeSonarr


def connection_to(fake: FakeRadarr | FakeSonarr, **config: int) -> Connection:
    return Connection(name=fake.label, url=fake.url, api_key=fake.api_key, config=config)


async def test_radarr_probe_reads_queue_upcoming_and_missing(
    core: SimpleNamespace, radarr: FakeRadarr
) -> None:
    film = radarr.add_movie("Deep Field", tmdb_id=910111, year=2023)
    broken = radarr.add_movie("Static", tmdb_id=910118, year=2007)
    radarr.add_movie(
        "Glass Harbour", tmdb_id=3, year=2027, release=datetime.now(UTC) + timedelta(days=2)
    )
    radarr.download(film, size=8_000_000_000, left=2_000_000_000)
    radarr.mark_failed(radarr.download(broken))

    result = await check_app(RADARR, core, connection_to(radarr))

    assert result.status == "online" and result.data["version"] == radarr.version
    queue = result.data["queue"]
    assert (queue["total"], queue["failed"]) == (2, 1)
    first = queue["items"][0]
    assert (first["title"], first["status"], first["progress"], first["tmdb_id"]) == (
        "Deep Field", "downloading", 75.0, 910111
    )  # fmt: skip
    assert first["time_left"] and first["release"].startswith("Deep.Field")
    assert [u["title"] for u in result.data["upcoming"]] == ["Glass Harbour"]
    assert result.data["missing"] == 2  # both films lack their file
    (queue_call,) = radarr.logged("/api/v3/queue")
    assert queue_call.query["includeMovie"] == "true" and queue_call.query["pageSize"] == "20"
    assert queue_call.header("X-Api-Key") == radarr.api_key and "apikey" not in queue_call.query


async def test_sonarr_probe_names_episodes_and_honours_its_options(
    core: SimpleNamespace, sonarr: FakeSonarr
) -> None:
    show = sonarr.add_series("Northern Lights", tvdb_id=392201, tmdb_id=920201, year=2022)
    now = datetime.now(UTC)
    sonarr.add_episode(show, 2, 2, "Breakup", air=now + timedelta(days=1))
    sonarr.add_episode(show, 2, 3, "Far Away", air=now + timedelta(days=20))
    sonarr.download(
        show, episode_id=sonarr.add_episode(show, 2, 1, "Thaw", air=now - timedelta(days=1))
    )

    result = await check_app(SONARR, core, connection_to(sonarr, upcoming_days=3, queue_size=5))

    (item,) = result.data["queue"]["items"]
    assert (item["title"], item["tmdb_id"], item["tvdb_id"]) == ("Northern Lights", 920201, 392201)
    assert [(u["title"], u["detail"]) for u in result.data["upcoming"]] == [
        ("Northern Lights", "S02E02 · Breakup")
    ]
    assert sonarr.logged("/api/v3/queue")[0].query["includeSeries"] == "true"


async def test_a_wrong_key_is_refused(core: SimpleNamespace, radarr: FakeRadarr) -> None:
    wrong = Connection(name="radarr", url=radarr.url, api_key="wrong-key-0123456789")

    with pytest.raises(ServiceAuthFailed) as refused:
        await check_app(RADARR, core, wrong)

    assert "wrong-key-0123456789" not in str(refused.value)


async def test_a_url_where_arr_does_not_answer_is_an_error(
    core: SimpleNamespace, sonarr: FakeSonarr
) -> None:
    elsewhere = Connection(name="sonarr", url=f"{sonarr.url}/not-sonarr", api_key=sonarr.api_key)

    with pytest.raises(ServiceResponseError):
        await check_app(SONARR, core, elsewhere)


async def test_no_connection_is_unknown_without_a_call(
    core: SimpleNamespace, radarr: FakeRadarr
) -> None:
    result = await check_app(RADARR, core, Connection(name="radarr", url=radarr.url))

    assert result.status == "unknown" and "Radarr" in (result.error or "")
    assert radarr.request_log == []


def test_a_shows_episodes_add_up_and_report_the_worst_state() -> None:
    state = combined(
        [
            {
                "title": "Show",
                "status": "downloading",
                "size_bytes": 100,
                "left_bytes": 50,
                "time_left": "00:05:00",
            },
            {
                "title": "Show",
                "status": "warning",
                "size_bytes": 300,
                "left_bytes": 0,
                "time_left": None,
            },
        ],
        "Sonarr",
    )

    assert (state.status, state.progress, state.left_bytes) == ("warning", 87.5, 50)
    assert (state.time_left, state.source) == ("00:05:00", "Sonarr")
