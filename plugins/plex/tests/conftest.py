"""Fixtures for the Plex plugin's tests: the stand-ins served on background threads.

python-plexapi is synchronous, so tests that drive it use the thread-backed servers below;
async tests start their own stand-ins with `async with`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin, MyPlexResource, MyPlexUser

from medianest_plex.testing import PlexHousehold, demo_household


@pytest.fixture
def household(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlexHousehold]:
    """The demo household (owner, friend sharing Movies and TV Shows, stranger), both servers up;
    apps started meanwhile find plex.tv at the stand-in (`MEDIANEST_PLEX_TV_URL`, as an operator
    would point them)."""
    home = demo_household()
    with home.plextv, home.server:
        monkeypatch.setenv("MEDIANEST_PLEX_TV_URL", home.plextv.url)
        yield home


@pytest.fixture
def plexapi_on_fake_plextv(household: PlexHousehold, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point python-plexapi's plex.tv addresses (its own module constants) at the stand-in."""
    base = household.plextv.url
    monkeypatch.setattr(MyPlexAccount, "key", f"{base}/api/v2/user")
    monkeypatch.setattr(MyPlexAccount, "LINK", f"{base}/api/v2/pins/link")
    monkeypatch.setattr(
        MyPlexAccount, "FRIENDINVITE", base + "/api/servers/{machineId}/shared_servers"
    )
    monkeypatch.setattr(
        MyPlexResource, "key", f"{base}/api/v2/resources?includeHttps=1&includeRelay=1"
    )
    monkeypatch.setattr(MyPlexUser, "key", f"{base}/api/users/")
    monkeypatch.setattr(MyPlexPinLogin, "PINS", f"{base}/api/v2/pins")
    return base


# ---- the plugin under test: an app with the Plex plugin, pointed at the stand-ins ----------


@pytest.fixture
async def plex_app(app_factory, household: PlexHousehold):
    """A started app with the Plex plugin, plex.tv at the stand-in and the server connected."""
    return await start_plex_app(app_factory, household)


@pytest.fixture
def make_plex_app(app_factory, household: PlexHousehold):
    """`await make_plex_app(timeout=0.5, **settings)`: like `plex_app`, with other options."""

    async def make(**options):
        return await start_plex_app(app_factory, household, **options)

    return make


async def start_plex_app(
    app_factory, household: PlexHousehold, *, timeout: float = 5.0, **settings
):
    import medianest_plex
    from medianest.testing import installed_plugin

    shell = [installed_plugin("web")]  # the pages render inside the web's shell
    app = await app_factory(plugins=[*shell, medianest_plex], **settings)
    core = app.extensions["medianest"]
    await core.http.reset_breaker("plex.tv")  # breakers may be shared through Redis across tests
    await core.services.put(
        "plex", url=household.server.url, api_key=household.owner.token, config={"timeout": timeout}
    )
    return app


@pytest.fixture
def sign_in_with_plex(household: PlexHousehold):
    """`await sign_in_with_plex(app, account)`: a new browser signed in through the PIN flow."""
    from medianest.testing.clients import ApiClient

    async def sign_in(
        app, account, *, remember: bool = False, browser: ApiClient | None = None
    ) -> ApiClient:
        browser = browser or ApiClient(app)
        pin = await start_pin(browser)
        household.plextv.link_pin(pin["pin_id"], account)
        response = await browser.post(
            "/api/auth/plex", json={"pin_id": pin["pin_id"], "remember_me": remember}
        )
        assert response.status_code == 200, await response.get_data(as_text=True)
        return browser

    return sign_in


@pytest.fixture
def new_pin():
    """`await new_pin(browser)`: start the PIN flow in that browser; the PIN's JSON."""
    return start_pin


async def start_pin(browser) -> dict:
    response = await browser.post("/api/auth/plex/pin")
    assert response.status_code == 200, await response.get_data(as_text=True)
    return (await response.get_json())["data"]
