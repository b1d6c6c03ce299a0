"""A local playlist for `medianest demo`: a few small clips served on 127.0.0.1, slowly enough
that the progress bars have something to show. Its host is added to `allowed_hosts` (an
admin-added host may be private) and the downloads go into the demo Plex's "YouTube" library."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medianest.sdk import DemoConnection

from .urls import YOUTUBE_HOSTS

TITLES = ["Sunrise over the bay", "Harbour at noon", "Night train"]
RATE = 3072  # bytes a second: each clip takes about three seconds


@contextmanager
def demo_playlist(data_dir: Path) -> Iterator[DemoConnection]:
    from .testing import PlaylistServer  # ffmpeg makes the clips: only for the demo

    site = PlaylistServer("Demo playlist", [], slow_rate=RATE)
    for title in TITLES:
        site.add_item(title, kind="slow")
    with site:
        yield DemoConnection(
            url=site.feed_url,
            settings={
                "allowed_hosts": sorted({*YOUTUBE_HOSTS, "127.0.0.1"}),
                "plex_library": "YouTube",
            },
            notes=(
                (
                    f"YouTube: paste {site.feed_url} on the YouTube page (its host, 127.0.0.1, "
                    "was added to the plugin's allowed hosts); it lands in Plex's “YouTube” "
                    "library."
                ),
            ),
        )
