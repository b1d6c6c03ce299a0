"""Pages send people where they should go: to sign in, to change a password, never off-site."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from medianest.testing.clients import ApiClient, create_user
from medianest_web.navigation import login_url, safe_next

OFF_SITE = [
    "//evil.example",
    "//evil.example/path",
    "https://evil.example",
    "http:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " /evil",
    "javascript:alert(1)",
    "evil.example",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_anything_off_site(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/login", "/login/", "/logout", "/password?x=1"])
def test_safe_next_refuses_pages_that_would_loop(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize(
    "target", ["/", "/admin/plugins", "/plex/library/1?sort=title&q=a%20b", "/youtube/#top"]
)
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target) == target


def test_login_url_encodes_the_target():
    assert login_url("/") == "/login?next=%2F"
    assert login_url("/admin/users?x=1&y=2") == "/login?next=%2Fadmin%2Fusers%3Fx%3D1%26y%3D2"
    assert login_url("//evil.example") == "/login"


async def test_dashboard_sends_a_visitor_to_sign_in(client):
    response = await client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2F"


async def test_the_return_address_keeps_the_query(client):
    response = await client.get("/admin/audit?offset=50")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Faudit%3Foffset%3D50"


async def test_api_routes_still_answer_401_json(client):
    response = await client.get("/api/auth/session")
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example"])
async def test_sign_in_page_never_embeds_an_off_site_target(client, target):
    html = (await (await client.get("/login", query_string={"next": target})).get_data()).decode()
    assert 'data-next="/"' in html
    assert "evil.example" not in html


async def test_sign_in_page_embeds_a_safe_target(client):
    html = (
        await (await client.get("/login", query_string={"next": "/admin/plugins"})).get_data()
    ).decode()
    assert 'data-next="/admin/plugins"' in html


@pytest.mark.parametrize(
    ("target", "location"), [("/admin/plugins", "/admin/plugins"), ("//evil.example", "/")]
)
async def test_signed_in_visitor_on_sign_in_page_goes_to_a_safe_target(
    admin_client, target, location
):
    response = await admin_client.get(f"/login?{urlencode({'next': target})}")
    assert response.status_code == 302
    assert response.headers["Location"] == location


async def test_plain_user_gets_a_friendly_403_page_on_admin(user_client):
    response = await user_client.get("/admin/plugins")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "You can&#39;t open this page" in (await response.get_data()).decode()


async def test_admin_opens_on_its_first_section(admin_client):
    response = await admin_client.get("/admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"


async def test_a_pending_password_change_sends_pages_to_password(app):
    await create_user(app, "newadmin", role="admin", must_change_password=True)
    browser = ApiClient(app)
    await browser.sign_in("newadmin")

    response = await browser.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/password"
    page = await browser.get("/password")
    assert page.status_code == 200
    html = (await page.get_data()).decode()
    assert "Choose your own password to continue" in html
    assert 'aria-label="Main"' not in html  # no navigation to pages that would bounce back


async def test_unknown_url_is_a_page_for_browsers_and_json_for_clients(client):
    page = await client.get(
        "/no/such/page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert re.search(r"<h1>Page not found</h1>", (await page.get_data()).decode())

    api = await client.get("/no/such/page")
    assert api.status_code == 404
    assert (await api.get_json())["error"]["code"] == "NOT_FOUND"

    under_api = await client.get("/api/no/such/route", headers={"Accept": "text/html"})
    assert under_api.status_code == 404
    assert (await under_api.get_json())["error"]["code"] == "NOT_FOUND"
