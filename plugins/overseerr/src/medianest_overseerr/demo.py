"""Overseerr for `medianest demo`: the stand-in with its demo household (matching the Plex
stand-in's: the owner 1001, the friend 1002 with a few requests in every state)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medianest.sdk import DemoConnection


@contextmanager
def demo_overseerr(data_dir: Path) -> Iterator[DemoConnection]:
    from medianest_overseerr.testing import FakeOverseerr  # the stand-in loads only for the demo

    with FakeOverseerr.demo() as fake:
        yield DemoConnection(
            url=fake.url,
            api_key=fake.api_key,
            notes=(
                "Overseerr: sign in with Plex as the owner or the friend, then Requests → search "
                "for “orbit” or “signal”; the friend has requests in every state. Its webhook is "
                "not wired in the demo: changes made in Overseerr arrive with the sync (5 min).",
            ),
        )
