"""The helpers other plugins use: scan a folder, find its items by path, collect them."""

from __future__ import annotations

import pytest
from medianest.http import ServiceDown
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

    app = await app_factory(plugins=[medianest_plex], plex_tv_url=household.plextv.url)
    with pytest.raises(PlexNotConfigured):
        await plex.scan_folder(app.extensions["medianest"], "YouTube", FOLDER)


async def test_plex_down_raises_service_down_for_the_job_to_retry(core, household):
    household.server.fail(503)
    try:
        with pytest.raises(ServiceDown):
            await plex.scan_folder(core, "YouTube", FOLDER)
    finally:
        household.server.recover()
