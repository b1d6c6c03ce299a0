"""Baseline: what MediaNest's cheapest JSON endpoint costs over a bare Quart app.

Serves a bare Quart app and MediaNest (`medianest.asgi:app`, embedded defaults in a temporary
data dir, no plugins) on hypercorn with the product's settings, loads `GET /healthz` on each
with the same client in alternating rounds, and prints the medians and the ratios
MediaNest/bare. Exits non-zero only when a server fails to start or answers errors.

    uv run python bench/baseline.py [--duration 10] [--rounds 2] [--connections 64]
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
from functools import partial

from _harness import (
    BARE_APP,
    alternate,
    check_json_ok,
    json_line,
    load,
    load_tool,
    medianest_env,
    report,
    run_bench,
    serve,
)

MEDIANEST_APP = "medianest.asgi:app"  # what `medianest serve` runs: create_app() from the env
WARMUP_SECONDS = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians kept")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = load_tool()
    with (
        tempfile.TemporaryDirectory(prefix="medianest-bench-data-") as data_dir,
        serve(BARE_APP) as bare_url,
        serve(MEDIANEST_APP, medianest_env(data_dir)) as medianest_url,
    ):
        targets = {"bare": bare_url + "/healthz", "medianest": medianest_url + "/healthz"}
        for url in targets.values():
            check_json_ok(url)
            load(url, WARMUP_SECONDS, args.connections)
        print(
            f"baseline: GET /healthz, hypercorn 1 worker, {tool} {args.connections} connections, "
            f"{args.duration:g} s x {args.rounds} alternating rounds (medians), "
            f"{os.cpu_count()} CPUs"
        )
        results = alternate(
            {
                name: partial(load, url, args.duration, args.connections)
                for name, url in targets.items()
            },
            args.rounds,
        )
    figures = report("MediaNest /healthz", results["bare"], results["medianest"])
    print(
        json_line(
            "baseline",
            date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            cpus=os.cpu_count(),
            tool=tool,
            duration_s=args.duration,
            rounds=args.rounds,
            connections=args.connections,
            bare=figures["baseline"],
            medianest=figures["candidate"],
            throughput_ratio=figures["throughput_ratio"],
            p99_ratio=figures["p99_ratio"],
        )
    )
    errors = {name: result.errors for name, result in results.items() if result.errors}
    if errors:
        print(f"errors answered under load: {errors}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run_bench(main)
