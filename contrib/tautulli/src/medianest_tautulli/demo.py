"""Tautulli for `medianest demo`: the stand-in's household, two people watching and a few
past plays."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medianest.sdk import DemoConnection
from medianest_tautulli.config import SERVICE


@contextmanager
def demo_tautulli(data_dir: Path) -> Iterator[DemoConnection]:
    from medianest_tautulli.testing import FakeTautulli  # the stand-in loads only for the demo

    with FakeTautulli.demo() as fake:
        yield DemoConnection(
            url=fake.url,
            api_key=fake.api_key,
            notes=(f"Tautulli ({SERVICE}): the dashboard's “Now playing” shows two streams.",),
        )
