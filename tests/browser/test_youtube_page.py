"""The YouTube page in a browser, on `medianest demo` (its local playlist, slow enough to watch,
and its Plex stand-in): submit → the progress bars move → completed, with the link to the
Plex collection, which opens the Plex plugin's page for it."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.timeout(180)

WAIT_MS = 60_000  # guards against forever; never an expectation about speed


def demo_playlist(server) -> str:
    return re.search(r"YouTube: paste (http://127\.0\.0\.1:\d+/feed\.xml)", server.log()).group(1)


def test_a_playlist_downloads_with_moving_bars_into_a_plex_collection(
    demo_admin, page, watch, shoot
):
    page.goto(f"{demo_admin.url}/")
    page.get_by_role("link", name="YouTube").first.click()
    page.locator("main[data-youtube-page]").wait_for()
    page.get_by_label("Playlist URL").fill("file:///etc/passwd")
    page.get_by_role("button", name="Download").click()
    error = page.locator('[data-error-for="playlist_url"]')
    error.wait_for()
    assert "http" in error.inner_text()  # refused, said next to the field

    page.get_by_label("Playlist URL").fill(demo_playlist(demo_admin))
    page.get_by_label("Plex collection").fill("Demo trip")
    page.get_by_role("button", name="Download").click()
    card = page.locator("li[data-download]").first
    card.locator("[data-status-label]", has_text="Downloading").wait_for(timeout=WAIT_MS)
    assert error.is_hidden()

    overall, seen_items = set(), set()
    while card.get_attribute("data-status") in ("queued", "downloading"):
        overall.add(float(card.locator("progress[data-overall]").get_attribute("value")))
        for bar in card.locator("li[data-item] progress").all():
            seen_items.add((bar.get_attribute("value"), bar.get_attribute("max")))
        if len(overall) == 3:
            shoot("youtube-downloading")
        page.wait_for_timeout(100)
    card.locator("[data-status-label]", has_text="Completed").wait_for(timeout=WAIT_MS)

    assert len([value for value in overall if 0 < value < 100]) >= 2  # the bar moved
    partial = [(v, m) for v, m in seen_items if v and m and 0 < float(v) < float(m)]
    assert partial  # an item's own bar was seen part-way
    assert card.locator("progress[data-overall]").get_attribute("value") == "100"
    assert "3 of 3 items" in card.locator("[data-summary]").inner_text()
    shoot("youtube-completed")

    download_id = card.get_attribute("data-download")
    download = page.request.get(f"{demo_admin.url}/api/youtube/downloads/{download_id}").json()
    collection_url = download["data"]["collection_url"]
    assert collection_url == f"/plex/collection/{download['data']['collection_id']}"
    card.locator("a[data-collection-link]").click()
    page.wait_for_url(f"{demo_admin.url}{collection_url}")
    # The Plex plugin's page for it; this local admin has no Plex account to browse with.
    page.locator("[data-plex-problem=not-linked]").wait_for()

    assert watch.page_errors == []
    refused = ["/api/youtube/download", collection_url]  # the bad URL (422), the Plex page (403)
    assert [r for r in watch.failed_responses if not any(p in r for p in refused)] == []
    assert watch.foreign_requests(demo_admin.netloc) == []
