"""Canary: no Plex token ever leaves the server.

One run drives every Plex route (sign-in with its refusals, linking, browsing, images, the
dashboard, the admin's service page and connection test, Plex failing, a token revoked) and
keeps every response and every log record. None may contain any of the household's tokens:
the owner's, the friend's account token, the friend's server token, the stranger's.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from medianest.testing.clients import ApiClient, signed_in
from medianest_plex.jobs import check_tokens

PLEX_ROUTES = [
    "POST /api/auth/plex/pin ",
    "POST /api/auth/plex ",
    "POST /api/auth/plex/link ",
    "GET /api/plex/libraries ",
    "GET /api/plex/library/",
    "GET /api/plex/collections",
    "GET /api/plex/items/",
    "GET /api/plex/image?",
]


class Recorder:
    """Wraps browsers so that every response's status line, headers and body are kept."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []

    def watch(self, browser: ApiClient) -> ApiClient:
        original = browser.request

        async def request(method, path, **kwargs):
            response = await original(method, path, **kwargs)
            headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
            self.seen.append(
                (f"{method} {path} {response.status_code}\n{headers}", await response.get_data())
            )
            return response

        browser.request = request  # type: ignore[method-assign]
        return browser


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


async def sign_in(recorder, app, household, account, *, expect: int = 200) -> ApiClient:
    browser = recorder.watch(ApiClient(app))
    pin = (await (await browser.post("/api/auth/plex/pin")).get_json())["data"]
    await browser.post("/api/auth/plex", json={"pin_id": pin["pin_id"]})  # waiting
    household.plextv.link_pin(pin["pin_id"], account)
    response = await browser.post(
        "/api/auth/plex", json={"pin_id": pin["pin_id"], "remember_me": True}
    )
    assert response.status_code == expect
    return browser


async def browse_everything(browser: ApiClient, household) -> None:
    movie = household.server.items(household.movies)[0]
    show = household.server.items(household.shows)[0]
    paths = [
        "/api/auth/session",
        "/api/plex/libraries",
        f"/api/plex/library/{household.movies.id}/items?limit=5&sort=-added_at",
        f"/api/plex/library/{household.music.id}/items",
        f"/api/plex/library/{household.movies.id}/items?limit=500",
        "/api/plex/collections",
        f"/api/plex/collections?library={household.movies.id}",
        f"/api/plex/items/{movie.rating_key}",
        f"/api/plex/items/{show.rating_key}",
        "/api/plex/image?" + urlencode({"path": f"{movie.key}/thumb/{movie.added_at}"}),
        "/api/plex/image?" + urlencode({"path": f"{movie.key}/art/{movie.added_at}", "width": 50}),
        "/api/plex/image?" + urlencode({"path": "http://evil.example/x.png"}),
        "/api/dashboard/widgets",
        "/api/dashboard/status",
    ]
    for path in paths:
        await browser.get(path)


async def test_no_plex_token_in_any_response_header_or_log_record(
    plex_app, household, recorder, caplog
):
    caplog.set_level(logging.DEBUG)
    core = plex_app.extensions["medianest"]
    secrets = {
        "owner token": household.owner.token,
        "friend token": household.friend.token,
        "friend server token": household.friend_token,
        "stranger token": household.stranger.token,
    }
    await core.status.refresh("plex")

    owner = await sign_in(recorder, plex_app, household, household.owner)
    friend = await sign_in(recorder, plex_app, household, household.friend)
    await sign_in(recorder, plex_app, household, household.stranger, expect=403)
    for browser in (owner, friend):
        await browse_everything(browser, household)

    admin = recorder.watch(await signed_in(plex_app, "root", role="admin"))
    pin = (await (await admin.post("/api/auth/plex/pin")).get_json())["data"]
    household.plextv.link_pin(pin["pin_id"], household.stranger)
    await admin.post("/api/auth/plex/link", json={"pin_id": pin["pin_id"]})  # 403: no access
    await admin.get("/api/admin/services")
    await admin.post("/api/admin/services/test", json={"name": "plex"})
    await admin.post("/api/admin/services/test", json={"name": "plex", "api_key": "wrong"})
    await admin.get("/api/admin/plugins")
    await admin.get("/api/admin/users")
    await admin.get("/api/admin/audit")
    await admin.get("/openapi.json")

    expired = recorder.watch(ApiClient(plex_app))
    pin = (await (await expired.post("/api/auth/plex/pin")).get_json())["data"]
    household.plextv.expire_pin(pin["pin_id"])
    await expired.post("/api/auth/plex", json={"pin_id": pin["pin_id"]})

    household.server.fail(500)
    await friend.get(f"/api/plex/library/{household.shows.id}/items?offset=7")
    household.server.recover()
    household.server.fail(401, times=1)
    await friend.get(f"/api/plex/library/{household.shows.id}/items?offset=8")
    household.plextv.fail(500, times=3)
    await recorder.watch(ApiClient(plex_app)).post("/api/auth/plex/pin")
    household.plextv.recover()

    household.plextv.revoke_token(household.friend.token)
    await check_tokens(core, older_than=timedelta(0))
    await friend.get("/api/plex/libraries")  # signed out now

    requests = [head.split("\n", 1)[0] for head, _ in recorder.seen]
    for route in PLEX_ROUTES:
        assert any(line.startswith(route) for line in requests), f"the run never called {route}"
    for label, secret in secrets.items():
        for head, body in recorder.seen:
            assert secret not in head, f"{label} in the headers of {head.splitlines()[0]}"
            assert secret.encode() not in body, f"{label} in the body of {head.splitlines()[0]}"
        for record in caplog.records:
            text = f"{record.getMessage()} {record.exc_text or ''}"
            assert secret not in text, f"{label} logged by {record.name}: {text[:200]}"
    for stand_in in (household.plextv, household.server):
        for request in stand_in.requests:
            assert "X-Plex-Token" not in request.query, f"a token in the URL of {request.path}"
