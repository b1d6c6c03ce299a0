"""Fidelity of the plex.tv and Plex Media Server stand-ins.

python-plexapi, a real client written against the real services, is the referee wherever it
covers an endpoint; the rest is checked over plain HTTP against the documented wire format.
"""

from __future__ import annotations

import asyncio
import gc
import json
import struct
import threading
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin
from plexapi.server import PlexServer

from medianest_plex.testing import FakePlexServer, FakePlexTV, PlexHousehold

JSON = {"Accept": "application/json"}


def owner_headers(pms: FakePlexServer, **extra: str) -> dict[str, str]:
    return {"X-Plex-Token": pms.owner_token, **extra}


def library_uri(pms: FakePlexServer, *keys: int) -> str:
    ids = ",".join(str(key) for key in keys)
    return f"server://{pms.machine_identifier}/com.plexapp.plugins.library/library/metadata/{ids}"


def title_order(title: str) -> str:
    """Plex's title sort, written independently of the stand-in's."""
    lowered = title.lower()
    for article in ("the ", "a ", "an "):
        if lowered.startswith(article):
            return lowered[len(article) :]
    return lowered


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    assert body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


def xml_as_json(element: ET.Element) -> dict:
    """The JSON shape of a Plex XML element: attributes, children grouped by tag."""
    body: dict = dict(element.attrib)
    for child in element:
        if child.tag == "Meta":  # the one element Plex's JSON writes as an object
            body["Meta"] = xml_as_json(child)
            continue
        key = "Metadata" if child.tag in {"Video", "Track"} or child.get("ratingKey") else child.tag
        body.setdefault(key, []).append(xml_as_json(child))
    return body


def json_as_xml_strings(value):
    """JSON values as XML writes them: booleans 1/0, numbers as text."""
    if isinstance(value, dict):
        return {key: json_as_xml_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_as_xml_strings(item) for item in value]
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# ----- Plex Media Server, through python-plexapi ---------------------------------------------
def test_plexapi_reads_server_and_sections(household: PlexHousehold) -> None:
    pms = household.server
    plex = PlexServer(pms.url, pms.owner_token)

    assert plex.machineIdentifier == pms.machine_identifier
    assert plex.friendlyName == "MediaNest Demo"
    assert plex.identity().machineIdentifier == pms.machine_identifier
    sections = {section.title: section for section in plex.library.sections()}
    assert {title: s.type for title, s in sections.items()} == {
        "Movies": "movie",
        "TV Shows": "show",
        "Music": "artist",
        "YouTube": "movie",
    }
    assert sections["Movies"].locations == ["/data/movies"]
    assert sections["Movies"].totalViewSize() == 250


def test_plexapi_pages_through_a_section(household: PlexHousehold) -> None:
    pms = household.server
    movies = PlexServer(pms.url, pms.owner_token).library.section("Movies")
    pms.clear_requests()

    everything = movies.all(container_size=40)

    assert len(everything) == 250
    assert len({movie.ratingKey for movie in everything}) == 250
    titles = [movie.title for movie in everything]
    assert titles == sorted(titles, key=title_order)
    pages = pms.requests_to(f"/library/sections/{household.movies.id}/all")
    assert [int(r.headers["x-plex-container-start"]) for r in pages] == list(range(0, 250, 40))


def test_plexapi_fetches_items_and_children(household: PlexHousehold) -> None:
    pms = household.server
    plex = PlexServer(pms.url, pms.owner_token)
    movie = plex.library.section("Movies").all()[17]

    fetched = plex.fetchItem(movie.ratingKey)
    assert (fetched.title, fetched.year) == (movie.title, movie.year)
    assert fetched.librarySectionID == household.movies.id
    assert fetched.media[0].parts[0].file.startswith("/data/movies/")

    show = plex.library.section("TV Shows").all()[3]
    seasons = show.seasons()
    assert [season.index for season in seasons] == [1, 2]
    episodes = seasons[1].episodes()
    assert [(e.parentIndex, e.index) for e in episodes] == [(2, 1), (2, 2), (2, 3)]
    assert all(e.grandparentTitle == show.title for e in episodes)
    assert len(show.episodes()) == 6
    with pytest.raises(NotFound):
        plex.fetchItem(999_999_999)


