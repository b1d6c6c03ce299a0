"""The header's links come from the plugins' `register_nav`: each shows while its plugin is on,
to those who may follow it, and only when a page answers there."""

from __future__ import annotations

import re

import weather_plugin

import medianest_web
from medianest.testing.clients import ApiClient, create_user


async def nav_links(app, username: str = "viewer", role: str = "user") -> dict[str, str]:
    """The header's links (href → label) on the dashboard, as `username` sees them."""
    await create_user(app, username, role=role)
    browser = ApiClient(app)
    await browser.sign_in(username)
    html = (await (await browser.get("/")).get_data()).decode()
    nav = html.split('<nav class="primary-nav"', 1)[1].split("</nav>", 1)[0]
    return dict(re.findall(r'<a href="([^"]+)"[^>]*>.*?<span>([^<]+)</span>', nav, flags=re.S))


async def test_the_web_links_its_own_pages_only(app):
    assert await nav_links(app) == {"/": "Dashboard"}
    assert await nav_links(app, "root", role="admin") == {"/": "Dashboard", "/admin": "Admin"}


async def test_a_plugin_page_is_linked_while_the_plugin_is_on(app_factory):
    app = await app_factory(plugins=[medianest_web, weather_plugin])
    assert await nav_links(app) == {"/": "Dashboard", "/weather/": "Weather"}


async def test_a_plugin_link_goes_when_the_plugin_is_off(app_factory):
    app = await app_factory(plugins=[medianest_web, weather_plugin])
    core = app.extensions["medianest"]
    await core.host.set_enabled("weather", False, core)
    assert await nav_links(app) == {"/": "Dashboard"}


async def test_links_follow_permissions_and_the_admin_flag(app_factory):
    app = await app_factory(plugins=[medianest_web, weather_plugin])
    links = await nav_links(app, "root", role="admin")
    assert list(links.items()) == [
        ("/", "Dashboard"),
        ("/weather/", "Radar"),  # the same href twice: the dict keeps the later label
        ("/weather/archive", "Archive"),
        ("/admin", "Admin"),
    ]


async def test_a_link_to_a_page_nobody_serves_is_left_out(app_factory):
    app = await app_factory(plugins=[medianest_web, weather_plugin])
    assert "/weather-nowhere/" not in await nav_links(app, "root", role="admin")


async def test_a_plugin_icon_comes_from_its_own_sprite(app_factory):
    app = await app_factory(plugins=[medianest_web, weather_plugin])
    await create_user(app, "viewer")
    browser = ApiClient(app)
    await browser.sign_in("viewer")
    html = (await (await browser.get("/")).get_data()).decode()

    sprite = re.search(
        r'<use href="(/static/plugins/weather/img/icons\.svg\?v=[0-9a-f]{12})#i-cloud">', html
    )
    assert sprite is not None, html
    response = await browser.get(sprite.group(1))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert 'id="i-cloud"' in (await response.get_data()).decode()
    assert '<use href="#i-home">' in html  # the web's own links use the page's sprite
