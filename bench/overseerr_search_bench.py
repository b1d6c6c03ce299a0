"""Searching through MediaNest's Overseerr plugin against searching Overseerr itself.

In one run, on hypercorn with the product's settings (bench/_harness.py), against the Overseerr
stand-in (`FakeOverseerr.demo()` with 200 more "Orbit" movies, so a search fills a page of 20;
served by a subprocess of this script so that it does not share the load client's CPU time):

  1. straight to the stand-in: `GET /api/v1/search?query=orbit` with the API key (the baseline);
  2. `GET /api/media/search?q=orbit` through MediaNest, signed in:
       cold   — a MediaNest whose search cache is off (`search_cache_seconds: 0`): every search
                goes MediaNest → Overseerr → MediaNest (normalised, plus the caller's requests);
       cached — a MediaNest with the default cache (60 s): Overseerr is asked once a minute;
     each with `--connections` clients at once, then with one (what one person waits).

Every load uses the same asyncio httpx client as bench/plex_browse_bench.py (p50/p95/p99).

    uv run python bench/overseerr_search_bench.py [--duration 5] [--rounds 2] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
from _harness import BenchError, check_json_ok, free_port, json_line, run_bench, serve
from plex_browse_bench import Sample, alternate, browse_load

QUERY = "orbit"
EXTRA_MOVIES = 200
PASSWORD = "bench password that is long"
STANDIN_READY = 30.0
LABELS = {
    "direct": "Overseerr stand-in, direct",
    "cold": "MediaNest, cache off",
    "cached": "MediaNest, cached",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--standin", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ---- the stand-in, in its own process ---------------------------------------------------------


def serve_standin(port: int) -> None:
    from medianest_overseerr.testing import FakeOverseerr

    async def main() -> None:
        fake = FakeOverseerr.demo(port=port)
        for number in range(EXTRA_MOVIES):
            fake.add_movie(f"Orbit {number:03d}", 1990 + number % 35)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with fake:
            await stop.wait()

    asyncio.run(main())


@contextlib.contextmanager
def standin() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--standin", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STANDIN_READY
        while not _answers(url + "/api/v1/status"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the Overseerr stand-in did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# ---- MediaNest: prepared in-process, then served ------------------------------------------------


async def prepare(data_dir: str, overseerr: str, api_key: str, *, cache_seconds: int) -> None:
    """The admin's part: the connection, the cache setting, a user, an API limit the load
    cannot hit."""
    import medianest_overseerr
    from medianest.app import create_app
    from medianest.settings import Settings
    from medianest.testing.clients import create_user

    app = create_app(
        Settings(data_dir=data_dir, admin_password=PASSWORD), plugins=[medianest_overseerr]
    )
    async with app.test_app():
        core = app.extensions["medianest"]
        await core.system.update({"rate_limits": {"api": {"limit": 1_000_000, "window": 60}}})
        await core.services.put("overseerr", url=overseerr, api_key=api_key, config={"timeout": 10})
        await core.plugin_settings_store.update(
            "overseerr", {"search_cache_seconds": cache_seconds}
        )
        await create_user(app, "bench", password=PASSWORD)


def medianest_env(data_dir: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MEDIANEST_")}
    return {
        **inherited,
        "MEDIANEST_DATA_DIR": data_dir,
        "MEDIANEST_LOG_LEVEL": "WARNING",
        "MEDIANEST_PLUGINS": "overseerr",
    }


def session_cookie(base: str) -> str:
    response = httpx.post(
        f"{base}/api/auth/admin", json={"username": "bench", "password": PASSWORD}
    )
    response.raise_for_status()
    return f"medianest_session={response.cookies['medianest_session']}"


# ---- the run --------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> tuple[dict[str, Sample], dict[str, Sample]]:
    from medianest_overseerr.testing import DEFAULT_API_KEY

    with (
        standin() as overseerr,
        tempfile.TemporaryDirectory(prefix="medianest-bench-ovsr-") as work,
    ):
        cold_dir, cached_dir = str(Path(work, "cold")), str(Path(work, "cached"))
        asyncio.run(prepare(cold_dir, overseerr, DEFAULT_API_KEY, cache_seconds=0))
        asyncio.run(prepare(cached_dir, overseerr, DEFAULT_API_KEY, cache_seconds=60))
        with (
            serve("medianest.asgi:app", medianest_env(cold_dir)) as cold,
            serve("medianest.asgi:app", medianest_env(cached_dir)) as cached,
        ):
            targets = {
                "direct": (
                    f"{overseerr}/api/v1/search?query={QUERY}",
                    {"X-Api-Key": DEFAULT_API_KEY},
                ),
                "cold": (f"{cold}/api/media/search?q={QUERY}", {"Cookie": session_cookie(cold)}),
                "cached": (
                    f"{cached}/api/media/search?q={QUERY}",
                    {"Cookie": session_cookie(cached)},
                ),
            }
            for url, headers in targets.values():
                found = check_json_ok(url, headers)
                if len(found.get("results") or found.get("data", {}).get("items") or []) < 20:
                    raise BenchError(f"{url} found fewer than 20 titles: the comparison is off")
                browse_load(lambda url=url: url, 2, args.connections, headers)  # warm-up

            def loads(connections: int):
                return {
                    name: partial(
                        browse_load, lambda url=url: url, args.duration, connections, headers
                    )
                    for name, (url, headers) in targets.items()
                }

            loaded = alternate(loads(args.connections), args.rounds)
            alone = alternate(loads(1), args.rounds)
    return loaded, alone


def print_table(title: str, samples: dict[str, Sample]) -> None:
    print(f"{title:<30}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, label in LABELS.items():
        s = samples[name]
        figures = f"{s.rps:>9.1f}{s.p50_ms:>9.2f}{s.p95_ms:>9.2f}{s.p99_ms:>9.2f}{s.errors:>8}"
        print(f"  {label:<28}{figures}")


def ratios(samples: dict[str, Sample]) -> dict[str, dict[str, float]]:
    direct = samples["direct"]
    return {
        name: {
            "p95_ms": samples[name].p95_ms,
            "p95_ratio": round(samples[name].p95_ms / direct.p95_ms, 2),
            "throughput_ratio": round(samples[name].rps / direct.rps, 2),
        }
        for name in ("cold", "cached")
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.standin:
        serve_standin(args.standin)
        return 0
    loaded, alone = measure(args)
    print(
        f"overseerr search: hypercorn 1 worker, httpx client, {args.duration:g} s x "
        f"{args.rounds} rounds, q={QUERY!r} (20 results a page)"
    )
    print_table(f"loaded ({args.connections} conn.)", loaded)
    print_table("one connection", alone)
    figures = {"loaded": ratios(loaded), "one_connection": ratios(alone)}
    for where, by_name in figures.items():
        for name, figure in by_name.items():
            print(
                f"{where}: {LABELS[name]} / direct: p95 {figure['p95_ratio']:.2f}x, "
                f"throughput {figure['throughput_ratio']:.2f}x"
            )
    errors = sum(s.errors for s in [*loaded.values(), *alone.values()])
    print(json_line("overseerr_search", **figures, errors=errors))
    return 1 if errors else 0


if __name__ == "__main__":
    run_bench(main)
