"""The header links only to pages that are there: a plugin's page appears and disappears with it."""

from __future__ import annotations

from quart import Blueprint

from medianest.auth.policy import signed_in
from medianest.plugins import PluginSpec, hookimpl
from medianest.testing.clients import ApiClient, create_user


class YoutubePages:
    """A stand-in for the YouTube plugin: just its page at /youtube/."""

    plugin = PluginSpec(id="youtube", title="YouTube", description="Pages only")

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint("youtube_pages", __name__, url_prefix="/youtube")

        @bp.get("/")
        @signed_in
        async def downloads():
            return "downloads"

        return [bp]


async def nav_html(app) -> str:
    await create_user(app, "viewer")
    browser = ApiClient(app)
    await browser.sign_in("viewer")
    return (await (await browser.get("/")).get_data()).decode()


async def test_plugin_page_is_linked_while_the_plugin_is_on(app_factory):
    app = await app_factory(plugins=[YoutubePages()])
    assert 'href="/youtube/"' in await nav_html(app)


async def test_plugin_page_link_goes_when_the_plugin_is_off(app_factory):
    app = await app_factory(plugins=[YoutubePages()])
    core = app.extensions["medianest"]
    await core.host.set_enabled("youtube", False, core)
    assert 'href="/youtube/"' not in await nav_html(app)


async def test_pages_that_no_plugin_serves_are_not_linked(app):
    html = await nav_html(app)
    assert 'href="/plex/"' not in html
    assert 'href="/youtube/"' not in html
    assert 'aria-current="page"' in html  # the dashboard link itself is there and current
