"""Browsing Plex in a browser, as a household member, against the Plex stand-ins: libraries,
a poster grid with paging, search and sort, posters through MediaNest's image proxy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


def loaded_posters(page) -> int:
    """How many poster images the browser decoded (a refused or broken image has no width)."""
    return page.evaluate(
        "[...document.querySelectorAll('img.plex-poster__art')].filter(i => i.complete && "
        "i.naturalWidth > 0).length"
    )


def test_a_member_browses_what_is_shared_with_them(household_member, page, watch, shoot):
    household = household_member
    page.goto(f"{household.server.url}/")
    page.get_by_role("link", name="Plex").first.click()
    page.locator("main[data-plex-page=libraries]").wait_for()
    titles = page.locator("[data-plex-libraries] a.plex-library").all_inner_texts()
    assert any("Movies" in title for title in titles) and any(
        "TV Shows" in title for title in titles
    )
    assert not any("Music" in title for title in titles)  # not shared with them
    shoot("plex-libraries")

    page.locator(f'a.plex-library[data-plex-library="{household.plex.movies.id}"]').click()
    page.locator("main[data-plex-page=library]").wait_for()
    assert page.locator("[data-plex-range]").inner_text().startswith("Showing 1–60 of 250")
    page.wait_for_load_state("networkidle")
    posters = page.locator("[data-plex-grid] img.plex-poster__art")
    assert posters.count() > 0
    for index in range(posters.count()):  # lazy images load as they come into view
        posters.nth(index).scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert loaded_posters(page) == posters.count()  # every one came through the proxy
    assert all(
        src.startswith("/api/plex/image?")
        for src in posters.evaluate_all("els => els.map(e => e.getAttribute('src'))")
    )
    shoot("plex-library")

    page.locator("a[data-plex-next]").click()
    page.locator("[data-plex-range]", has_text="Showing 61–120 of 250").wait_for()
    page.locator("a[data-plex-prev]").wait_for()

    assert watch.page_errors == [] and watch.failed_responses == []
    assert watch.foreign_requests(household.server.netloc) == []


def test_search_and_sort_narrow_the_grid(household_member, page, shoot):
    household = household_member
    page.goto(f"{household.server.url}/plex/library/{household.plex.movies.id}")
    first = page.locator("[data-plex-grid] .plex-poster__title").first.inner_text()
    word = first.split()[0]

    page.get_by_label("Search titles").fill(word)
    page.get_by_label("Sort by").select_option(label="Year")
    page.get_by_role("button", name="Apply").click()
    page.locator("main[data-plex-page=library]").wait_for()
    titles = page.locator("[data-plex-grid] .plex-poster__title").all_inner_texts()
    assert titles and all(word.lower() in title.lower() for title in titles)
    assert "sort=" in page.url and "q=" in page.url
    shoot("plex-library-search")

    page.locator("a[data-plex-clear]").click()
    page.locator("[data-plex-range]", has_text="of 250").wait_for()


def test_a_library_not_shared_is_a_friendly_not_found(household_member, page):
    household = household_member
    response = page.goto(f"{household.server.url}/plex/library/{household.plex.music.id}")
    assert response.status == 404
    page.locator("[data-plex-problem=not-found]").wait_for()
    page.get_by_role("link", name="Your Plex libraries").click()
    page.locator("main[data-plex-page=libraries]").wait_for()


def test_plex_going_down_shows_a_page_that_says_so(household_member, page, shoot):
    household = household_member
    household.plex.server.fail(status=500)
    try:
        response = page.goto(f"{household.server.url}/plex/library/{household.plex.shows.id}?q=zz")
        assert response.status == 503
        page.locator("[data-plex-problem=unavailable]").wait_for()
        shoot("plex-unavailable")
    finally:
        household.plex.server.recover()
    page.locator("a[data-plex-retry]").click()
    page.locator("main[data-plex-page=library]").wait_for()


def test_a_collection_opens_from_the_libraries_page(household_member, page, watch, shoot):
    household = household_member
    movies = household.plex.movies
    keys = [item.rating_key for item in household.plex.server.items(movies)[:5]]
    collection = household.plex.server.library.create_collection(movies, "Sci-fi nights", keys)

    page.goto(f"{household.server.url}/plex/")
    page.locator(
        f'[data-plex-collections] li[data-plex-collection="{collection.rating_key}"] a'
    ).click()
    page.locator(
        f'main[data-plex-page=collection][data-plex-collection="{collection.rating_key}"]'
    ).wait_for()
    assert page.get_by_role("heading", name="Sci-fi nights").count() == 1
    assert page.locator("[data-plex-grid] li.plex-poster").count() == 5
    shoot("plex-collection")
    assert watch.page_errors == [] and watch.failed_responses == []


@pytest.mark.parametrize(
    "path", ["/plex/", "/plex/library/{movies}?q=a&sort=-year", "/plex/library/{shows}"]
)
def test_plex_pages_fit_a_phone(household_member, page, path):
    household = household_member
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(
        household.server.url
        + path.format(movies=household.plex.movies.id, shows=household.plex.shows.id)
    )
    page.locator("main[data-plex-page]").wait_for()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
