"""Browsing a 100,000-item Plex library through MediaNest, and the memory the Plex plugin adds.

In one run, on hypercorn with the product's settings (bench/_harness.py), against the Plex
stand-ins (plex.tv and a Plex Media Server with one 100,000-item library, served by a
subprocess of this script so that they do not share the load client's CPU time):

  1. two baselines: the bare Quart JSON GET (the harness's), and a random page of the library
     asked of the Plex stand-in directly (what Plex itself costs);
  2. `GET /api/plex/library/{id}/items?offset=<o>&limit=50` as a user signed in with Plex
     (through the real PIN flow, then sending the cookies a browser keeps):
       cold — a random offset per request (0–99,950), so nearly every page is a cache miss:
              MediaNest → Plex (one paged request) → MediaNest;
       warm — the same page over and over: served from the plugin's per-user cache;
     each with `--connections` clients at once, then with one (the latency one person sees).
     The p95 ratios: warm against bare Quart, cold against Plex direct;
  3. memory: the server's RSS after start, MediaNest without plugins against MediaNest with
     the Plex plugin, and the latter again after the loads (its browse cache full); and what
     importing the plugin allocates (tracemalloc, in a fresh interpreter with the core loaded).

Random URLs need a client that makes them, so every load here (the baseline's too) uses the
same asyncio httpx client, which reports p50/p95/p99. It is Python and tops out far below wrk,
so its absolute figures understate the server; compare the ratios.

    uv run python bench/plex_browse_bench.py [--duration 10] [--rounds 2] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from _harness import (
    BARE_APP,
    SERVER,
    BenchError,
    check_json_ok,
    free_port,
    json_line,
    run_bench,
    serve,
)

ITEMS = 100_000
PAGE = 50
OWNER_TOKEN = "bench-owner-token-0123456789"  # the stand-ins' owner account, for this run only
ADMIN_PASSWORD = "bench admin password that is long"
STANDINS_READY = 30.0
FIGURES = ("rps", "p50_ms", "p95_ms", "p99_ms")
LABELS = {
    "bare": "bare Quart /healthz",
    "direct": "Plex stand-in, direct",
    "cold": "browse, cold (via Plex)",
    "warm": "browse, warm (cache)",
}


@dataclass(frozen=True)
class Sample:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--standins", nargs=2, type=int, metavar=("PLEXTV_PORT", "PMS_PORT"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


# ---- the stand-ins, in their own process ------------------------------------------------------


def serve_standins(plextv_port: int, pms_port: int) -> None:
    """The subprocess: plex.tv and a server whose only library holds 100,000 movies."""
    from medianest_plex.testing import FakePlexServer, FakePlexTV

    async def main() -> None:
        plextv, server = FakePlexTV(port=plextv_port), FakePlexServer(name="Bench", port=pms_port)
        owner = plextv.add_account("owner", token=OWNER_TOKEN)
        plextv.add_server(server, owner)
        server.add_section("Everything", "movie", items=ITEMS)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with plextv, server:
            await stop.wait()

    asyncio.run(main())


@contextlib.contextmanager
def standins() -> Iterator[tuple[str, str]]:
    ports = free_port(), free_port()
    process = subprocess.Popen([sys.executable, __file__, "--standins", *map(str, ports)])
    plextv, pms = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        deadline = time.monotonic() + STANDINS_READY
        while not _answers(pms + "/identity"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the Plex stand-ins did not start")
            time.sleep(0.2)
        yield plextv, pms
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# ---- MediaNest: prepared in-process, then served ------------------------------------------------


async def prepare(data_dir: str, pms: str) -> None:
    """The admin's part, done once: the Plex connection, and an API limit the load cannot hit."""
    import medianest_plex
    from medianest.app import create_app
    from medianest.settings import Settings

    settings = Settings(data_dir=data_dir, admin_password=ADMIN_PASSWORD)
    app = create_app(settings, plugins=[medianest_plex])
    async with app.test_app():
        core = app.extensions["medianest"]
        await core.system.update({"rate_limits": {"api": {"limit": 1_000_000, "window": 60}}})
        await core.services.put("plex", url=pms, api_key=OWNER_TOKEN, config={"timeout": 10})


