"""The client and the probe against the stand-in, through a real ServiceClient."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from medianest.sdk import Connection, ServiceAuthFailed, ServiceDown, ServiceResponseError
from medianest_tautulli import probes
from medianest_tautulli.client import Tautulli, activity_view
from medianest_tautulli.testing import FakeTautulli


async def test_the_probe_reads_version_activity_and_history(
    core: SimpleNamespace, connection: Connection, tautulli: FakeTautulli
) -> None:
    tautulli.add_history("friend", "Signal Lost", progress=64)
    tautulli.play("owner", "Quiet Orbit", progress=12, player="Shield")

    result = await probes.check(core, connection)

    assert result.status == "online" and result.error is None
    assert result.data["version"] == tautulli.version
    assert result.data["activity"] == {
        "stream_count": 1,
        "transcodes": 0,
        "sessions": [
            {
                "user": "owner",
                "title": "Quiet Orbit",
                "media_type": "movie",
                "state": "playing",
                "progress": 12,
                "player": "Shield",
                "transcoding": False,
            }
        ],
    }
    history = result.data["history"]
    assert history["total"] == 1
    assert [(p["user"], p["title"], p["percent_complete"]) for p in history["plays"]] == [
        ("friend", "Signal Lost", 64)
    ]
    (request,) = tautulli.logged("/api/v2")[:1]
    assert request.query["cmd"] == "get_tautulli_info"


async def test_history_length_comes_from_the_connection(
    core: SimpleNamespace, tautulli: FakeTautulli
) -> None:
    for n in range(4):
        tautulli.add_history("friend", f"Film {n}", ago=1000 - n)
    connection = Connection(
        name="tautulli", url=tautulli.url, api_key=tautulli.api_key, config={"history_length": 2}
    )

    result = await probes.check(core, connection)

    assert [p["title"] for p in result.data["history"]["plays"]] == ["Film 3", "Film 2"]
    assert result.data["history"]["total"] == 4


async def test_a_wrong_key_is_refused_and_never_shown(
    core: SimpleNamespace, tautulli: FakeTautulli
) -> None:
    wrong = Connection(name="tautulli", url=tautulli.url, api_key="not-the-key-0123")

    with pytest.raises(ServiceAuthFailed) as refused:
        await probes.check(core, wrong)

    assert "not-the-key-0123" not in str(refused.value)


async def test_an_old_tautullis_error_result_also_means_the_key_is_refused(
    core: SimpleNamespace, tautulli: FakeTautulli
) -> None:
    client = Tautulli(core.http, tautulli.url, "")  # no key: 200 with "apikey is required"

    with pytest.raises(ServiceAuthFailed):
        await client.command("get_activity")


async def test_something_that_is_not_tautulli_is_an_unexpected_answer(
    core: SimpleNamespace, tautulli: FakeTautulli
) -> None:
    client = Tautulli(core.http, f"{tautulli.url}/elsewhere", tautulli.api_key)

    with pytest.raises(ServiceResponseError):
        await client.command("get_activity")


async def test_an_unknown_command_is_an_error_not_a_refused_key(
    core: SimpleNamespace, tautulli: FakeTautulli
) -> None:
    with pytest.raises(ServiceResponseError):
        await Tautulli(core.http, tautulli.url, tautulli.api_key).command("no_such_command")


async def test_a_dead_tautulli_is_service_down(
    core: SimpleNamespace, connection: Connection, tautulli: FakeTautulli
) -> None:
    tautulli.fail(502)

    with pytest.raises(ServiceDown):
        await probes.check(core, connection)


async def test_no_key_is_unknown_without_a_call(
    core: SimpleNamespace, tautulli: FakeTautulli
) -> None:
    result = await probes.check(core, Connection(name="tautulli", url=tautulli.url))

    assert result.status == "unknown" and "API key" in (result.error or "")
    assert tautulli.request_log == []


def test_odd_values_are_read_leniently() -> None:
    view = activity_view(
        {
            "stream_count": "",
            "sessions": [{"progress_percent": "250", "state": "weird"}, "not a session"],
        }
    )

    assert view["stream_count"] == 1
    (session,) = view["sessions"]
    assert (session["user"], session["title"], session["progress"], session["state"]) == (
        "Someone", "Untitled", 100, "playing"
    )  # fmt: skip
