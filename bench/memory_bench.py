"""Idle memory: what a running MediaNest holds against a bare Quart app on hypercorn.

Starts, one at a time, bare Quart (the harness's app on hypercorn) and real `medianest serve`
processes on the embedded default (SQLite and in-memory backends, an empty temporary data dir):
one with two plugins (`MEDIANEST_PLUGINS=plex,uptime_kuma`) and one with the four first-party
plugins and the web shell. Each gets a few warm requests, is left to settle, and its resident
memory (the process and any children, from /proc) is read several times; the median of those
readings is the run's figure. Prints the median over `--runs` runs and the ratio to bare. The
servers may write and read bytecode (PYTHONDONTWRITEBYTECODE is dropped), as an installed
MediaNest does: compiling every module at each start also leaves more memory behind.

    uv run python bench/memory_bench.py [--runs 3] [--settle 3]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _harness import (
    BARE_APP,
    SERVER,
    BenchError,
    free_port,
    json_line,
    medianest_env,
    rss_mib,
    run_bench,
    run_server,
)

TWO_PLUGINS = "plex,uptime_kuma"
ALL_PLUGINS = "plex,uptime_kuma,overseerr,youtube,web"
WARM_REQUESTS = 10  # per path
SAMPLES = 5
SAMPLE_GAP = 0.5  # seconds between RSS readings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per target; medians kept")
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds idle after the warm requests"
    )
    return parser.parse_args(argv)


def medianest_command() -> list[str]:
    """`medianest serve` from the same environment as this bench."""
    script = Path(sys.executable).with_name("medianest")
    if not script.exists():
        raise BenchError(f"no `medianest` command beside {sys.executable}")
    return [str(script), "serve"]


def serve_env(data_dir: str, port: int, plugins: str) -> dict[str, str]:
    """The embedded default in `data_dir`, plugins found by their entry points, this allow-list."""
    return medianest_env(
        data_dir,
        host="127.0.0.1",
        port=str(port),
        plugins=plugins,
        disable_plugin_autoload="0",
        log_level="WARNING",
    )


def idle_rss(command: list[str], port: int, env: dict[str, str], paths: list[str], settle: float):
    """Start the server, warm it with GETs on `paths`, let it settle, return its median RSS."""
    with run_server(command, port, env) as server, httpx.Client(timeout=10) as client:
        for path in paths:
            for _ in range(WARM_REQUESTS):
                client.get(server.url + path)
        time.sleep(settle)
        readings = []
        for _ in range(SAMPLES):
            readings.append(rss_mib(server.process.pid))
            time.sleep(SAMPLE_GAP)
        return statistics.median(readings)


def measure(name: str, settle: float) -> float:
    port = free_port()
    if name == "bare":
        command = [sys.executable, str(SERVER), BARE_APP, str(port)]
        return idle_rss(command, port, {}, ["/healthz"], settle)
    plugins = TWO_PLUGINS if name == "2 plugins" else ALL_PLUGINS
    paths = ["/healthz", "/readyz"] + (["/", "/login"] if name != "2 plugins" else [])
    with tempfile.TemporaryDirectory(prefix="medianest-bench-data-") as data_dir:
        env = serve_env(data_dir, port, plugins)
        return idle_rss(medianest_command(), port, env, paths, settle)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # see the module's docstring
    targets = ["bare", "2 plugins", "4 plugins + web"]
    print(
        f"idle RSS (MiB, process and children) after {WARM_REQUESTS} warm GETs per path and "
        f"{args.settle:g} s idle, median of {SAMPLES} readings, median of {args.runs} runs; "
        f"MediaNest: `medianest serve`, embedded default; {os.cpu_count()} CPUs"
    )
    runs: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(args.runs):
        for name in targets:  # one server at a time, in turn: drift hits all alike
            runs[name].append(measure(name, args.settle))
    medians = {name: round(statistics.median(values), 1) for name, values in runs.items()}
    bare = medians["bare"]
    for name in targets:
        each = ", ".join(f"{value:.1f}" for value in runs[name])
        print(f"{name:<16} {medians[name]:7.1f} MiB  {medians[name] / bare:5.2f}x bare  ({each})")
    print(
        json_line(
            "memory",
            date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            cpus=os.cpu_count(),
            runs=args.runs,
            rss_mib=medians,
            ratios={name: round(medians[name] / bare, 2) for name in targets},
            all_runs=runs,
        )
    )
    return 0


if __name__ == "__main__":
    run_bench(main)
