"""Sonarr and Radarr for `medianest demo`: stand-ins whose titles match the Overseerr
stand-in's catalogue, so an approved request there shows its download here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medianest.sdk import DemoConnection


@contextmanager
def demo_sonarr(data_dir: Path) -> Iterator[DemoConnection]:
    from medianest_arr.testing import FakeSonarr  # the stand-ins load only for the demo

    with FakeSonarr.demo() as fake:
        yield DemoConnection(
            url=fake.url,
            api_key=fake.api_key,
            notes=("Sonarr: an episode downloading, one airing tomorrow, one missing.",),
        )


@contextmanager
def demo_radarr(data_dir: Path) -> Iterator[DemoConnection]:
    from medianest_arr.testing import FakeRadarr

    with FakeRadarr.demo() as fake:
        yield DemoConnection(
            url=fake.url,
            api_key=fake.api_key,
            notes=(
                "Radarr: “Deep Field” downloading (the friend's approved request in Overseerr "
                "shows its progress), one failed download, one release next week.",
            ),
        )
