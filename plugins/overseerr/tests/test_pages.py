"""The request pages (`register_pages`), inside the web's shell:
Search, My requests and Admin → Requests render on the dashboard's layout, without inline
script or style, and say what went wrong inside the page."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import medianest_overseerr

from .conftest import envelope, start_household

if TYPE_CHECKING:
    from .conftest import Household


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


@pytest.fixture
async def household(app_factory, demo_overseerr) -> Household:
    from medianest.testing import installed_plugin

    from .conftest import Household as Home

    shell = installed_plugin("web")  # the pages render inside the web's shell
    home = await start_household(
        app_factory, demo_overseerr, plugins_override=[shell, medianest_overseerr]
    )
    assert isinstance(home, Home)
    return home


async def page(browser, path: str, status: int = 200) -> str:
    response = await browser.get(path)
    assert response.status_code == status, (path, response.status_code)
    assert response.content_type.startswith("text/html")
    html = await response.get_data(as_text=True)
    scan = scan_html(html)
    assert scan.csp_violations == [], scan.csp_violations
    return html


async def test_the_search_page_shows_a_poster_grid_with_states_and_request_buttons(
    household: Household,
):
    html = await page((await household.person("friend")), "/overseerr/?q=orbit")
    assert 'data-overseerr-page="search"' in html and "data-overseerr-results" in html
    assert html.count('class="ovsr-poster"') == 3
    assert 'data-status="available">Available<' in html  # Quiet Orbit
    assert re.search(
        r'data-overseerr-request\s+data-tmdb-id="920207" data-type="tv"', html
    )  # Orbit Academy
    assert "/api/overseerr/poster/w300_and_h450_face/" in html
    assert re.search(
        r'<script type="module" src="/static/plugins/overseerr/search\.js\?v=\w+">', html
    )
    movies = await page((await household.person("friend")), "/overseerr/?q=orbit&type=movie")
    assert movies.count('class="ovsr-poster"') == 2 and 'value="movie" checked' in movies


async def test_the_search_page_marks_ones_own_request(household: Household):
    made = await (await household.person("friend")).post(
        "/api/media/request", json={"media_type": "movie", "tmdb_id": 910116}
    )
    assert made.status_code == 201
    html = await page((await household.person("friend")), "/overseerr/?q=iron tide")
    assert "Yours: Pending approval" in html


async def test_the_search_page_says_when_overseerr_is_down(household: Household):
    household.overseerr.fail(status=502)
    html = await page((await household.person("friend")), "/overseerr/?q=orbit", status=503)
    assert 'data-overseerr-problem="SERVICE_UNAVAILABLE"' in html and "answering right now" in html
    assert household.overseerr.api_key not in html


async def test_my_requests_lists_mine_with_badges(household: Household):
    await (await household.person("friend")).post(
        "/api/media/request", json={"media_type": "tv", "tmdb_id": 920202, "seasons": [1, 2]}
    )
    await (await household.person("kim")).post(
        "/api/media/request", json={"media_type": "movie", "tmdb_id": 910113}
    )
    html = await page((await household.person("friend")), "/overseerr/requests")
    assert "The Bakers of Bell Street" in html and "seasons 1, 2" in html
    assert "Harbour Lights" not in html
    assert 'data-status="pending">Pending approval<' in html
    assert re.search(
        r'<script type="module" src="/static/plugins/overseerr/requests\.js\?v=\w+">', html
    )


async def test_the_approvals_page_is_for_admins(household: Household):
    html = await page((await household.person("owner")), "/overseerr/admin")
    assert "The Last Cartographer" in html and 'data-decide="approve"' in html
    refused = await (await household.person("friend")).get("/overseerr/admin")
    assert refused.status_code == 403


async def test_a_signed_out_visitor_goes_to_sign_in_and_back(household: Household):
    response = await household.app.test_client().get("/overseerr/requests")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Foverseerr%2Frequests"


async def test_the_scripts_and_styles_are_served(household: Household):
    for name in ("search.js", "requests.js", "admin.js", "http.js", "live.js", "overseerr.css"):
        response = await household.app.test_client().get(f"/static/plugins/overseerr/{name}")
        assert response.status_code == 200, name


async def test_a_shows_seasons_for_the_dialog(household: Household):
    response = await (await household.person("friend")).get("/api/overseerr/tv/920201/seasons")
    seasons = (await envelope(response))["data"]["seasons"]
    assert [(s["number"], s["state"]) for s in seasons] == [
        (1, "available"),
        (2, "available"),
        (3, "none"),
        (4, "none"),
    ]
    signal = (
        await envelope(
            await (await household.person("friend")).get("/api/overseerr/tv/920203/seasons")
        )
    )["data"]
    assert [s["state"] for s in signal["seasons"]] == ["pending", "none"]
    assert (
        await (await household.person("friend")).get("/api/overseerr/tv/999999/seasons")
    ).status_code == 404
