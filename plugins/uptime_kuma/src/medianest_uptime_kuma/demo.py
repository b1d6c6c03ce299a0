"""Uptime Kuma for `medianest demo`: the stand-in's demo status page, where one monitor keeps
going down and coming back so the dashboard has something to show live."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from medianest.sdk import DemoConnection

if TYPE_CHECKING:
    from medianest_uptime_kuma.testing import FakeUptimeKuma

FLAPPING_MONITOR = "Home Assistant"
FLAP_EVERY = 40.0  # seconds between its changes


@contextmanager
def demo_kuma(data_dir: Path) -> Iterator[DemoConnection]:
    from medianest_uptime_kuma.testing import DEFAULT_API_KEY, FakeUptimeKuma  # only for the demo

    kuma = FakeUptimeKuma.demo()
    stop = threading.Event()
    flapper = threading.Thread(target=_flap, args=(kuma, stop), name="demo-kuma-flap", daemon=True)
    with kuma.serve_in_thread() as server:
        flapper.start()
        try:
            yield DemoConnection(
                url=server.url,
                api_key=DEFAULT_API_KEY,
                config={"status_page": kuma.slug},
                notes=(
                    f"Uptime Kuma: “{FLAPPING_MONITOR}” goes down and up every {FLAP_EVERY:g} s.",
                ),
            )
        finally:
            stop.set()
            flapper.join()


def _flap(kuma: FakeUptimeKuma, stop: threading.Event) -> None:
    from medianest_uptime_kuma.testing import MonitorStatus

    monitor = next(m.id for m in kuma.monitors if m.name == FLAPPING_MONITOR)
    up = False
    while not stop.wait(FLAP_EVERY):
        up = not up
        kuma.set_status(monitor, MonitorStatus.UP if up else MonitorStatus.DOWN)
