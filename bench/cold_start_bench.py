"""Cold start: seconds from spawning a server to its first 200 on GET /healthz.

Two figures per start: the wall time a person waits, and the CPU time (user + system) the
server's processes used until then, which on a shared machine says more about the code than
the wall time does (a busy machine stretches the first, hardly the second).

Each start gets a fresh, empty data dir (the embedded default: SQLite and in-memory backends,
so the first start's work is included: migrations, keys, the first admin). Three ways in:

- **bare**: the harness's bare Quart app on hypercorn, the same Python;
- **direct**: `medianest serve` from this environment;
- **uv run**: the README's `./dev serve` (`uv run --locked medianest serve`) from the
  repository root, with uv's own check of the lock and the environment.

The starts alternate (bare, direct, uv run, bare, …) after one untimed start of each; prints
each one's median over `--runs` and its ratio to bare. MediaNest loads every installed plugin
unless `--plugins` narrows it. The servers may write bytecode (PYTHONDONTWRITEBYTECODE is
dropped) and the untimed starts let them, as any start after an install's first finds it:
without it, every start compiles every module it imports, some 2 s more on this machine.

    uv run python bench/cold_start_bench.py [--runs 5] [--plugins plex,uptime_kuma]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
from pathlib import Path

from _harness import (
    BARE_APP,
    SERVER,
    BenchError,
    free_port,
    json_line,
    medianest_env,
    run_bench,
    run_server,
)

REPOSITORY = SERVER.parent.parent
POLL = 0.01  # seconds between readiness polls: the figure's resolution


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="starts per way in; medians kept")
    parser.add_argument(
        "--plugins", default=None, help="MEDIANEST_PLUGINS for MediaNest (default: all installed)"
    )
    return parser.parse_args(argv)


def command(way: str, port: int) -> list[str]:
    if way == "bare":
        return [sys.executable, str(SERVER), BARE_APP, str(port)]
    if way == "direct":
        script = Path(sys.executable).with_name("medianest")
        if not script.exists():
            raise BenchError(f"no `medianest` command beside {sys.executable}")
        return [str(script), "serve"]
    return [str(REPOSITORY / "dev"), "serve"]


def start_once(way: str, plugins: str | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) from the spawn to the first 200."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="medianest-bench-data-") as data_dir:
        settings = {"host": "127.0.0.1", "port": str(port), "disable_plugin_autoload": "0"}
        if plugins is not None:
            settings["plugins"] = plugins
        env = {} if way == "bare" else medianest_env(data_dir, **settings)
        cwd = REPOSITORY if way == "uv run" else None
        with run_server(command(way, port), port, env, cwd=cwd, poll=POLL) as server:
            return server.ready_after, server.ready_cpu


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # see the module's docstring
    ways = ["bare", "direct", "uv run"]
    plugins = args.plugins or "every installed plugin"
    print(
        f"cold start to the first 200 on /healthz, empty data dir, MediaNest with {plugins}; "
        f"median of {args.runs} alternating starts; {os.cpu_count()} CPUs"
    )
    for way in ways:
        start_once(way, args.plugins)  # untimed: bytecode written, files in the page cache
    walls: dict[str, list[float]] = {way: [] for way in ways}
    cpus: dict[str, list[float]] = {way: [] for way in ways}
    for _ in range(args.runs):
        for way in ways:
            wall, cpu = start_once(way, args.plugins)
            walls[way].append(wall)
            cpus[way].append(cpu)
    wall_s = {way: round(statistics.median(values), 3) for way, values in walls.items()}
    cpu_s = {way: round(statistics.median(values), 3) for way, values in cpus.items()}
    header = f"{'':<8} {'wall':>7}  {'/ bare':>6}  {'CPU':>7}  {'/ bare':>6}"
    print(f"{header}  (each start's wall time)")
    for way in ways:
        each = ", ".join(f"{value:.2f}" for value in walls[way])
        print(
            f"{way:<8} {wall_s[way]:6.2f}s  {wall_s[way] / wall_s['bare']:5.2f}x  "
            f"{cpu_s[way]:6.2f}s  {cpu_s[way] / cpu_s['bare']:5.2f}x  ({each})"
        )
    print(
        json_line(
            "cold_start",
            date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            cpus=os.cpu_count(),
            load_average=os.getloadavg()[0],
            runs=args.runs,
            plugins=args.plugins,
            wall_s=wall_s,
            cpu_s=cpu_s,
            wall_ratios={way: round(wall_s[way] / wall_s["bare"], 2) for way in ways},
            cpu_ratios={way: round(cpu_s[way] / cpu_s["bare"], 2) for way in ways},
            all_walls={way: [round(v, 3) for v in values] for way, values in walls.items()},
        )
    )
    return 0


if __name__ == "__main__":
    run_bench(main)
