"""Putting files into Plex: scan a folder, find its items by path, collect them; the helpers and
the `MEDIA_LIBRARY` capability other plugins reach them through."""

from __future__ import annotations

import pytest

from medianest.sdk import (
    MEDIA_LIBRARY,
    Library,
    LibraryNotFound,
    MediaLibrary,
    ServiceDown,
    ServiceNotConfigured,
)
from medianest_plex import collections as plex
from medianest_plex.access import PlexNotConfigured

FOLDER = "/data/youtube/alice/Road trip"


@pytest.fixture
def core(plex_app):
    return plex_app.extensions["medianest"]


def stage(household, names: list[str]) -> list[str]:
    paths = [f"{FOLDER}/{name} [{index}].mp4" for index, name in enumerate(names)]
    for path in paths:
        household.server.stage_file(household.videos, path)
    return paths


async def test_scan_folder_asks_plex_to_scan_just_that_folder(core, household):
    household.server.clear_requests()

    await plex.scan_folder(core, "YouTube", FOLDER)

    (scan,) = household.server.scans
    assert (scan.section_id, scan.path) == (household.videos.id, FOLDER)
    (asked,) = household.server.requests_to(f"/library/sections/{household.videos.id}/refresh")
    assert asked.token == household.owner.token


async def test_items_are_found_by_file_path_after_a_scan(core, household):
    paths = stage(household, ["Beach", "Hills"])
    assert await plex.find_items_by_path(core, "YouTube", paths) == {}

    await plex.scan_folder(core, household.videos.id, FOLDER)
    found = await plex.find_items_by_path(
        core, str(household.videos.id), [*paths, f"{FOLDER}/missing.mp4"]
    )

    assert set(found) == set(paths)
    titles = {household.server.item(int(key)).file for key in found.values()}
    assert titles == set(paths)


async def test_wait_for_items_waits_for_a_slow_scan(core, household):
    paths = stage(household, ["Slow"])
    household.server.scan_delay = 0.3
    await plex.scan_folder(core, "YouTube", FOLDER)

    found = await plex.wait_for_items(core, "YouTube", paths, timeout=30, interval=0.05)

    assert set(found) == set(paths)


async def test_wait_for_items_answers_what_it_found_when_time_runs_out(core, household):
    found = await plex.wait_for_items(
        core, "YouTube", [f"{FOLDER}/never.mp4"], timeout=0.1, interval=0.05
    )
    assert found == {}


async def test_add_to_collection_creates_then_extends_one_collection(core, household):
    paths = stage(household, ["One", "Two", "Three"])
    await plex.scan_folder(core, "YouTube", FOLDER)
    found = await plex.find_items_by_path(core, "YouTube", paths)
    keys = [found[path] for path in paths]

    created = await plex.add_to_collection(core, "YouTube", "Road trip", keys[:2])
    extended = await plex.add_to_collection(core, "youtube", "Road trip", keys[1:])

    assert created == extended
    collection = household.server.collection("Road trip")
    assert str(collection.rating_key) == created
    assert collection.section_id == household.videos.id
    assert sorted(map(str, collection.item_keys)) == sorted(keys)


async def test_a_similar_title_is_not_the_same_collection(core, household):
    keys = [str(item.rating_key) for item in household.server.items(household.movies)[:2]]
    first = await plex.add_to_collection(core, "Movies", "Road trip 2", keys[:1])
    second = await plex.add_to_collection(core, "Movies", "Road trip", keys[1:])

    assert first != second


async def test_an_unknown_library_is_refused(core):
    with pytest.raises(plex.LibraryNotFound):
        await plex.scan_folder(core, "Nope", FOLDER)


async def test_a_collection_needs_items_and_a_title(core):
    with pytest.raises(ValueError):
        await plex.add_to_collection(core, "YouTube", "Empty", [])
    with pytest.raises(ValueError):
        await plex.add_to_collection(core, "YouTube", "  ", ["1"])


async def test_without_a_connection_the_helpers_say_so(app_factory, household):
    import medianest_plex

    app = await app_factory(plugins=[medianest_plex])
    with pytest.raises(PlexNotConfigured):
        await plex.scan_folder(app.extensions["medianest"], "YouTube", FOLDER)


async def test_plex_down_raises_service_down_for_the_job_to_retry(core, household):
    household.server.fail(503)
    try:
        with pytest.raises(ServiceDown):
            await plex.scan_folder(core, "YouTube", FOLDER)
    finally:
        household.server.recover()


# ---- the same, as the MEDIA_LIBRARY capability other plugins use -------------------------------


@pytest.fixture
def media_library(core):
    library = core.capabilities.get(MEDIA_LIBRARY)
    assert library is not None
    return library


async def test_the_plugin_offers_its_library_as_the_media_library_capability(media_library):
    assert isinstance(media_library, MediaLibrary)
    assert media_library.title == "Plex"


async def test_the_capability_finds_a_library_by_id_or_title(media_library, household):
    by_title = await media_library.find_library("youtube")
    by_id = await media_library.find_library(household.videos.id)

    assert (
        by_title
        == by_id
        == Library(
            id=str(household.videos.id), title="YouTube", type="movie", folders=("/data/youtube",)
        )
    )
    with pytest.raises(LibraryNotFound):
        await media_library.find_library("Nope")


async def test_the_capability_scans_waits_and_collects(media_library, household):
    paths = stage(household, ["Beach", "Hills"])

    await media_library.scan_folder("YouTube", FOLDER)
    found = await media_library.wait_for_items("YouTube", paths, timeout=30)
    collection_id = await media_library.add_to_collection("YouTube", "Road trip", found.values())

    assert [(scan.section_id, scan.path) for scan in household.server.scans] == [
        (household.videos.id, FOLDER)
    ]
    assert set(found) == set(paths)
    collection = household.server.collection("Road trip")
    assert str(collection.rating_key) == collection_id
    assert sorted(map(str, collection.item_keys)) == sorted(found.values())


async def test_the_collection_url_opens_the_collection_page(
    plex_app, media_library, household, sign_in_with_plex
):
    keys = [str(item.rating_key) for item in household.server.items(household.movies)[:2]]
    collection_id = await media_library.add_to_collection("Movies", "Favourites", keys)
    owner = await sign_in_with_plex(plex_app, household.owner)

    url = media_library.collection_url(collection_id)
    page = await owner.get(url)

    assert url == f"/plex/collection/{collection_id}"
    assert page.status_code == 200 and "Favourites" in await page.get_data(as_text=True)


async def test_without_a_connection_the_capability_says_plex_is_not_set_up(app_factory, household):
    import medianest_plex

    app = await app_factory(plugins=[medianest_plex])
    library = app.extensions["medianest"].capabilities.get(MEDIA_LIBRARY)

    with pytest.raises(ServiceNotConfigured) as refused:
        await library.scan_folder("YouTube", FOLDER)
    assert refused.value.details["service"] == "plex"
    assert household.server.scans == []


async def test_the_capability_is_gone_while_the_plugin_is_disabled(core):
    await core.host.set_enabled("plex", False, core)

    assert core.capabilities.get(MEDIA_LIBRARY) is None
