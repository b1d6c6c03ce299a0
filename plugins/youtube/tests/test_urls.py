"""Submitted playlist URLs: the SSRF corpus (security-reliability.md §3.2) and what passes."""

from __future__ import annotations

import ipaddress

import pytest

from medianest_youtube.addresses import is_public
from medianest_youtube.testing import PUBLIC_ADDRESS, SSRF_CORPUS, FakeResolver, PlaylistServer
from medianest_youtube.urls import (
    MAX_URL_LENGTH,
    YOUTUBE_HOSTS,
    UrlRefused,
    check_playlist_url,
    normalise_hosts,
)

YOUTUBE_DNS = {host: [PUBLIC_ADDRESS] for host in YOUTUBE_HOSTS}

# What DNS may answer for a YouTube name that must still be refused.
PRIVATE_ANSWERS = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "192.0.0.8",
    "198.18.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:169.254.169.254",
    "::ffff:127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",
    "2002:a9fe:a9fe::",
    "2002:7f00:1::",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, client 192.0.2.45
]


@pytest.mark.parametrize("url", SSRF_CORPUS)
def test_the_ssrf_corpus_is_refused_without_a_lookup(url: str) -> None:
    resolver = FakeResolver(YOUTUBE_DNS)
    with pytest.raises(UrlRefused) as refused:
        check_playlist_url(url, resolver=resolver)
    assert str(refused.value)
    assert resolver.calls == []  # refused on its text alone: no name was even looked up


def test_the_corpus_aimed_at_a_live_local_server_never_reaches_it(site: PlaylistServer) -> None:
    port = site.port
    local = [
        site.feed_url,
        site.page_url,
        f"http://localhost:{port}/feed.xml",
        f"http://LocalHost.:{port}/feed.xml",
        f"http://2130706433:{port}/feed.xml",
        f"http://0x7f000001:{port}/feed.xml",
        f"http://0x7f.1:{port}/feed.xml",
        f"http://[::ffff:127.0.0.1]:{port}/feed.xml",
        f"http://youtube.com@127.0.0.1:{port}/feed.xml",
        f"-{site.feed_url}",
        f"http://www.youtube.com:{port}/feed.xml",
    ]
    resolver = FakeResolver({**YOUTUBE_DNS, "localhost": ["127.0.0.1"]})
    for url in local:
        with pytest.raises(UrlRefused):
            check_playlist_url(url, resolver=resolver)
    assert site.requests == []


@pytest.mark.parametrize("address", PRIVATE_ANSWERS)
def test_a_youtube_name_resolving_to_a_private_address_is_refused(address: str) -> None:
    resolver = FakeResolver({"www.youtube.com": [address]})
    with pytest.raises(UrlRefused, match="private or reserved address"):
        check_playlist_url("https://www.youtube.com/playlist?list=PL1", resolver=resolver)
    assert not is_public(ipaddress.ip_address(address))


def test_a_name_resolving_to_public_and_private_addresses_is_refused() -> None:
    resolver = FakeResolver({"youtube.com": [PUBLIC_ADDRESS, "10.0.0.7"]})
    with pytest.raises(UrlRefused, match="private or reserved address"):
        check_playlist_url("https://youtube.com/playlist?list=PL1", resolver=resolver)


def test_a_name_that_does_not_resolve_fails_closed() -> None:
    with pytest.raises(UrlRefused, match="could not be resolved"):
        check_playlist_url("https://youtu.be/abc", resolver=FakeResolver())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "Only http:// and https://"),
        ("https://evil.example/x", "evil.example is not one of them"),
        ("https://a:b@www.youtube.com/x", "user name or password"),
        ("https://www.youtube.com/x y", "spaces"),
        ("http://0x7f.1/", "usual dotted form"),
        ("https://www.youtube.com:444/x", "no port number"),
        ("x" * (MAX_URL_LENGTH + 1), "too long"),
        ("", "Enter the playlist's URL"),
    ],
)
def test_refusals_say_why(url: str, message: str) -> None:
    with pytest.raises(UrlRefused, match=message):
        check_playlist_url(url, resolver=FakeResolver(YOUTUBE_DNS))


@pytest.mark.parametrize("value", [None, 42, b"https://www.youtube.com/", ["x"]])
def test_a_url_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(UrlRefused, match="Enter the playlist's URL"):
        check_playlist_url(value, resolver=FakeResolver(YOUTUBE_DNS))


@pytest.mark.parametrize(
    ("url", "normalised", "host"),
    [
        (
            "https://www.youtube.com/playlist?list=PLabc",
            "https://www.youtube.com/playlist?list=PLabc",
            "www.youtube.com",
        ),
        (
            "HTTPS://WWW.YouTube.COM./playlist?list=PLabc#__youtubedl_smuggle=x",
            "https://www.youtube.com/playlist?list=PLabc",
            "www.youtube.com",
        ),
        ("https://youtu.be/abc?si=x", "https://youtu.be/abc?si=x", "youtu.be"),
        ("http://m.youtube.com:80/playlist?list=P", "http://m.youtube.com/playlist?list=P", None),
        ("https://music.youtube.com:443", "https://music.youtube.com/", "music.youtube.com"),
    ],
)
def test_youtube_urls_pass_normalised(url: str, normalised: str, host: str | None) -> None:
    checked = check_playlist_url(url, resolver=FakeResolver(YOUTUBE_DNS))
    assert checked.url == normalised
    assert checked.trusted is False
    assert host is None or checked.host == host


def test_a_host_the_admin_added_may_be_private_and_is_not_looked_up(site: PlaylistServer) -> None:
    resolver = FakeResolver()
    allowed = [*YOUTUBE_HOSTS, "127.0.0.1", "NAS.local."]
    checked = check_playlist_url(site.feed_url, allowed, resolver=resolver)
    assert (checked.url, checked.host, checked.trusted) == (site.feed_url, "127.0.0.1", True)
    nas = check_playlist_url("http://nas.local:8080/list.html", allowed, resolver=resolver)
    assert (nas.url, nas.trusted) == ("http://nas.local:8080/list.html", True)
    assert resolver.calls == []


def test_youtube_hosts_stay_checked_when_the_admin_also_lists_them() -> None:
    resolver = FakeResolver({"youtube.com": ["127.0.0.1"]})
    with pytest.raises(UrlRefused, match="private"):
        check_playlist_url("https://youtube.com/x", [*YOUTUBE_HOSTS, "nas"], resolver=resolver)


def test_admin_entries_are_normalised_and_junk_is_dropped() -> None:
    hosts = normalise_hosts(["YouTube.com.", "", "bad host", "::1", "b\u00fccher.example"])
    assert hosts == {"youtube.com", "::1", "xn--bcher-kva.example"}


@pytest.mark.parametrize(
    "address", ["142.250.74.46", "2607:f8b0:4004:c1b::65", "64:ff9b::8efa:4a2e", "1.1.1.1"]
)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
