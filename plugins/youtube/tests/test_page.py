"""The page `/youtube/` and the dashboard widget, as served (the browser test drives the page)."""

from __future__ import annotations

import re

from medianest.testing.clients import ApiClient
from medianest_youtube.testing import PlaylistServer


async def test_the_page_shows_the_form_and_your_downloads(
    youtube_app, alice, bob, local_allowed, downloads
):
    with PlaylistServer("Her playlist", ["One"]) as site:
        mine = await downloads.submitted(alice, site.feed_url)
        await downloads.finished(alice, mine)
        theirs = await downloads.submitted(bob, site.page_url)
        await downloads.finished(bob, theirs)

    response = await alice.get("/youtube/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = await response.get_data(as_text=True)
    assert "data-youtube-form" in html and 'name="playlist_url"' in html
    assert f'data-download="{mine}"' in html and "Her playlist" in html
    assert theirs not in html  # only your own
    assert re.search(r'src="/static/plugins/youtube/js/youtube\.js\?v=\w+"', html)
    assert re.search(r'href="/static/plugins/youtube/css/youtube\.css\?v=\w+"', html)
    assert 'href="/youtube/"' in html  # the header's YouTube link, now that the page is served

    script = await alice.get("/static/plugins/youtube/js/youtube.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert "/ws/youtube/" in await script.get_data(as_text=True)
    assert (await alice.get("/static/plugins/youtube/css/youtube.css")).status_code == 200


async def test_a_signed_out_visitor_is_sent_to_sign_in(youtube_app):
    response = await ApiClient(youtube_app).get("/youtube/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fyoutube%2F"


async def test_without_the_permission_there_is_no_form(youtube_app, admin, alice):
    alice_id = (await (await alice.get("/api/auth/session")).get_json())["data"]["user"]["id"]
    revoke = {"permissions": {"youtube.download": False}}
    assert (await admin.put(f"/api/admin/users/{alice_id}", json=revoke)).status_code == 200
    html = await (await alice.get("/youtube/")).get_data(as_text=True)
    assert "data-youtube-form" not in html and "data-no-permission" in html


async def test_the_widget_lists_your_active_downloads(youtube_app, alice, local_allowed, downloads):
    with PlaylistServer("Widget", [], slow_rate=1024) as site:
        site.add_item("Slow", kind="slow")
        download_id = await downloads.submitted(alice, site.feed_url)
        await downloads.downloading(alice, download_id)
        widgets = (await (await alice.get("/api/dashboard/widgets")).get_json())["data"]["items"]
        widget = next(w for w in widgets if w["id"] == "youtube.downloads")
        assert f'data-download="{download_id}"' in widget["html"]
        assert "Widget" in widget["html"] and 'href="/youtube/"' in widget["html"]
        assert (await alice.delete(f"/api/youtube/downloads/{download_id}")).status_code == 200
    widgets = (await (await alice.get("/api/dashboard/widgets")).get_json())["data"]["items"]
    widget = next(w for w in widgets if w["id"] == "youtube.downloads")
    assert "No downloads running" in widget["html"]
