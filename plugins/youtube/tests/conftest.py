"""Fixtures for the YouTube engine's tests: a local playlist served on 127.0.0.1.

The clips are made with ffmpeg (CI installs it); without it the tests that serve a playlist fail
with "ffmpeg is needed to make test clips".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from medianest_youtube.testing import PlaylistServer
from medianest_youtube.urls import YOUTUBE_HOSTS, CheckedUrl, check_playlist_url


@pytest.fixture
def site() -> Iterator[PlaylistServer]:
    with PlaylistServer("Holiday", ["Day one", "Day two", "Day three"]) as server:
        yield server


@pytest.fixture
def admin_added() -> Callable[[str], CheckedUrl]:
    """Checks a URL as MediaNest does when the admin has added 127.0.0.1 to the allowed hosts."""

    def check(url: str) -> CheckedUrl:
        return check_playlist_url(url, allowed_hosts={*YOUTUBE_HOSTS, "127.0.0.1"})

    return check
