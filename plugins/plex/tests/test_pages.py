"""The Plex browse pages: each person sees what Plex shares with them, a page of posters at a time,
and every failure is a page that says what happened."""

from __future__ import annotations

import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from quart import render_template_string

from medianest.testing.clients import ApiClient, signed_in
from medianest_plex import collections as plex_collections


def _load_html_scan():
    """The web dashboard's CSP scanner (web/tests/html_scan.py), loaded from its file."""
    if "html_scan" not in sys.modules:
        path = Path(__file__).parents[3] / "web" / "tests" / "html_scan.py"
        spec = importlib.util.spec_from_file_location("html_scan", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["html_scan"] = module
        spec.loader.exec_module(module)
    return sys.modules["html_scan"].scan_html


scan_html = _load_html_scan()


class Page(HTMLParser):
    """What a test reads from a page: its elements' attributes, in order, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def all(self, tag: str, attribute: str | None = None) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and (attribute is None or attribute in attrs)
        ]

    def one(self, tag: str, attribute: str) -> dict[str, str]:
        found = self.all(tag, attribute)
        assert len(found) == 1, (tag, attribute, found)
        return found[0]

    @property
    def main(self) -> dict[str, str]:
        return self.one("main", "id")

    @property
    def item_keys(self) -> list[str]:
        return [attrs["data-plex-item"] for attrs in self.all("li", "data-plex-item")]

    def link(self, marker: str) -> str | None:
        found = self.all("a", marker)
        return found[0]["href"] if found else None


async def page_of(response, status: int = 200) -> Page:
    html = (await response.get_data()).decode()
    assert response.status_code == status, (response.status_code, html[:2000])
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert scan_html(html).csp_violations == []
    return Page(html)


async def api_items(browser, library_id: int, query: str) -> dict:
    response = await browser.get(f"/api/plex/library/{library_id}/items?limit=60&{query}")
    body = await response.get_json()
    assert response.status_code == 200, body
    return body["data"]


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# ---- who sees what ------------------------------------------------------------------------------


async def test_the_owner_sees_every_library_with_its_count(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)

    page = await page_of(await owner.get("/plex/"))

    libraries = page.all("a", "data-plex-library")
    assert [a["href"] for a in libraries] == [
        f"/plex/library/{section.id}"
        for section in (household.movies, household.shows, household.music, household.videos)
    ]
    assert page.main["data-plex-page"] == "libraries"
    assert "Movies · 250 items" in page.text and "TV shows · 40 items" in page.text
    assert "Music · 30 items" in page.text and "Movies · 0 items" in page.text
    nav = [a for a in page.all("a") if a.get("href") == "/plex/"]
    assert nav and nav[0].get("aria-current") == "page"  # the header's Plex link, current


async def test_a_friend_sees_only_the_libraries_shared_with_them(
    plex_app, household, sign_in_with_plex
):
    friend = await sign_in_with_plex(plex_app, household.friend)

    page = await page_of(await friend.get("/plex/"))

    assert [a["data-plex-library"] for a in page.all("a", "data-plex-library")] == [
        str(household.movies.id),
        str(household.shows.id),
    ]
    assert "Music" not in page.text


async def test_a_friend_gets_the_not_found_page_for_a_library_not_shared(
    plex_app, household, sign_in_with_plex
):
    friend = await sign_in_with_plex(plex_app, household.friend)

    page = await page_of(await friend.get(f"/plex/library/{household.music.id}"), 404)
    unknown = await page_of(await friend.get("/plex/library/987654"), 404)

    assert page.main["data-plex-problem"] == unknown.main["data-plex-problem"] == "not-found"
    assert page.link("href") is not None and "/plex/" in [a["href"] for a in page.all("a")]
    assert household.server.items(household.music)[0].title not in page.text


async def test_the_page_uses_the_persons_own_plex_access(plex_app, household, sign_in_with_plex):
    friend = await sign_in_with_plex(plex_app, household.friend)
    household.server.clear_requests()

    await page_of(await friend.get(f"/plex/library/{household.movies.id}"))

    asked = household.server.requests_to(f"/library/sections/{household.movies.id}/all")
    assert asked and {request.token for request in asked} == {household.friend_token}


async def test_pages_carry_no_plex_token_or_plex_address(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    friend = await sign_in_with_plex(plex_app, household.friend)
    secrets = [household.owner.token, household.friend.token, household.friend_token]

    for browser in (owner, friend):
        for path in ("/plex/", f"/plex/library/{household.movies.id}?sort=-year"):
            html = (await page_of(await browser.get(path))).html
            assert household.server.url not in html
            assert not [secret for secret in secrets if secret in html]


# ---- a library, a page at a time ----------------------------------------------------------------


async def test_the_first_page_of_a_library(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    movies = household.movies.id

    page = await page_of(await owner.get(f"/plex/library/{movies}"))

    expected = [str(item.rating_key) for item in household.server.items(household.movies)[:60]]
    assert page.item_keys == expected
    assert page.main["data-plex-page"] == "library"
    assert page.main["data-plex-library"] == str(movies)
    assert "Showing 1–60 of 250" in page.text and "Page 1 of 5" in page.text
    assert page.link("data-plex-prev") is None
    assert page.link("data-plex-next") == f"/plex/library/{movies}?offset=60"


async def test_paging_forward_and_back_keeps_the_search_and_sort(
    plex_app, household, sign_in_with_plex
):
    owner = await sign_in_with_plex(plex_app, household.owner)
    movies = household.movies.id

    second = await page_of(await owner.get(f"/plex/library/{movies}?offset=60&sort=-added_at"))
    last = await page_of(await owner.get(f"/plex/library/{movies}?offset=240"))

    assert "Showing 61–120 of 250" in second.text and "Page 2 of 5" in second.text
    assert query_of(second.link("data-plex-prev")) == {"sort": ["-added_at"]}
    assert query_of(second.link("data-plex-next")) == {"sort": ["-added_at"], "offset": ["120"]}
    assert second.item_keys == [
        item["rating_key"]
        for item in (await api_items(owner, movies, "offset=60&sort=-added_at"))["items"]
    ]
    assert "Showing 241–250 of 250" in last.text and len(last.item_keys) == 10
    assert last.link("data-plex-next") is None
    assert last.link("data-plex-prev") == f"/plex/library/{movies}?offset=180"


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("offset=61", "Showing 61–120 of 250"),  # aligned to its page
        ("offset=-5", "Showing 1–60 of 250"),
        ("offset=abc", "Showing 1–60 of 250"),
        ("offset=1e9", "Showing 1–60 of 250"),
        ("offset=99999999999999999999", "Showing 241–250 of 250"),
        ("offset=5000", "Showing 241–250 of 250"),  # past the end: the last page
        ("sort=rating", "Showing 1–60 of 250"),
        ("sort=-title", "Showing 1–60 of 250"),
        ("q=" + "a" * 500, "No items"),  # cut to 100 characters, then searched
        ("q=%20%20", "Showing 1–60 of 250"),
    ],
)
async def test_odd_query_values_are_clamped_not_refused(
    plex_app, household, sign_in_with_plex, query, shown
):
    owner = await sign_in_with_plex(plex_app, household.owner)

    page = await page_of(await owner.get(f"/plex/library/{household.movies.id}?{query}"))

    assert shown in page.text


async def test_sorting_matches_the_api_and_the_select_shows_it(
    plex_app, household, sign_in_with_plex
):
    owner = await sign_in_with_plex(plex_app, household.owner)
    movies = household.movies.id

    for sort in ("title", "-added_at", "-year"):
        page = await page_of(await owner.get(f"/plex/library/{movies}?sort={sort}"))
        expected = await api_items(owner, movies, f"sort={sort}")
        assert page.item_keys == [item["rating_key"] for item in expected["items"]], sort
        selected = [o["value"] for o in page.all("option") if "selected" in o]
        assert selected == [sort]
    assert [o["value"] for o in page.all("option")] == ["title", "-added_at", "-year"]


async def test_searching_titles(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    movies = household.movies.id
    word = household.server.items(household.movies)[0].title.split()[-1]

    page = await page_of(await owner.get(f"/plex/library/{movies}?q={word}"))
    nothing = await page_of(await owner.get(f"/plex/library/{movies}?q=zzqqxxnothing"))

    expected = await api_items(owner, movies, f"q={word}")
    assert 0 < expected["total"] < 250
    assert page.item_keys == [item["rating_key"] for item in expected["items"]]
    assert f"of {expected['total']}" in page.text
    assert page.one("input", "name")["value"] == word
    assert page.link("data-plex-clear") == f"/plex/library/{movies}"
    assert nothing.item_keys == [] and "Nothing matches “zzqqxxnothing”" in nothing.text
    assert nothing.all("div", "data-plex-empty")


async def test_the_search_form_is_a_plain_get_form(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)

    page = await page_of(await owner.get(f"/plex/library/{household.movies.id}"))

    form = page.one("form", "data-plex-filter")
    assert form["method"] == "get" and form["action"] == f"/plex/library/{household.movies.id}"
    assert {attrs["name"] for attrs in page.all("input", "name")} == {"q"}
    assert page.one("select", "name")["name"] == "sort"
    labelled = {attrs["for"] for attrs in page.all("label", "for")}
    assert {"plex-q", "plex-sort"} <= labelled


async def test_posters_come_through_the_image_proxy(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    items = household.server.items(household.movies)[:60]

    page = await page_of(await owner.get(f"/plex/library/{household.movies.id}"))

    images = page.all("img", "src")
    assert len(images) == 60
    for image, item in zip(images, items, strict=True):
        src = urlsplit(image["src"])
        assert src.path == "/api/plex/image"
        assert parse_qs(src.query) == {
            "path": [f"{item.key}/thumb/{item.added_at}"],
            "width": ["300"],
            "height": ["450"],
        }
        assert (image["width"], image["height"], image["loading"]) == ("300", "450", "lazy")
        assert image["alt"] == item.title
    served = await owner.get(images[0]["src"])
    assert served.status_code == 200 and served.mimetype == "image/png"


async def test_each_poster_has_its_title_and_year(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    first = household.server.items(household.movies)[0]

    page = await page_of(await owner.get(f"/plex/library/{household.movies.id}"))

    assert re.search(
        rf'data-plex-item="{first.rating_key}">.*?plex-poster__title">{re.escape(first.title)}<'
        rf'.*?plex-poster__meta">{first.year}<',
        page.html,
        re.DOTALL,
    )


async def test_an_item_without_a_poster_gets_a_placeholder(plex_app):
    items = [{"rating_key": "7", "title": "nameless", "year": 1999, "thumb": None}]
    template = '{% from "plex/_macros.html" import poster_grid %}{{ poster_grid(items, "x") }}'

    async with plex_app.test_request_context("/plex/"):
        html = await render_template_string(template, items=items)

    assert "<img" not in html and "data-plex-no-poster" in html
    assert 'plex-poster__initial">N<' in html and 'plex-poster__title">nameless<' in html


async def test_titles_are_escaped(plex_app, household, sign_in_with_plex):
    odd = household.server.add_section("Odd", "movie", items=['<img src=x onerror="alert(1)">'])
    owner = await sign_in_with_plex(plex_app, household.owner)

    page = await page_of(await owner.get(f"/plex/library/{odd.id}"))

    assert "<img src=x" not in page.html
    assert "&lt;img src=x onerror=" in page.html


async def test_an_empty_library_says_so(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)

    page = await page_of(await owner.get(f"/plex/library/{household.videos.id}"))

    assert page.item_keys == [] and "This library is empty" in page.text
    assert page.all("nav", "data-plex-pager") == []


async def test_a_page_and_the_api_share_one_cache_entry(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    movies = household.movies.id
    household.server.clear_requests()

    page = await page_of(await owner.get(f"/plex/library/{movies}?sort=-year"))
    same = await api_items(owner, movies, "sort=-year")

    assert page.item_keys == [item["rating_key"] for item in same["items"]]
    asked = household.server.requests_to(f"/library/sections/{movies}/all")
    pages = [request for request in asked if "sort" in request.query]  # not the library's count
    assert len(pages) == 1


# ---- collections --------------------------------------------------------------------------------


@pytest.fixture
async def collected(plex_app, household):
    core = plex_app.extensions["medianest"]
    movie_keys = [str(item.rating_key) for item in household.server.items(household.movies)[:3]]
    music_keys = [str(item.rating_key) for item in household.server.items(household.music)[:2]]
    return {
        "favourites": await plex_collections.add_to_collection(
            core, "Movies", "Favourites", movie_keys
        ),
        "road trip": await plex_collections.add_to_collection(
            core, "Music", "Road trip", music_keys
        ),
    }


async def test_collections_are_listed_per_library(
    plex_app, household, collected, sign_in_with_plex
):
    owner = await sign_in_with_plex(plex_app, household.owner)
    friend = await sign_in_with_plex(plex_app, household.friend)

    theirs = await page_of(await owner.get("/plex/"))
    friends = await page_of(await friend.get("/plex/"))

    assert [a["href"] for a in theirs.all("a", "href") if "/plex/collection/" in a["href"]] == [
        f"/plex/collection/{collected['favourites']}",
        f"/plex/collection/{collected['road trip']}",
    ]
    assert "Favourites" in theirs.text and "3 items" in theirs.text
    assert "Road trip" not in friends.text and "Favourites" in friends.text


async def test_a_collection_page_lists_its_items(plex_app, household, collected, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    movie_keys = [str(item.rating_key) for item in household.server.items(household.movies)[:3]]

    page = await page_of(await owner.get(f"/plex/collection/{collected['favourites']}"))

    assert page.main["data-plex-page"] == "collection"
    assert sorted(page.item_keys) == sorted(movie_keys)
    assert "Showing 1–3 of 3" in page.text
    assert f"/plex/library/{household.movies.id}" in [a["href"] for a in page.all("a", "href")]
    assert all(img["src"].startswith("/api/plex/image?") for img in page.all("img", "src"))


async def test_a_big_collection_shows_its_first_hundred_and_says_so(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    keys = [str(item.rating_key) for item in household.server.items(household.movies)[:130]]
    big = await plex_collections.add_to_collection(core, "Movies", "Everything", keys)
    owner = await sign_in_with_plex(plex_app, household.owner)

    page = await page_of(await owner.get(f"/plex/collection/{big}"))

    assert len(page.item_keys) == 100
    assert "Showing 1–100 of 130" in page.text
    assert page.all("p", "data-plex-more") and page.all("nav", "data-plex-pager") == []


async def test_collections_not_shared_and_items_that_are_not_collections_are_not_found(
    plex_app, household, collected, sign_in_with_plex
):
    friend = await sign_in_with_plex(plex_app, household.friend)
    movie = household.server.items(household.movies)[0]

    hidden = await page_of(await friend.get(f"/plex/collection/{collected['road trip']}"), 404)
    not_one = await page_of(await friend.get(f"/plex/collection/{movie.rating_key}"), 404)

    assert hidden.main["data-plex-problem"] == not_one.main["data-plex-problem"] == "not-found"


async def test_no_collections_yet(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)

    page = await page_of(await owner.get("/plex/"))

    assert "No collections yet." in page.text


# ---- failures are pages -------------------------------------------------------------------------


async def test_plex_down_is_a_friendly_503_with_a_retry_link(
    plex_app, household, sign_in_with_plex
):
    owner = await sign_in_with_plex(plex_app, household.owner)
    path = f"/plex/library/{household.movies.id}?sort=-year"
    household.server.fail(502)
    try:
        down = await page_of(await owner.get(path), 503)
        index = await page_of(await owner.get("/plex/"), 503)
    finally:
        household.server.recover()
    again = await page_of(await owner.get(down.link("data-plex-retry")))

    assert down.main["data-plex-problem"] == index.main["data-plex-problem"] == "unavailable"
    assert "Plex isn't answering" in down.text
    assert down.link("data-plex-retry") == path and index.link("data-plex-retry") == "/plex/"
    assert household.server.url not in down.html
    assert len(again.item_keys) == 60


async def test_plex_hanging_answers_within_the_timeout(make_plex_app, household, sign_in_with_plex):
    app = await make_plex_app(timeout=0.5)
    owner = await sign_in_with_plex(app, household.owner)
    household.server.hang()
    try:
        page = await page_of(await owner.get(f"/plex/library/{household.movies.id}"), 503)
    finally:
        household.server.recover()

    assert page.main["data-plex-problem"] == "unavailable"


async def test_plex_not_set_up_says_so(plex_app, household, sign_in_with_plex):
    owner = await sign_in_with_plex(plex_app, household.owner)
    await plex_app.extensions["medianest"].services.put("plex", enabled=False)

    page = await page_of(await owner.get("/plex/"), 503)

    assert page.main["data-plex-problem"] == "not-configured"
    assert page.link("data-plex-retry") is None


@pytest.mark.parametrize("role", ["admin", "user"])
async def test_an_account_without_plex_is_offered_to_link_one(plex_app, role):
    local = await signed_in(plex_app, "localonly", role=role)

    page = await page_of(await local.get("/plex/"), 403)

    assert page.main["data-plex-problem"] == "not-linked"
    assert "Link your Plex account" in page.text
    assert 'data-plex-complete="/api/auth/plex/link"' in page.html  # the PIN flow, linking
    assert "/js/plex-pin.js" in page.html


async def test_a_share_withdrawn_on_the_server_is_explained(plex_app, household, sign_in_with_plex):
    friend = await sign_in_with_plex(plex_app, household.friend)
    household.server.unshare(household.friend_token)

    page = await page_of(await friend.get("/plex/"), 403)

    assert page.main["data-plex-problem"] == "refused"


async def test_without_the_browse_permission_the_page_is_refused(
    plex_app, household, sign_in_with_plex
):
    friend = await sign_in_with_plex(plex_app, household.friend)
    session = (await (await friend.get("/api/auth/session")).get_json())["data"]
    admin = await signed_in(plex_app, "root", role="admin")
    revoked = await admin.put(
        f"/api/admin/users/{session['user']['id']}", json={"permissions": {"plex.browse": False}}
    )
    assert revoked.status_code == 200

    page = await page_of(await friend.get("/plex/"), 403)
    dashboard = (await (await friend.get("/")).get_data()).decode()

    assert page.main["data-plex-problem"] == "forbidden"
    assert 'href="/plex/"' in dashboard  # the page exists; this account may not open it


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/plex/", "/plex/"),
        ("/plex/library/1?offset=60&q=a", "/plex/library/1?offset=60&q=a"),
        ("/plex/collection/5", "/plex/collection/5"),
    ],
)
async def test_signed_out_visitors_go_to_sign_in_and_come_back(plex_app, path, target):
    response = await ApiClient(plex_app).get(path)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query) == {"next": [target]}
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_plugin_disabled_serves_no_page_and_no_link(
    plex_app, household, sign_in_with_plex
):
    core = plex_app.extensions["medianest"]
    owner = await sign_in_with_plex(plex_app, household.owner)
    assert 'href="/plex/"' in (await (await owner.get("/")).get_data()).decode()

    await core.host.set_enabled("plex", False, core)
    page = await page_of(await owner.get("/plex/"), 404)
    library = await page_of(await owner.get(f"/plex/library/{household.movies.id}"), 404)
    dashboard = (await (await owner.get("/")).get_data()).decode()

    assert page.main["data-plex-problem"] == library.main["data-plex-problem"] == "disabled"
    assert 'href="/plex/"' not in dashboard and 'href="/plex/"' not in page.html


async def test_pages_are_not_part_of_the_api_document(plex_app):
    document = await (await plex_app.test_client().get("/openapi.json")).get_json()

    assert not [path for path in document["paths"] if path.startswith("/plex")]
    assert "/api/plex/libraries" in document["paths"]
