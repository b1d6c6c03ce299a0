"""The address rules again when yt-dlp connects: DNS rebinding, proxies, other downloaders."""

from __future__ import annotations

from pathlib import Path

import pytest
from yt_dlp.networking.exceptions import TransportError
from yt_dlp.utils import DownloadError

from medianest_youtube.downloader import PlaylistDownload
from medianest_youtube.network import ConnectionGuard, GuardedYoutubeDL
from medianest_youtube.testing import PUBLIC_ADDRESS, FakeResolver, PlaylistServer
from medianest_youtube.urls import check_playlist_url


def test_a_name_that_now_resolves_to_loopback_is_not_connected_to(site: PlaylistServer) -> None:
    resolver = FakeResolver({"rebind.test": ["127.0.0.1"]})
    guard = ConnectionGuard(frozenset(), resolver)
    with (
        GuardedYoutubeDL({"quiet": True}, guard) as ydl,
        pytest.raises(TransportError, match="private or reserved address"),
    ):
        ydl.urlopen(f"http://rebind.test:{site.port}/feed.xml")
    assert resolver.calls == ["rebind.test"]
    assert site.requests == []


def test_the_same_request_goes_through_for_a_trusted_host(site: PlaylistServer) -> None:
    resolver = FakeResolver({"rebind.test": ["127.0.0.1"]})
    guard = ConnectionGuard.trusting(["Rebind.Test."], resolver)
    with GuardedYoutubeDL({"quiet": True}, guard) as ydl:
        assert ydl.urlopen(f"http://rebind.test:{site.port}/feed.xml").status == 200
    assert site.requests == ["/feed.xml"]


def test_a_youtube_name_that_rebinds_after_the_check_fails_at_connect(tmp_path: Path) -> None:
    resolver = FakeResolver({"www.youtube.com": [PUBLIC_ADDRESS]})
    checked = check_playlist_url("https://www.youtube.com/playlist?list=PL1", resolver=resolver)
    resolver.names["www.youtube.com"] = ["127.0.0.1"]  # the attacker's DNS changes its answer

    report = PlaylistDownload(checked, tmp_path, 1, resolver=resolver).run()

    assert report.status == "failed"
    # The guard's refusal, not a "connection refused" from port 443 on this machine.
    assert "private or reserved address" in report.error
    assert len(resolver.calls) >= 2 and set(resolver.calls) == {"www.youtube.com"}
    assert list(tmp_path.iterdir()) == []


def test_media_links_from_a_trusted_page_to_private_names_are_refused(
    site: PlaylistServer, tmp_path: Path, admin_added
) -> None:
    sneaky = site.add_item("Metadata", media_host="rebind.test")
    resolver = FakeResolver({"rebind.test": ["127.0.0.1"]})

    report = PlaylistDownload(admin_added(site.feed_url), tmp_path, 1, resolver=resolver).run()

    assert [item.status for item in report.items] == ["finished"] * 3 + ["failed"]
    assert "private or reserved address" in report.items[3].error
    assert site.requested(sneaky.path) == 0
    assert site.requested(site.items[0].path) > 0


def test_proxies_from_the_environment_are_not_used(
    site: PlaylistServer, tmp_path: Path, admin_added, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PlaylistServer("proxy", []) as proxy:
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        report = PlaylistDownload(admin_added(site.page_url), tmp_path, 1).run()
        assert report.status == "completed"
        assert proxy.requests == []
    assert site.requested("/playlist.html") == 1


def test_downloaders_that_open_their_own_connections_are_refused() -> None:
    with GuardedYoutubeDL({"quiet": True}, ConnectionGuard()) as ydl:
        for protocol in ("rtmp", "rtmp_ffmpeg", "m3u8"):
            info = {"id": "x", "url": "rtmp://127.0.0.1/live", "protocol": protocol, "ext": "mp4"}
            if protocol == "m3u8":  # a live HLS stream goes to ffmpeg whatever the options
                info = {**info, "url": "http://127.0.0.1/x.m3u8", "is_live": True}
            with pytest.raises(DownloadError, match="not supported"):
                ydl.dl("x.mp4", info)