def test_plexapi_sorts_and_filters_by_title(household: PlexHousehold) -> None:
    pms = household.server
    added = pms.add_file_item(
        household.movies, "/data/movies/New Arrival.mkv", "The Newest Arrival"
    )
    movies = PlexServer(pms.url, pms.owner_token).library.section("Movies")

    newest = movies.search(sort="addedAt:desc", maxresults=3)
    assert newest[0].ratingKey == added.rating_key
    assert newest[1].addedAt >= newest[2].addedAt

    descending = movies.search(sort="titleSort:desc", maxresults=5)
    ascending = movies.search(sort="titleSort", container_size=300)
    assert [m.title for m in descending] == [m.title for m in reversed(ascending)][:5]

    matches = movies.search(title="newest arr")
    assert [m.title for m in matches] == ["The Newest Arrival"]
    amber = movies.search(title="AMBER")
    assert amber and all("amber" in m.title.lower() for m in amber)


def test_plexapi_creates_and_extends_collections(household: PlexHousehold) -> None:
    pms = household.server
    movies = PlexServer(pms.url, pms.owner_token).library.section("Movies")
    first, second, third = movies.all()[:3]

    created = movies.createCollection("Favourites", items=[first, second])
    assert (created.title, created.childCount, created.smart) == ("Favourites", 2, False)
    created.addItems([third, first])  # adding one twice keeps one copy

    collection = movies.collection("Favourites")
    assert [m.ratingKey for m in collection.items()] == [
        first.ratingKey,
        second.ratingKey,
        third.ratingKey,
    ]
    assert [c.title for c in movies.collections()] == ["Favourites"]
    assert pms.collection("Favourites").item_keys == [
        first.ratingKey,
        second.ratingKey,
        third.ratingKey,
    ]
    assert [c.tag for c in movies.fetchItem(first.ratingKey).collections] == ["Favourites"]


def test_plexapi_refresh_scans_only_the_requested_folder(household: PlexHousehold) -> None:
    pms = household.server
    pms.stage_file(household.videos, "/data/youtube/7/Mix/Song One [abc].mp4")
    pms.stage_file(household.videos, "/data/youtube/8/Other/Clip [def].mp4")
    videos = PlexServer(pms.url, pms.owner_token).library.section("YouTube")
    assert videos.all() == []

    videos.update(path="/data/youtube/7/Mix")

    assert pms.scans[-1].section_id == household.videos.id
    assert pms.scans[-1].path == "/data/youtube/7/Mix"
    found = videos.all()
    assert [(m.title, m.media[0].parts[0].file) for m in found] == [
        ("Song One [abc]", "/data/youtube/7/Mix/Song One [abc].mp4")
    ]


def test_a_scan_finds_real_files_inside_the_section_only(tmp_path: Path) -> None:
    inside, outside = tmp_path / "library", tmp_path / "elsewhere"
    (inside / "Playlist").mkdir(parents=True)
    outside.mkdir()
    (inside / "Playlist" / "First [a1].mp4").write_bytes(b"\0")
    (inside / "Playlist" / "notes.txt").write_text("not media")
    (outside / "Stray [b2].mp4").write_bytes(b"\0")
    pms = FakePlexServer()
    section = pms.add_section("Videos", location=str(inside))
    with pms:
        for path in (str(inside / "Playlist"), str(outside)):
            response = httpx.get(
                f"{pms.url}/library/sections/{section.id}/refresh",
                params={"path": path},
                headers=owner_headers(pms),
            )
            assert response.status_code == 200
    assert [item.title for item in pms.items(section)] == ["First [a1]"]
    assert [scan.path for scan in pms.scans] == [str(inside / "Playlist"), str(outside)]


def test_shared_user_sees_only_shared_sections(household: PlexHousehold) -> None:
    pms = household.server
    friend = PlexServer(pms.url, household.friend_token)

    assert sorted(s.title for s in friend.library.sections()) == ["Movies", "TV Shows"]
    music_item = pms.items(household.music)[0]
    with pytest.raises(NotFound):
        friend.fetchItem(music_item.rating_key)
    with pytest.raises(Unauthorized):
        friend.library.section("Movies").createCollection(
            "Mine", items=friend.library.section("Movies").all()[:1]
        )
    with pytest.raises(Unauthorized):
        PlexServer(pms.url, household.stranger.token)


