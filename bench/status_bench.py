"""Cached status: an authenticated `GET /api/dashboard/status` against a bare Quart JSON endpoint.

Serves a bare Quart app and MediaNest (embedded defaults in a temporary data dir) whose one
plugin probes a stand-in service (an HTTP server in this process that counts its requests,
answering with ten monitors). The probe's interval is longer than the run, so after its first
check the stand-in should hear nothing: the bench prints how many requests it got during the
load, and fails when that is not zero (the dashboard must answer from the cache alone).
Requests carry a personal API token (`Authorization: Bearer …`), so each one is authenticated,
rate-limited (the limit is lifted for the run) and passes the whole pipeline. Every connection
sends the same token: when its cached actor expires (every 5 s), all of them miss at once, which
is what the p99 shows. It runs at each connection count in turn (8 and 64 by default) and prints
the p99 against bare Quart's at that count.

    uv run python bench/status_bench.py [--duration 10] [--rounds 2] [--connections 8 64]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from _harness import (
    BARE_APP,
    BenchError,
    alternate,
    check_json_ok,
    json_line,
    load,
    load_tool,
    report,
    run_bench,
    serve,
)

from medianest.plugins import PluginSpec, ProbeResult, StatusProbe, hookimpl

UPSTREAM_ENV = "MEDIANEST_BENCH_UPSTREAM"
PROBE_INTERVAL = 3600.0  # longer than any run: the only poll is the one at start
BOOTSTRAP_PASSWORD = "bench bootstrap password"
ADMIN_PASSWORD = "bench admin password, changed once"
WARMUP_SECONDS = 2.0
TARGET_RATIO = 0.7
MONITORS = [
    {
        "id": n,
        "name": f"Service {n}",
        "status": "online",
        "response_time_ms": 10 + n,
        "uptime_percentage": 99.9,
    }
    for n in range(10)
]


# ---- the stand-in service (in this process) ----------------------------------------------------


class StandIn:
    """An HTTP service on 127.0.0.1 that counts the requests it gets."""

    def __init__(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.hits += 1
                body = json.dumps({"monitors": MONITORS}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[StandIn]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


# ---- the MediaNest app (in the server subprocess) ------------------------------------------------


class StandInProbe:
    """A plugin whose probe reads the stand-in through `core.http`, like Uptime Kuma's would."""

    plugin = PluginSpec(id="standin", title="Stand-in")

    def __init__(self, url: str) -> None:
        self.url = url

    async def check(self, core: Any, connection: Any) -> ProbeResult:
        body = await core.http.get_json("standin", f"{self.url}/health")
        return ProbeResult("online", data={"monitors": body["monitors"]})

    @hookimpl
    def register_status_probes(self, core: Any) -> list[StatusProbe]:
        return [StatusProbe("standin", self.check, interval=PROBE_INTERVAL, needs_connection=False)]


def medianest_app() -> Any:
    """hypercorn's entry point in the server subprocess: settings from the environment."""
    from medianest.app import create_app

    return create_app(plugins=[StandInProbe(os.environ[UPSTREAM_ENV])])