def medianest_env(data_dir: str, plextv: str, *, plex: bool) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MEDIANEST_")}
    env = {**inherited, "MEDIANEST_DATA_DIR": data_dir, "MEDIANEST_LOG_LEVEL": "WARNING"}
    if plex:
        return {**env, "MEDIANEST_PLUGINS": "plex", "MEDIANEST_PLEX_TV_URL": plextv}
    return {**env, "MEDIANEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def sign_in_with_plex(base: str, plextv: str) -> str:
    """The PIN flow as a browser does it, with the owner approving on plex.tv; the Cookie
    header the browser sends afterwards (session and CSRF cookies)."""
    with httpx.Client(base_url=base, timeout=30) as browser:
        pin = browser.post("/api/auth/plex/pin").raise_for_status().json()["data"]
        httpx.put(
            f"{plextv}/api/v2/pins/link",
            data={"code": pin["code"]},
            headers={"X-Plex-Token": OWNER_TOKEN},
        ).raise_for_status()
        browser.post("/api/auth/plex", json={"pin_id": pin["pin_id"]}).raise_for_status()
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def library_id(base: str, cookie: str) -> str:
    libraries = check_json_ok(base + "/api/plex/libraries", {"Cookie": cookie})["data"]["items"]
    (everything,) = [lib for lib in libraries if lib["count"] == ITEMS]
    return everything["id"]


def server_rss_mb(base: str) -> float:
    """The resident memory of the harness subprocess serving `base` (found by its port)."""
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if str(SERVER).encode() in argv and port.encode() in argv:
                status = (proc / "status").read_text()
                kib = next(
                    line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")
                )
                return round(int(kib) / 1024, 1)
    raise BenchError(f"no server process found for {base}")


IMPORT_FOOTPRINT = """
import tracemalloc
import medianest.app, medianest.core
tracemalloc.start()
import medianest_plex
print(tracemalloc.get_traced_memory()[0])
"""


def import_footprint_mb() -> float:
    """What importing the plugin allocates, in a fresh interpreter that already has the core."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_FOOTPRINT], capture_output=True, text=True, check=True
    )
    return round(int(out.stdout.split()[-1]) / 1_048_576, 2)


# ---- load -----------------------------------------------------------------------------------


def browse_load(
    url_for: Callable[[], str], duration: float, connections: int, headers: dict[str, str]
) -> Sample:
    return asyncio.run(_load(url_for, duration, connections, headers))


async def _load(
    url_for: Callable[[], str], duration: float, connections: int, headers: dict[str, str]
) -> Sample:
    latencies: list[float] = []
    errors = 0

    async def connection(client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                failed = (await client.get(url_for())).status_code >= 400
            except httpx.HTTPError:
                failed = True
            latencies.append((time.perf_counter() - sent) * 1000)
            errors += failed

    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    limits=httpx.Limits(max_connections=1), headers=headers, timeout=30
                )
            )
            for _ in range(connections)
        ]
        start = time.perf_counter()
        await asyncio.gather(*(connection(client, start + duration) for client in clients))
        elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Sample(
        round(len(latencies) / elapsed, 1),
        round(cuts[49], 2),
        round(cuts[94], 2),
        round(cuts[98], 2),
        errors,
        len(latencies),
    )


def alternate(loads: dict[str, Callable[[], Sample]], rounds: int) -> dict[str, Sample]:
    runs: dict[str, list[Sample]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, run in loads.items():
            runs[name].append(run())
    return {
        name: Sample(
            *(round(statistics.median(getattr(s, f) for s in samples), 2) for f in FIGURES),
            errors=sum(s.errors for s in samples),
            requests=sum(s.requests for s in samples),
        )
        for name, samples in runs.items()
    }


# ---- the run --------------------------------------------------------------------------------

Targets = dict[str, tuple[Callable[[], str], dict[str, str]]]


@dataclass
class Run:
    loaded: dict[str, Sample]
    alone: dict[str, Sample]
    memory: dict[str, float]


def measure(args: argparse.Namespace) -> Run:
    with (
        standins() as (plextv, pms),
        tempfile.TemporaryDirectory(prefix="medianest-bench-plex-") as work,
    ):
        with_plex, without = str(Path(work, "plex")), str(Path(work, "none"))
        asyncio.run(prepare(with_plex, pms))
        with (
            serve(BARE_APP) as bare,
            serve("medianest.asgi:app", medianest_env(without, plextv, plex=False)) as plain,
            serve("medianest.asgi:app", medianest_env(with_plex, plextv, plex=True)) as medianest,
        ):
            memory = {
                "medianest_without_plugins_mb": server_rss_mb(plain),
                "medianest_with_plex_mb": server_rss_mb(medianest),
            }
            targets = browse_targets(bare, pms, medianest, sign_in_with_plex(medianest, plextv))
            for url_for, headers in targets.values():  # warm-up: imports, pools, first connections
                browse_load(url_for, 2, args.connections, headers)
            loaded = alternate(loads(targets, args.duration, args.connections), args.rounds)
            alone = alternate(loads(targets, args.duration, 1), args.rounds)  # one person browsing
            memory["medianest_with_plex_after_load_mb"] = server_rss_mb(medianest)
    return Run(loaded, alone, memory)


def browse_targets(bare: str, pms: str, medianest: str, cookie: str) -> Targets:
    section = library_id(medianest, cookie)
    items = f"{medianest}/api/plex/library/{section}/items"
    warm_url = f"{items}?offset={ITEMS - PAGE}&limit={PAGE}"
    check_json_ok(warm_url, {"Cookie": cookie})

    def cold_url() -> str:
        return f"{items}?offset={random.randint(0, ITEMS - PAGE)}&limit={PAGE}"

    def direct_url() -> str:  # the request MediaNest makes for a cold page
        return (
            f"{pms}/library/sections/{section}/all?sort=titleSort:asc&X-Plex-Container-Start="
            f"{random.randint(0, ITEMS - PAGE)}&X-Plex-Container-Size={PAGE}"
        )

    as_owner = {"X-Plex-Token": OWNER_TOKEN, "Accept": "application/json"}
    return {
        "bare": (lambda: bare + "/healthz", {}),
        "direct": (direct_url, as_owner),
        "cold": (cold_url, {"Cookie": cookie}),
        "warm": (lambda: warm_url, {"Cookie": cookie}),
    }


def loads(targets: Targets, duration: float, connections: int) -> dict[str, Callable[[], Sample]]:
    return {
        name: partial(browse_load, url_for, duration, connections, headers)
        for name, (url_for, headers) in targets.items()
    }


BASELINES = {"warm": "bare", "cold": "direct"}  # each MediaNest load against what it adds to


def p95_ratios(run: Run, name: str, baseline: str) -> dict[str, Any]:
    """Print and return `name`'s p95 over `baseline`'s, loaded and with one connection."""
    loaded = run.loaded[name].p95_ms / run.loaded[baseline].p95_ms
    alone = run.alone[name].p95_ms / run.alone[baseline].p95_ms
    print(
        f"p95 {LABELS[name]} / {LABELS[baseline]}: {loaded:.2f}x loaded, {alone:.2f}x with one "
        f"connection"
    )
    return {
        "p95_ms": run.loaded[name].p95_ms,
        "p95_ratio": round(loaded, 3),
        "one_connection_p95_ms": run.alone[name].p95_ms,
        "one_connection_p95_ratio": round(alone, 3),
        "baseline": baseline,
    }


def print_table(title: str, samples: dict[str, Sample]) -> None:
    print(f"{title:<30}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, label in LABELS.items():
        s = samples[name]
        figures = f"{s.rps:>9.1f}{s.p50_ms:>9.2f}{s.p95_ms:>9.2f}{s.p99_ms:>9.2f}{s.errors:>8}"
        print(f"  {label:<28}{figures}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.standins:
        serve_standins(*args.standins)
        return 0
    run = measure(args)
    print(
        f"plex browse: hypercorn 1 worker, httpx client, {args.duration:g} s x {args.rounds} "
        f"rounds, a {ITEMS:,}-item library, {PAGE} items a page"
    )
    print_table(f"loaded ({args.connections} conn.)", run.loaded)
    print_table("one connection", run.alone)
    figures = {name: p95_ratios(run, name, baseline) for name, baseline in BASELINES.items()}
    memory = run.memory
    added = round(memory["medianest_with_plex_mb"] - memory["medianest_without_plugins_mb"], 1)
    grown = round(memory["medianest_with_plex_after_load_mb"] - memory["medianest_with_plex_mb"], 1)
    imported = import_footprint_mb()
    print(
        f"memory (RSS): MediaNest without plugins {memory['medianest_without_plugins_mb']} MB, "
        f"with Plex {memory['medianest_with_plex_mb']} MB ({added:+} MB), after the loads "
        f"{memory['medianest_with_plex_after_load_mb']} MB ({grown:+} MB); "
        f"importing the plugin allocates {imported} MB (tracemalloc)"
    )
    loaded = {name: {f: getattr(s, f) for f in FIGURES} for name, s in run.loaded.items()}
    single = {name: {f: getattr(s, f) for f in FIGURES} for name, s in run.alone.items()}
    errors = sum(s.errors for s in [*run.loaded.values(), *run.alone.values()])
    print(
        json_line(
            "plex_browse",
            **figures,
            connections=args.connections,
            loaded=loaded,
            one_connection=single,
            memory=memory,
            plugin_adds_mb=added,
            load_grows_mb=grown,
            plugin_import_mb=imported,
            errors=errors,
        )
    )
    return 1 if errors else 0


if __name__ == "__main__":
    run_bench(main)