# ----- Plex Media Server, over HTTP ------------------------------------------------------------
async def test_a_deep_page_of_a_huge_section() -> None:
    async with FakePlexServer() as pms:
        big = pms.add_section("Everything", items=100_000)
        url = f"{pms.url}/library/sections/{big.id}/all"
        async with httpx.AsyncClient() as client:
            by_header = await client.get(
                url,
                headers=owner_headers(
                    pms,
                    **JSON,
                    **{"X-Plex-Container-Start": "99950", "X-Plex-Container-Size": "50"},
                ),
            )
            by_query = await client.get(
                url,
                params={"X-Plex-Container-Start": 99950, "X-Plex-Container-Size": 50},
                headers=owner_headers(pms, **JSON),
            )
            beyond = await client.get(
                url,
                params={"X-Plex-Container-Start": 100_000, "X-Plex-Container-Size": 50},
                headers=owner_headers(pms, **JSON),
            )
    assert by_header.status_code == 200
    container = by_header.json()["MediaContainer"]
    assert (container["totalSize"], container["size"], container["offset"]) == (100_000, 50, 99950)
    assert by_header.headers["X-Plex-Container-Total-Size"] == "100000"
    assert by_header.headers["X-Plex-Container-Start"] == "99950"
    expected = [pms.items(big)[i] for i in range(99950, 100_000)]
    assert [m["ratingKey"] for m in container["Metadata"]] == [
        str(item.rating_key) for item in expected
    ]
    assert [m["title"] for m in container["Metadata"]] == [item.title for item in expected]
    assert by_query.json() == by_header.json()
    assert beyond.json()["MediaContainer"]["size"] == 0
    assert "Metadata" not in beyond.json()["MediaContainer"]


