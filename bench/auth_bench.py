"""Identity costs: what a sign-in costs, and what authentication adds to every request.

In one run, on hypercorn with the product's settings:
  1. the bare Quart JSON GET (the baseline of bench/baseline.py);
  2. MediaNest `GET /api/auth/session` with a session cookie, and with a Bearer API token:
     the cheapest authenticated route (session lookup + user + permissions + API rate limit);
  3. MediaNest `GET /healthz` (no authentication), to separate auth from the framework;
  4. sign-ins per second and their latency (`POST /api/auth/admin`: argon2id verify,
     session creation), measured with a small concurrent client, plus the in-process cost of
     one argon2id verify.

The API rate limit is raised for the run (it would otherwise answer 429 after 100 requests).

    uv run python bench/auth_bench.py [--duration 10] [--rounds 2] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from functools import partial

import httpx
from _harness import (
    BARE_APP,
    alternate,
    check_json_ok,
    json_line,
    load,
    medianest_env,
    report,
    run_bench,
    serve,
)

PASSWORD = "bench password that is long"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sign-ins", type=int, default=200)
    return parser.parse_args(argv)


async def prepare(data_dir: str) -> str:
    """Seed the database: a user, an API token, and a rate limit high enough for the load."""
    from medianest.app import create_app
    from medianest.settings import Settings
    from medianest.testing.clients import create_user

    app = create_app(
        Settings(data_dir=data_dir, disable_plugin_autoload=True, admin_password=PASSWORD)
    )
    async with app.test_app():
        core = app.extensions["medianest"]
        await core.system.update({"rate_limits": {"api": {"limit": 1_000_000, "window": 60}}})
        user = await create_user(app, "bench", password=PASSWORD)
        _, token = await core.auth.sessions.create_api_token(user, "bench")
    return token


def session_cookie(base: str) -> str:
    response = httpx.post(
        f"{base}/api/auth/admin", json={"username": "bench", "password": PASSWORD}
    )
    response.raise_for_status()
    return f"medianest_session={response.cookies['medianest_session']}"


async def sign_ins(base: str, count: int, concurrency: int = 8) -> dict[str, float]:
    latencies: list[float] = []
    queue = iter(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in queue:
            client.cookies.clear()  # each sign-in is a new browser
            started = time.perf_counter()
            response = await client.post(
                "/api/auth/admin", json={"username": "bench", "password": PASSWORD}
            )
            response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "sign_ins_per_s": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
    }


async def verify_cost(rounds: int = 20) -> float:
    from medianest.security.passwords import PasswordService

    service = PasswordService()
    stored = await service.hash(PASSWORD)
    started = time.perf_counter()
    for _ in range(rounds):
        await service.verify(stored, PASSWORD)
    return round((time.perf_counter() - started) / rounds * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="medianest-bench-auth-") as data_dir:
        token = asyncio.run(prepare(data_dir))
        with (
            serve(BARE_APP) as bare,
            serve("medianest.asgi:app", medianest_env(data_dir, log_level="WARNING")) as medianest,
        ):
            cookie = session_cookie(medianest)
            targets = {
                "bare": (bare + "/healthz", {}),
                "healthz": (medianest + "/healthz", {}),
                "session": (medianest + "/api/auth/session", {"Cookie": cookie}),
                "bearer": (medianest + "/api/auth/session", {"Authorization": f"Bearer {token}"}),
            }
            for url, headers in targets.values():
                check_json_ok(url, headers)
                load(url, 2, args.connections, headers)
            results = alternate(
                {
                    name: partial(load, url, args.duration, args.connections, headers)
                    for name, (url, headers) in targets.items()
                },
                args.rounds,
            )
            signing = asyncio.run(sign_ins(medianest, args.sign_ins))
    verify_ms = asyncio.run(verify_cost())
    print(
        f"auth: hypercorn 1 worker, {args.connections} connections, {args.duration:g} s x "
        f"{args.rounds} rounds"
    )
    figures = {
        name: report(f"MediaNest {name}", results["bare"], results[name])
        for name in ("healthz", "session", "bearer")
    }
    auth_overhead = round(results["session"].rps / results["healthz"].rps, 3)
    print(f"authenticated (cookie) / unauthenticated /healthz throughput: {auth_overhead:.2f}x")
    print(
        f"sign-in: {signing['sign_ins_per_s']}/s, p50 {signing['p50_ms']} ms, p99 "
        f"{signing['p99_ms']} ms (8 concurrent clients); one argon2id verify in-process: "
        f"{verify_ms} ms"
    )
    print(
        json_line(
            "auth",
            **figures,
            auth_over_healthz=auth_overhead,
            sign_in=signing,
            argon2_verify_ms=verify_ms,
        )
    )
    return 0


if __name__ == "__main__":
    run_bench(main)
