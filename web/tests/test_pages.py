"""Every page: HTML the CSP allows, the security headers, no caching; assets cached for good."""

from __future__ import annotations

import re

import pytest
from html_scan import scan_html

from medianest.testing.clients import ApiClient, create_user

ADMIN_PAGES = [
    "/admin/users",
    "/admin/services",
    "/admin/plugins",
    "/admin/settings",
    "/admin/audit",
]
SIGNED_IN_PAGES = ["/", "/password"]
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
)


async def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/html"
    return (await response.get_data()).decode()


def assert_page_headers(response) -> None:
    for name in SECURITY_HEADERS:
        assert name in response.headers, name
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_sign_in_page_is_clean_html(client):
    response = await client.get("/login")
    scan = scan_html(await html_of(response))
    assert_page_headers(response)
    assert scan.csp_violations == []


@pytest.mark.parametrize("path", SIGNED_IN_PAGES + ADMIN_PAGES)
async def test_signed_in_pages_are_clean_html(admin_client, path):
    response = await admin_client.get(path)
    scan = scan_html(await html_of(response))
    assert_page_headers(response)
    assert scan.csp_violations == []


async def test_not_found_page_is_clean_html(client):
    response = await client.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    scan = scan_html((await response.get_data()).decode())
    assert_page_headers(response)
    assert scan.csp_violations == []


async def test_every_referenced_asset_is_served_immutable(admin_client):
    urls = set()
    for path in SIGNED_IN_PAGES + ADMIN_PAGES:
        urls.update(scan_html(await html_of(await admin_client.get(path))).asset_urls)
    assert urls, "pages reference no assets"
    for url in sorted(urls):
        assert re.fullmatch(r"/static/web/[\w/.-]+\?v=[0-9a-f]{12}", url), url
        response = await admin_client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url


async def test_module_imports_carry_the_imported_file_version(client):
    api_url = re.search(
        r'"\./api\.js\?v=([0-9a-f]{12})"',
        (await (await client.get("/static/web/js/shell.js")).get_data()).decode(),
    )
    assert api_url is not None
    served = await client.get(f"/static/web/js/api.js?v={api_url.group(1)}")
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
async def test_unversioned_or_outdated_asset_urls_are_revalidated(client, query):
    response = await client.get(f"/static/web/css/app.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "text/css"


async def test_asset_etag_answers_304(client):
    first = await client.get("/static/web/js/api.js")
    again = await client.get(
        "/static/web/js/api.js", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert await again.get_data() == b""


@pytest.mark.parametrize(
    "path",
    [
        "/static/web/nope.js",
        "/static/web/../pages.py",
        "/static/web/%2e%2e/pages.py",
        "/static/web/js/../../pages.py",
    ],
)
async def test_unknown_assets_and_paths_outside_the_folder_are_404(client, path):
    response = await client.get(path)
    assert response.status_code == 404


async def test_plain_user_sees_no_admin_link(user_client):
    html = await html_of(await user_client.get("/"))
    assert 'href="/admin"' not in html
    assert 'href="/"' in html


async def test_admin_sees_the_admin_link(admin_client):
    html = await html_of(await admin_client.get("/"))
    assert 'href="/admin"' in html


async def test_usernames_are_escaped(app):
    await create_user(app, "<img src=x onerror=alert(1)>")
    browser = ApiClient(app)
    await browser.sign_in("<img src=x onerror=alert(1)>")
    html = await html_of(await browser.get("/"))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert scan_html(html).csp_violations == []