def test_huge_sections_are_computed_not_stored() -> None:
    gc.collect()
    tracemalloc.start()
    try:
        one = FakePlexServer()
        big = one.add_section("Everything", items=100_000)
        items = one.items(big)
        page = [items[i] for i in range(99_950, 100_000)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Making the section and reading a deep page cost what the page costs, far below the
    # tens of megabytes 100,000 stored items would take.
    assert peak < 2_000_000
    assert len(items) == 100_000 and not isinstance(items, list)
    assert [item.rating_key for item in page] == list(
        range(big.first_key + 99_950, big.first_key + 100_000)
    )
    # Items are a function of their index: another server computes the very same ones.
    other = FakePlexServer()
    same = other.add_section("Everything", items=100_000)
    assert [other.items(same)[i] for i in range(99_950, 100_000)] == page


async def test_paging_parameters_are_checked() -> None:
    async with FakePlexServer() as pms:
        section = pms.add_section("Movies", items=10)
        url = f"{pms.url}/library/sections/{section.id}/all"
        async with httpx.AsyncClient(headers=owner_headers(pms)) as client:
            bad_start = await client.get(url, params={"X-Plex-Container-Start": "x"})
            negative = await client.get(url, headers={"X-Plex-Container-Size": "-1"})
            bad_sort = await client.get(url, params={"sort": "rating:desc"})
            unpaged = await client.get(url, headers=JSON)
            size_zero = await client.get(url, params={"X-Plex-Container-Size": 0}, headers=JSON)
    assert [bad_start.status_code, negative.status_code, bad_sort.status_code] == [400, 400, 400]
    assert unpaged.json()["MediaContainer"]["size"] == 10
    assert "totalSize" not in unpaged.json()["MediaContainer"]
    assert "X-Plex-Container-Total-Size" not in unpaged.headers
    assert size_zero.json()["MediaContainer"]["totalSize"] == 10
    assert size_zero.json()["MediaContainer"]["size"] == 0


@pytest.mark.parametrize(
    ("sort", "field", "reverse"),
    [
        ("titleSort", "title", False),
        ("titleSort:desc", "title", True),
        ("addedAt:desc", "addedAt", True),
        ("year", "year", False),
    ],
)
async def test_sorting_merges_added_items_into_generated_ones(
    sort: str, field: str, reverse: bool
) -> None:
    async with FakePlexServer() as pms:
        section = pms.add_section("Movies", items=60)
        for title in ("The Zebra Crossing", "aardvark", "Middle Of The Road", "An Amber Thing"):
            pms.add_file_item(section, f"/data/movies/{title}.mkv", title)
        url = f"{pms.url}/library/sections/{section.id}/all"
        seen: list[dict] = []
        async with httpx.AsyncClient(headers=owner_headers(pms, **JSON)) as client:
            for start in range(0, 64, 7):
                response = await client.get(
                    url,
                    params={
                        "sort": sort,
                        "X-Plex-Container-Start": start,
                        "X-Plex-Container-Size": 7,
                    },
                )
                seen += response.json()["MediaContainer"]["Metadata"]
    assert len(seen) == 64 == len({m["ratingKey"] for m in seen})
    values = [title_order(m["title"]) if field == "title" else m[field] for m in seen]
    assert values == sorted(values, reverse=reverse)


async def test_title_filter_counts_only_matches() -> None:
    async with FakePlexServer() as pms:
        section = pms.add_section("Movies", items=["Alien", "Aliens", "Heat", "The Alienist"])
        async with httpx.AsyncClient(headers=owner_headers(pms, **JSON)) as client:
            response = await client.get(
                f"{pms.url}/library/sections/{section.id}/all",
                params={"title": "ALIEN", "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 2},
            )
    container = response.json()["MediaContainer"]
    assert container["totalSize"] == 3
    assert [m["title"] for m in container["Metadata"]] == ["Alien", "The Alienist"]


async def test_xml_and_json_forms_agree() -> None:
    async with FakePlexServer() as pms:
        shows = pms.add_section("TV Shows", "show", items=5)
        movies = pms.add_section("Movies", items=5)
        pms.add_file_item(movies, '/data/movies/Tom & "Jerry" <3>.mkv', 'Tom & "Jerry" <3>')
        first = pms.items(movies)[0]
        async with httpx.AsyncClient(headers=owner_headers(pms)) as client:
            created = await client.post(
                f"{pms.url}/library/collections",
                params={
                    "type": 1,
                    "title": "Picks",
                    "smart": 0,
                    "sectionId": movies.id,
                    "uri": library_uri(pms, first.rating_key),
                },
            )
            assert created.status_code == 200
            paths = [
                "/identity",
                "/library/sections",
                f"/library/sections/{shows.id}/all?X-Plex-Container-Start=1&X-Plex-Container-Size=2",
                f"/library/metadata/{first.rating_key}",
                f"/library/metadata/{pms.items(shows)[2].rating_key}/children",
                f"/library/sections/{movies.id}/all?includeMeta=1",
                f"/library/sections/{movies.id}/collections",
            ]
            for path in paths:
                as_xml = await client.get(pms.url + path)
                as_json = await client.get(pms.url + path, headers=JSON)
                assert as_xml.headers["content-type"].startswith("text/xml")
                assert as_json.headers["content-type"] == "application/json"
                root = ET.fromstring(as_xml.text)
                assert root.tag == "MediaContainer"
                assert xml_as_json(root) == json_as_xml_strings(as_json.json()["MediaContainer"]), (
                    path
                )
    movie = as_json.json()["MediaContainer"]["Metadata"][0]
    assert isinstance(movie["ratingKey"], str) and isinstance(movie["childCount"], int)
    assert movie["smart"] is False


async def test_long_unpaged_listings_stream_in_both_forms() -> None:
    async with FakePlexServer() as pms:
        section = pms.add_section("Shows", "show", items=300)
        url = f"{pms.url}/library/sections/{section.id}/all"
        async with httpx.AsyncClient(headers=owner_headers(pms)) as client:
            episodes_xml = await client.get(url, params={"type": 4})
            episodes_json = await client.get(url, params={"type": 4}, headers=JSON)
    root = ET.fromstring(episodes_xml.text)
    container = episodes_json.json()["MediaContainer"]
    assert (
        len(root)
        == int(root.get("size"))
        == 1800
        == container["size"]
        == len(container["Metadata"])
    )
    assert xml_as_json(root) == json_as_xml_strings(container)
    assert {m["type"] for m in container["Metadata"]} == {"episode"}
    assert "content-length" not in episodes_json.headers  # sent as it is written


async def test_every_route_but_identity_needs_a_valid_token() -> None:
    async with FakePlexServer() as pms:
        section = pms.add_section("Movies", items=3)
        item = pms.items(section)[0]
        async with httpx.AsyncClient() as client:
            identity = await client.get(f"{pms.url}/identity")
            no_token = await client.get(f"{pms.url}/library/sections")
            wrong = await client.get(
                f"{pms.url}/library/sections", headers={"X-Plex-Token": "nope"}
            )
            image = await client.get(f"{pms.url}/library/metadata/{item.rating_key}/thumb/1")
            by_query = await client.get(
                f"{pms.url}/library/sections", params={"X-Plex-Token": pms.owner_token}
            )
    assert identity.status_code == 200
    assert [no_token.status_code, wrong.status_code, image.status_code] == [401, 401, 401]
    assert by_query.status_code == 200
    assert pms.requests[-1].token == pms.owner_token


async def test_shared_and_revoked_tokens() -> None:
    async with FakePlexServer() as pms:
        movies = pms.add_section("Movies", items=3)
        music = pms.add_section("Music", "artist", items=3)
        token = pms.share([movies])
        hidden = pms.items(music)[0]
        async with httpx.AsyncClient(headers={"X-Plex-Token": token, **JSON}) as client:
            sections = (await client.get(f"{pms.url}/library/sections")).json()["MediaContainer"]
            unshared = await client.get(f"{pms.url}/library/sections/{music.id}/all")
            item = await client.get(f"{pms.url}/library/metadata/{hidden.rating_key}")
            thumb = await client.get(f"{pms.url}/library/metadata/{hidden.rating_key}/thumb/1")
            recent = (await client.get(f"{pms.url}/library/recentlyAdded")).json()["MediaContainer"]
            refresh = await client.get(f"{pms.url}/library/sections/{movies.id}/refresh")
            pms.unshare(token)
            after = await client.get(f"{pms.url}/library/sections")
    assert [d["title"] for d in sections["Directory"]] == ["Movies"]
    assert [unshared.status_code, item.status_code, thumb.status_code] == [404, 404, 404]
    assert {m["librarySectionID"] for m in recent["Metadata"]} == {movies.id}
    assert refresh.status_code == 401 and pms.scans == []
    assert after.status_code == 401


async def test_collection_requests_are_validated() -> None:
    async with FakePlexServer() as pms:
        movies = pms.add_section("Movies", items=5)
        shows = pms.add_section("Shows", "show", items=2)
        movie, show = pms.items(movies)[0], pms.items(shows)[0]
        base = {"type": 1, "title": "Picks", "smart": 0, "sectionId": movies.id}
        url = f"{pms.url}/library/collections"
        async with httpx.AsyncClient(headers=owner_headers(pms, **JSON)) as client:
            other_server = await client.post(
                url,
                params={
                    **base,
                    "uri": library_uri(pms, 1).replace(pms.machine_identifier, "f" * 40),
                },
            )
            no_title = await client.post(
                url, params={**base, "title": " ", "uri": library_uri(pms, movie.rating_key)}
            )
            bad_section = await client.post(
                url, params={**base, "sectionId": 99, "uri": library_uri(pms, movie.rating_key)}
            )
            smart = await client.post(
                url, params={**base, "smart": 1, "uri": library_uri(pms, movie.rating_key)}
            )
            created = await client.post(
                url,
                params={**base, "uri": library_uri(pms, movie.rating_key, show.rating_key, 424242)},
            )
            collection = created.json()["MediaContainer"]["Metadata"][0]
            key = collection["ratingKey"]
            removed = await client.delete(
                f"{pms.url}/library/collections/{key}/items/{movie.rating_key}"
            )
            listed = await client.get(
                f"{pms.url}/library/sections/{movies.id}/all", params={"type": 18}
            )
            deleted = await client.delete(f"{pms.url}/library/metadata/{key}")
            gone = await client.get(f"{pms.url}/library/collections/{key}")
    assert [
        other_server.status_code,
        no_title.status_code,
        bad_section.status_code,
        smart.status_code,
    ] == [400] * 4
    assert created.status_code == 200
    assert (collection["title"], collection["subtype"], collection["childCount"]) == (
        "Picks",
        "movie",
        1,
    )
    assert removed.json()["MediaContainer"]["Metadata"][0]["childCount"] == 0
    assert [c["title"] for c in listed.json()["MediaContainer"]["Metadata"]] == ["Picks"]
    assert (deleted.status_code, gone.status_code) == (200, 404)


async def test_images_are_real_pngs() -> None:
    async with FakePlexServer() as pms:
        section = pms.add_section("Movies", items=2)
        item = pms.items(section)[1]
        async with httpx.AsyncClient(headers=owner_headers(pms)) as client:
            thumb = await client.get(
                f"{pms.url}/library/metadata/{item.rating_key}/thumb/{item.added_at}"
            )
            resized = await client.get(
                f"{pms.url}/photo/:/transcode",
                params={
                    "url": f"/library/metadata/{item.rating_key}/thumb/{item.added_at}",
                    "width": 60,
                    "height": 90,
                },
            )
            no_url = await client.get(f"{pms.url}/photo/:/transcode")
            unknown = await client.get(
                f"{pms.url}/photo/:/transcode", params={"url": "/library/metadata/777777/thumb/1"}
            )
            too_big = await client.get(
                f"{pms.url}/photo/:/transcode",
                params={"url": f"/library/metadata/{item.rating_key}/art/1", "width": 9000},
            )
    assert thumb.headers["content-type"] == "image/png" and png_size(thumb.content) == (200, 300)
    assert png_size(resized.content) == (60, 90)
    assert [no_url.status_code, unknown.status_code, too_big.status_code] == [400, 404, 400]


async def test_delayed_scan_shows_refreshing_until_done() -> None:
    async with FakePlexServer(scan_delay=0.05) as pms:
        section = pms.add_section("Videos", location="/videos")
        pms.stage_file(section, "/videos/a/One.mp4")
        async with httpx.AsyncClient(headers=owner_headers(pms, **JSON)) as client:
            await client.post(
                f"{pms.url}/library/sections/{section.id}/refresh", params={"path": "/videos/a"}
            )
            during = (await client.get(f"{pms.url}/library/sections")).json()["MediaContainer"][
                "Directory"
            ][0]
            for _ in range(200):
                if len(pms.items(section)):
                    break
                await asyncio.sleep(0.02)
            after = (await client.get(f"{pms.url}/library/sections")).json()["MediaContainer"][
                "Directory"
            ][0]
    assert during["refreshing"] is True
    assert after["refreshing"] is False
    assert [item.title for item in pms.items(section)] == ["One"]
    assert pms.scans[0].method == "POST"


# ----- faults and the request log ---------------------------------------------------------------
async def test_fail_answers_the_status_then_recovers() -> None:
    async with FakePlexServer() as pms, httpx.AsyncClient() as client:
        pms.fail(503)
        failing = [(await client.get(f"{pms.url}/identity")).status_code for _ in range(2)]
        pms.recover()
        recovered = (await client.get(f"{pms.url}/identity")).status_code
        pms.fail(500, times=2)
        counted = [(await client.get(f"{pms.url}/identity")).status_code for _ in range(3)]
    assert failing == [503, 503] and recovered == 200
    assert counted == [500, 500, 200]
    assert len(pms.requests_to("/identity", "GET")) == 6


async def test_hang_holds_requests_until_recover() -> None:
    async with FakePlexServer() as pms, httpx.AsyncClient() as client:
        pms.hang()
        pending = asyncio.create_task(client.get(f"{pms.url}/identity"))
        while not pms.requests_to("/identity"):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert not pending.done()
        pms.recover()
        response = await asyncio.wait_for(pending, 10)
    assert response.status_code == 200


async def test_shutdown_completes_while_a_request_hangs() -> None:
    pms = FakePlexServer()
    await pms.start()
    client = httpx.AsyncClient()
    try:
        pms.hang()
        pending = asyncio.create_task(client.get(f"{pms.url}/identity"))
        while not pms.requests:
            await asyncio.sleep(0.01)
        await asyncio.wait_for(pms.stop(), 10)
        response = await asyncio.wait_for(pending, 10)
    finally:
        await client.aclose()
    assert response.status_code == 503
    assert not pms.running


def test_thread_backed_server_hangs_and_recovers_from_another_thread() -> None:
    results: list[int] = []
    with FakePlexServer() as pms:
        pms.hang()
        worker = threading.Thread(
            target=lambda: results.append(httpx.get(f"{pms.url}/identity", timeout=10).status_code)
        )
        worker.start()
        while not pms.requests:
            threading.Event().wait(0.01)
        assert results == []
        pms.recover()
        worker.join(10)
    assert results == [200]


# ----- plex.tv ------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_pin_flow_with_refusals() -> None:
    clock = Clock()
    async with (
        FakePlexTV(pin_lifetime=1800, clock=clock) as plextv,
        httpx.AsyncClient(base_url=plextv.url) as client,
    ):
        account = plextv.add_account("alice")
        client_headers = {
            "X-Plex-Client-Identifier": "medianest-1",
            "X-Plex-Product": "MediaNest",
            **JSON,
        }

        missing = await client.post("/api/v2/pins", params={"strong": "true"}, headers=JSON)
        created = await client.post(
            "/api/v2/pins", params={"strong": "true"}, headers=client_headers
        )
        pin = created.json()
        waiting = await client.get(f"/api/v2/pins/{pin['id']}", headers=client_headers)
        other_client = await client.get(
            f"/api/v2/pins/{pin['id']}", headers={**client_headers, "X-Plex-Client-Identifier": "x"}
        )
        plextv.link_pin(pin["id"], account)
        linked = await client.get(f"/api/v2/pins/{pin['id']}", headers=client_headers)
        clock.now += 1801
        expired = await client.get(f"/api/v2/pins/{pin['id']}", headers=client_headers)

    assert missing.status_code == 400
    assert missing.json()["errors"][0]["message"] == "X-Plex-Client-Identifier is missing"
    assert created.status_code == 201
    assert len(pin["code"]) == 25 and pin["authToken"] is None and pin["expiresIn"] == 1800
    assert (pin["clientIdentifier"], pin["product"], pin["trusted"]) == (
        "medianest-1",
        "MediaNest",
        False,
    )
    assert waiting.json()["authToken"] is None
    assert other_client.status_code == 404
    assert linked.json()["authToken"] == account.token
    assert expired.status_code == 404


async def test_user_endpoint_and_revocation() -> None:
    async with FakePlexTV() as plextv, httpx.AsyncClient(base_url=plextv.url) as client:
        account = plextv.add_account("alice", email="alice@home.test", home=True)
        as_json = await client.get("/api/v2/user", headers={"X-Plex-Token": account.token, **JSON})
        as_xml = await client.get("/api/v2/user", headers={"X-Plex-Token": account.token})
        legacy = await client.get("/users/account.json", headers={"X-Plex-Token": account.token})
        unknown = await client.get("/api/v2/user", headers={"X-Plex-Token": "nope", **JSON})
        plextv.revoke_token(account.token)
        revoked = await client.get("/api/v2/user", headers={"X-Plex-Token": account.token})
    user = as_json.json()
    assert (user["id"], user["username"], user["email"], user["home"]) == (
        account.id,
        "alice",
        "alice@home.test",
        True,
    )
    assert user["authToken"] == account.token and user["subscription"]["active"] is False
    element = ET.fromstring(as_xml.text)
    assert element.tag == "user"
    assert {k: element.get(k) for k in ("id", "username", "email", "home")} == {
        "id": str(account.id),
        "username": "alice",
        "email": "alice@home.test",
        "home": "1",
    }
    assert element.find("subscription").get("active") == "0"
    assert legacy.json()["user"]["username"] == "alice"
    assert unknown.status_code == 401 and unknown.json()["errors"][0]["status"] == 401
    assert revoked.status_code == 401


def test_plexapi_pin_login_link_and_account(
    household: PlexHousehold, plexapi_on_fake_plextv: str
) -> None:
    login = MyPlexPinLogin()
    code = login.pin
    assert len(code) == 4 and not login.checkLogin()

    person = MyPlexAccount(token=household.friend.token)  # the person, signed in elsewhere
    person.link(code)

    assert login.checkLogin() and login.token == household.friend.token
    assert (person.username, person.email) == ("friend", "friend@example.com")
    with pytest.raises(BadRequest):  # python-plexapi raises BadRequest for a refused poll
        MyPlexPinLogin(headers={"X-Plex-Client-Identifier": ""})._getCode()


def test_plexapi_oauth_pin_is_strong(household: PlexHousehold, plexapi_on_fake_plextv: str) -> None:
    login = MyPlexPinLogin(oauth=True)
    url = login.oauthUrl()
    code = login._code
    assert len(code) == 25 and f"code={code}" in url
    household.plextv.link_pin(code, household.owner)
    assert login.checkLogin() and login.token == household.owner.token


def test_plexapi_resources_lead_to_the_server(
    household: PlexHousehold, plexapi_on_fake_plextv: str
) -> None:
    pms = household.server
    owner = MyPlexAccount(token=household.owner.token)
    friend = MyPlexAccount(token=household.friend.token)
    stranger = MyPlexAccount(token=household.stranger.token)

    [owned] = owner.resources()
    [shared] = friend.resources()
    assert stranger.resources() == []
    assert (owned.clientIdentifier, owned.owned, owned.provides) == (
        pms.machine_identifier,
        True,
        "server",
    )
    assert (shared.clientIdentifier, shared.owned, shared.accessToken) == (
        pms.machine_identifier,
        False,
        household.friend_token,
    )
    assert shared.sourceTitle == "owner" and shared.accessToken != household.friend.token
    assert sorted(s.title for s in shared.connect().library.sections()) == ["Movies", "TV Shows"]
    assert len(owned.connect().library.sections()) == 4


def test_plexapi_lists_friends_and_their_server_tokens(
    household: PlexHousehold, plexapi_on_fake_plextv: str
) -> None:
    owner = MyPlexAccount(token=household.owner.token)
    [friend] = owner.users()
    assert (friend.id, friend.username) == (household.friend.id, "friend")
    [server] = friend.servers
    assert (server.machineIdentifier, server.numLibraries, server.allLibraries) == (
        household.server.machine_identifier,
        2,
        False,
    )
    assert friend.get_token(household.server.machine_identifier) == household.friend_token
    with pytest.raises(Unauthorized):
        MyPlexAccount(token="not-a-token")


async def test_plextv_xml_and_json_agree_and_v1_is_xml() -> None:
    async with (
        FakePlexTV() as plextv,
        FakePlexServer() as pms,
        httpx.AsyncClient(base_url=plextv.url) as client,
    ):
        owner, friend = plextv.add_account("owner"), plextv.add_account("friend")
        plextv.add_server(pms, owner)
        movies = pms.add_section("Movies", items=2)
        token = plextv.share_server(pms, friend, (s for s in [movies]))  # any iterable
        pms_url = pms.url
        as_json = (
            await client.get("/api/v2/resources", headers={"X-Plex-Token": friend.token, **JSON})
        ).json()
        as_xml = ET.fromstring(
            (await client.get("/api/v2/resources", headers={"X-Plex-Token": friend.token})).text
        )
        pin_headers = {"X-Plex-Client-Identifier": "c1"}
        pin_xml = ET.fromstring((await client.post("/api/v2/pins", headers=pin_headers)).text)
        shared = await client.get(
            f"/api/servers/{pms.machine_identifier}/shared_servers",
            headers={"X-Plex-Token": owner.token, **JSON},
        )
        not_owner = await client.get(
            f"/api/servers/{pms.machine_identifier}/shared_servers",
            headers={"X-Plex-Token": friend.token},
        )
    [resource] = as_json
    [element] = as_xml.findall("resource")
    assert resource["accessToken"] == token and resource["owned"] is False
    assert {
        k: element.get(k) for k in ("clientIdentifier", "accessToken", "owned", "provides")
    } == {
        "clientIdentifier": resource["clientIdentifier"],
        "accessToken": resource["accessToken"],
        "owned": "0",
        "provides": resource["provides"],
    }
    connection = element.find("connections/connection")
    assert connection.get("uri") == resource["connections"][0]["uri"] == pms_url
    assert (
        pin_xml.tag == "pin" and len(pin_xml.get("code")) == 4 and pin_xml.get("authToken") is None
    )
    assert shared.headers["content-type"].startswith("application/xml")
    shared_server = ET.fromstring(shared.text).find("SharedServer")
    assert shared_server.get("accessToken") == token and shared_server.get("userID") == str(
        friend.id
    )
    assert [s.get("shared") for s in shared_server.findall("Section")] == ["1"]
    assert not_owner.status_code == 404


async def test_link_page_is_the_persons_side_of_the_pin() -> None:
    async with FakePlexTV() as plextv, httpx.AsyncClient(base_url=plextv.url) as client:
        account = plextv.add_account("alice")
        pin = (
            await client.post("/api/v2/pins", headers={"X-Plex-Client-Identifier": "c1", **JSON})
        ).json()
        page = await client.get("/link", params={"code": pin["code"]})
        wrong = await client.post("/link", data={"code": "ZZZZ", "account": str(account.id)})
        linked = await client.post(
            "/link", data={"code": pin["code"].lower(), "account": str(account.id)}
        )
    assert page.status_code == 200 and pin["code"] in page.text and "alice" in page.text
    assert wrong.status_code == 404
    assert linked.status_code == 200 and plextv.pin(pin["id"]).auth_token == account.token


def test_demo_household_in_json(household: PlexHousehold) -> None:
    response = httpx.get(
        f"{household.server.url}/library/sections",
        headers={"X-Plex-Token": household.owner.token, **JSON},
    )
    titles = [d["title"] for d in response.json()["MediaContainer"]["Directory"]]
    assert titles == ["Movies", "TV Shows", "Music", "YouTube"]
    assert json.loads(response.text)["MediaContainer"]["size"] == 4
