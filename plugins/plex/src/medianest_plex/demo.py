"""Plex for `medianest demo`: plex.tv and a Plex server with a household in it (the stand-ins of
`medianest_plex.testing`), so sign-in with Plex, the widget and browsing work without Plex."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medianest.sdk import DemoConnection


@contextmanager
def demo_plex(data_dir: Path) -> Iterator[DemoConnection]:
    from medianest_plex.testing import demo_household  # the stand-ins load only for the demo

    # The "YouTube" library is the demo's download folder, so downloads show up in Plex.
    household = demo_household(
        media_root=str(data_dir / "media"), videos_location=str(data_dir / "downloads")
    )
    with household.plextv, household.server:
        people = (
            f"{household.owner.title} (the server's owner), {household.friend.title} (Movies and "
            f"TV Shows shared with them) or {household.stranger.title} (no access: refused)"
        )
        yield DemoConnection(
            url=household.server.url,
            api_key=household.server.owner_token,
            settings={"plex_tv_url": household.plextv.url},
            notes=(
                "Sign in with Plex: the stand-in plex.tv page asks who approves the code — "
                f"{people}.",
            ),
        )
