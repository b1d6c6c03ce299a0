"""A plugin's pages, files and sign-in button inside the shell, through the public API only."""

from __future__ import annotations

import html as markup
import re

import pytest
import weather_plugin
from html_scan import scan_html

import medianest_web
from medianest.testing.clients import ApiClient, create_user

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
async def weather_app(app_factory):
    return await app_factory(plugins=[medianest_web, weather_plugin])


async def signed_in(app, username: str = "viewer", role: str = "user") -> ApiClient:
    await create_user(app, username, role=role)
    browser = ApiClient(app)
    await browser.sign_in(username)
    return browser


async def html_of(response, status: int = 200) -> str:
    html = (await response.get_data()).decode()
    assert response.status_code == status, (response.status_code, html[:500])
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert scan_html(html).csp_violations == []
    return markup.unescape(html)


async def test_a_plugin_page_is_rendered_inside_the_shell(weather_app):
    browser = await signed_in(weather_app)
    html = await html_of(await browser.get("/weather/"))

    scan = scan_html(html)
    assert scan.main_attributes.get("data-sign-in") == "/login?next=%2Fweather%2F"
    assert "Rain at 3 pm" in html
    assert '<nav class="primary-nav"' in html and "<title>Weather · MediaNest</title>" in html
    own = [url for url in scan.asset_urls if url.startswith("/static/plugins/weather/")]
    assert sorted(re.sub(r"\?v=[0-9a-f]{12}$", "", url) for url in own) == [
        "/static/plugins/weather/css/weather.css",
        "/static/plugins/weather/js/weather.js",
    ]
    for url in scan.asset_urls:  # the shell's files and the plugin's, all versioned for good
        response = await browser.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE, url


async def test_a_plugin_module_imports_the_shells_by_versioned_url(weather_app):
    client = weather_app.test_client()
    module = (await (await client.get("/static/plugins/weather/js/weather.js")).get_data()).decode()
    imported = re.search(r'from "/static/web/js/api\.js\?v=([0-9a-f]{12})"', module)
    assert imported is not None, module
    served = await client.get(f"/static/web/js/api.js?v={imported.group(1)}")
    assert served.headers["Cache-Control"] == IMMUTABLE  # the digest is the shell file's own


async def test_unknown_plugin_files_are_not_found(weather_app):
    client = weather_app.test_client()
    for url in (
        "/static/plugins/weather/js/nope.js",
        "/static/plugins/nobody/js/x.js",
        "/static/plugins/weather/../../web/js/api.js",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert (await response.get_json())["error"]["code"] == "NOT_FOUND"


async def test_errors_on_plugin_pages_become_the_shells_pages(weather_app):
    signed_out = await ApiClient(weather_app).get("/weather/?day=1")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"] == "/login?next=%2Fweather%2F%3Fday%3D1"

    browser = await signed_in(weather_app)
    assert "You can't open this page" in await html_of(await browser.get("/weather/archive"), 403)
    assert "Something went wrong" in await html_of(await browser.get("/weather/broken"), 500)
    admin = await signed_in(weather_app, "root", role="admin")
    assert "Every day since 1990" in await html_of(await admin.get("/weather/archive"))


async def test_a_disabled_plugin_serves_no_page_but_keeps_its_files(weather_app):
    core = weather_app.extensions["medianest"]
    browser = await signed_in(weather_app)
    await core.host.set_enabled("weather", False, core)

    assert "Page not found" in await html_of(await browser.get("/weather/"), 404)
    # A plugin's own "turned off" page may still use its styles.
    assert (await browser.get("/static/plugins/weather/css/weather.css")).status_code == 200


async def test_plugin_pages_are_not_part_of_the_api_document(weather_app):
    document = await (await weather_app.test_client().get("/openapi.json")).get_json()
    assert not [
        path
        for path in document["paths"]
        if not path.startswith(("/api/", "/healthz", "/readyz", "/metrics", "/openapi"))
    ]


async def test_the_sign_in_page_shows_each_active_providers_button(weather_app):
    client = weather_app.test_client()
    html = await html_of(await client.get("/login?next=/weather/"))
    assert 'data-auth-provider="weather"' in html
    assert 'data-weather-sign-in data-next="/weather/"' in html
    assert 'class="divider"' in html and '<details class="admin-signin" data-admin>' in html

    core = weather_app.extensions["medianest"]
    await core.host.set_enabled("weather", False, core)
    html = await html_of(await client.get("/login"))
    assert "data-auth-provider" not in html and 'class="divider"' not in html
    assert '<details class="admin-signin" data-admin open>' in html  # the only way in: open
