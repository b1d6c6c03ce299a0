"""The stand-in answers as Tautulli's API v2 does (API.md and plexpy/api2.py of Tautulli 2.x):
the envelope, the commands MediaNest calls with their field names and types, and its errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from medianest_tautulli.testing import DEFAULT_API_KEY, FakeTautulli

SESSION_FIELDS = {
    "session_key", "user", "user_id", "friendly_name", "full_title", "title", "parent_title",
    "grandparent_title", "media_type", "state", "progress_percent", "player", "platform",
    "product", "year", "transcode_decision", "rating_key", "thumb", "duration", "view_offset",
}  # fmt: skip
HISTORY_FIELDS = {
    "row_id", "reference_id", "id", "date", "started", "stopped", "user", "user_id",
    "friendly_name", "full_title", "title", "parent_title", "grandparent_title", "media_type",
    "year", "player", "platform", "percent_complete", "watched_status", "rating_key",
    "transcode_decision",
}  # fmt: skip


async def call(tautulli: FakeTautulli, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{tautulli.url}/api/v2", params=params)


def response_of(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    assert set(body) == {"response"}
    assert set(body["response"]) == {"result", "message", "data"}
    return body["response"]


async def test_activity_has_tautullis_fields_and_string_numbers(tautulli: FakeTautulli) -> None:
    tautulli.play("friend", "Quiet Orbit", year=2021, progress=40)
    episode = tautulli.play(
        "owner",
        "The Thaw",
        media_type="episode",
        show="Northern Lights",
        transcode_decision="transcode",
    )
    tautulli.pause(episode)

    response = response_of(await call(tautulli, apikey=DEFAULT_API_KEY, cmd="get_activity"))

    assert (response["result"], response["message"]) == ("success", None)
    data = response["data"]
    assert data["stream_count"] == "2"  # Tautulli sends the count as a string
    assert (data["stream_count_direct_play"], data["stream_count_transcode"]) == (1, 1)
    movie, show = data["sessions"]
    assert set(movie) >= SESSION_FIELDS
    assert (movie["full_title"], movie["progress_percent"], movie["state"]) == (
        "Quiet Orbit", "40", "playing"
    )  # fmt: skip
    assert (show["full_title"], show["grandparent_title"], show["state"]) == (
        "Northern Lights - The Thaw", "Northern Lights", "paused"
    )  # fmt: skip


async def test_history_is_newest_first_and_honours_length(tautulli: FakeTautulli) -> None:
    tautulli.add_history("friend", "Old", ago=9000)
    tautulli.add_history("owner", "Middle", ago=5000)
    playing = tautulli.play("owner", "Newest", progress=90)
    tautulli.end(playing)

    response = response_of(
        await call(tautulli, apikey=DEFAULT_API_KEY, cmd="get_history", length=2)
    )

    data = response["data"]
    assert (data["recordsTotal"], data["recordsFiltered"]) == (3, 3)
    assert [row["full_title"] for row in data["data"]] == ["Newest", "Middle"]
    assert set(data["data"][0]) >= HISTORY_FIELDS
    assert data["data"][0]["watched_status"] == 1 and data["data"][0]["percent_complete"] == 90
    assert isinstance(data["data"][0]["date"], int)


async def test_info_names_tautullis_version(tautulli: FakeTautulli) -> None:
    response = response_of(await call(tautulli, apikey=DEFAULT_API_KEY, cmd="get_tautulli_info"))

    assert response["data"]["tautulli_version"].startswith("v2.")


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"cmd": "get_activity"}, 200, "Parameter apikey is required"),
        ({"apikey": "wrong", "cmd": "get_activity"}, 401, "Invalid apikey"),
        ({"apikey": DEFAULT_API_KEY, "cmd": "nope"}, 200, "Unknown command: nope"),
    ],
)
async def test_errors_are_tautullis(
    tautulli: FakeTautulli, params: dict[str, str], status: int, message: str
) -> None:
    answer = await call(tautulli, **params)

    assert answer.status_code == status
    response = response_of(answer)
    assert (response["result"], response["message"], response["data"]) == ("error", message, {})
