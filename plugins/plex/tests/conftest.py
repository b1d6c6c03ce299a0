"""Fixtures for the Plex plugin's tests: the stand-ins served on background threads.

python-plexapi is synchronous, so tests that drive it use the thread-backed servers below;
async tests start their own stand-ins with `async with`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from medianest_plex.testing import PlexHousehold, demo_household
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin, MyPlexResource, MyPlexUser


@pytest.fixture
def household() -> Iterator[PlexHousehold]:
    """The demo household (owner, friend sharing Movies and TV Shows, stranger), both servers up."""
    home = demo_household()
    with home.plextv, home.server:
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