def medianest_env(data_dir: str, upstream: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MEDIANEST_")}
    return {
        **inherited,
        "MEDIANEST_DATA_DIR": data_dir,
        "MEDIANEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "MEDIANEST_ADMIN_PASSWORD": BOOTSTRAP_PASSWORD,
        "MEDIANEST_LOG_LEVEL": "WARNING",
        UPSTREAM_ENV: upstream,
    }


# ---- setting up the signed-in side ---------------------------------------------------------------


@contextmanager
def admin_session(base_url: str) -> Iterator[httpx.Client]:
    """The bootstrap admin, signed in with the password changed and the API limit lifted."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        _expect(
            client.post(
                "/api/auth/admin", json={"username": "admin", "password": BOOTSTRAP_PASSWORD}
            )
        )
        client.headers["X-CSRF-Token"] = client.cookies["csrf_token"]
        _expect(
            client.post(
                "/api/auth/password",
                json={"current_password": BOOTSTRAP_PASSWORD, "new_password": ADMIN_PASSWORD},
            )
        )
        client.headers["X-CSRF-Token"] = client.cookies["csrf_token"]
        limits = {"rate_limits": {"api": {"limit": 1_000_000, "window": 1}}}
        _expect(client.put("/api/admin/config", json=limits))
        yield client


def api_token(client: httpx.Client) -> str:
    return _expect(client.post("/api/auth/tokens", json={"name": "bench"}))["token"]


def _expect(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise BenchError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:300]}"
        )
    return response.json()["data"]


def wait_for_first_check(url: str, headers: dict[str, str]) -> None:
    """The probe's first (and, during the run, only) check must be in the cache before timing."""
    for _ in range(100):
        items = check_json_ok(url, headers)["data"]["items"]
        if items and items[0]["status"] == "online":
            return
        threading.Event().wait(0.1)
    raise BenchError(f"the stand-in never showed as online: {items}")


# ---- the run -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians kept")
    parser.add_argument(
        "--connections",
        type=int,
        nargs="+",
        default=[8, 64],
        help="concurrent connections, one run per count",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = load_tool()
    stand_in = StandIn()
    figures: dict[int, dict[str, Any]] = {}
    errors: dict[str, int] = {}
    with (
        stand_in.running(),
        tempfile.TemporaryDirectory(prefix="medianest-bench-data-") as data_dir,
        serve(BARE_APP) as bare_url,
        serve(medianest_app, medianest_env(data_dir, stand_in.url)) as medianest_url,
        admin_session(medianest_url) as admin,
    ):
        headers = {"Authorization": f"Bearer {api_token(admin)}"}
        status_url = medianest_url + "/api/dashboard/status"
        wait_for_first_check(status_url, headers)
        hits_before = stand_in.hits
        for connections in args.connections:
            load(bare_url + "/healthz", WARMUP_SECONDS, connections)
            load(status_url, WARMUP_SECONDS, connections, headers)
            print(
                "\nstatus: GET /api/dashboard/status (Bearer token, one service with "
                f"{len(MONITORS)} monitors) vs bare GET /healthz, hypercorn 1 worker, {tool} "
                f"{connections} connections, {args.duration:g} s x {args.rounds} alternating "
                f"rounds (medians), {os.cpu_count()} CPUs"
            )
            results = alternate(
                {
                    "bare": partial(load, bare_url + "/healthz", args.duration, connections),
                    "status": partial(load, status_url, args.duration, connections, headers),
                },
                args.rounds,
            )
            figures[connections] = report(
                "MediaNest cached status", results["bare"], results["status"]
            )
            verdict = (
                "meets" if figures[connections]["throughput_ratio"] >= TARGET_RATIO else "misses"
            )
            print(
                f"throughput ratio {figures[connections]['throughput_ratio']:.3f} {verdict} the "
                f"{TARGET_RATIO} target"
            )
            errors |= {
                f"{name}@{connections}": result.errors
                for name, result in results.items()
                if result.errors
            }
        upstream_hits = stand_in.hits - hits_before
    print("\np99 against bare Quart:")
    for connections, row in figures.items():
        bare_p99, status_p99 = row["baseline"]["p99_ms"], row["candidate"]["p99_ms"]
        print(
            f"  {connections:>3} connections: status {status_p99:.1f} ms, bare {bare_p99:.1f} ms, "
            f"{row['p99_ratio']:.2f}x"
        )
    print(f"requests the stand-in service got during the load: {upstream_hits} (expected 0)")
    print(
        json_line(
            "status",
            date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            cpus=os.cpu_count(),
            tool=tool,
            duration_s=args.duration,
            rounds=args.rounds,
            runs=[
                {
                    "connections": connections,
                    "bare": row["baseline"],
                    "status": row["candidate"],
                    "throughput_ratio": row["throughput_ratio"],
                    "p99_ratio": row["p99_ratio"],
                }
                for connections, row in figures.items()
            ],
            upstream_requests_during_load=upstream_hits,
        )
    )
    if errors:
        print(f"errors answered under load: {errors}", file=sys.stderr)
    if upstream_hits:
        print(
            "the dashboard called the service during the load: it must answer from the cache",
            file=sys.stderr,
        )
    return 1 if errors or upstream_hits else 0


if __name__ == "__main__":
    run_bench(main)
