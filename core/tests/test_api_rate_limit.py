"""The per-person API limit, and routes that count against their own budget (`counted_as`)."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Blueprint

from medianest.auth.policy import counted_as, signed_in
from medianest.errors import ok
from medianest.plugins import PluginSpec, hookimpl
from medianest.testing.clients import signed_in as signed_in_client


class Pictures:
    """A plugin with a JSON route and an image route, as an image proxy has."""

    plugin = PluginSpec(id="pictures", title="Pictures")

    @hookimpl
    def register_routes(self, core: Any) -> list[Blueprint]:
        bp = Blueprint("pictures", __name__)

        @bp.get("/info")
        @signed_in
        async def info():
            return ok({"count": 1})

        @bp.get("/poster")
        @signed_in
        @counted_as("images")
        async def poster():
            return ok({"png": True})

        return [bp]


@pytest.fixture
async def pictures(app_factory) -> Any:
    app = await app_factory(plugins=[Pictures()])
    await app.extensions["medianest"].system.update(
        {"rate_limits": {"api": {"limit": 3, "window": 60}, "images": {"limit": 5, "window": 60}}}
    )
    return app


async def statuses(client: Any, path: str, times: int) -> list[int]:
    return [(await client.get(path)).status_code for _ in range(times)]


async def test_images_have_their_own_budget_and_spend_none_of_the_apis(pictures):
    alice = await signed_in_client(pictures, "alice")

    assert await statuses(alice, "/api/pictures/poster", 5) == [200] * 5
    refused = await alice.get("/api/pictures/poster")
    assert await statuses(alice, "/api/pictures/info", 3) == [200] * 3  # untouched by the posters
    over = await alice.get("/api/pictures/info")

    body = await refused.get_json()
    assert refused.status_code == 429 and body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert body["error"]["details"]["limit"] == 5 and int(refused.headers["Retry-After"]) >= 1
    assert over.status_code == 429 and (await over.get_json())["error"]["details"]["limit"] == 3


async def test_each_person_has_their_own_budget(pictures):
    alice = await signed_in_client(pictures, "alice")
    bob = await signed_in_client(pictures, "bob")
    assert await statuses(alice, "/api/pictures/info", 4) == [200, 200, 200, 429]
    assert await statuses(bob, "/api/pictures/info", 1) == [200]


def test_an_unknown_budget_is_refused_when_the_route_is_declared():
    with pytest.raises(ValueError, match="unknown rate limit bucket"):
        counted_as("everything")
