"""Websocket fan-out: how long a `service:status` event takes to reach 100 and 1,000 sockets.

Serves, side by side, MediaNest (embedded defaults: the in-memory event bus) and a bare Quart
broadcast app that does the least a broadcast can: one bounded queue per socket, the message
serialised once and put on every queue. N `websockets` clients in this process connect to each
(MediaNest's `/ws/status` with a signed-in session cookie), wait for `ready`, then the bench asks
the server to publish, one event at a time. The server stamps the event with the time it
publishes; each client records when it received it. Two figures, each with its ratio to the
bare app measured in the same run:

- latency, publish to receipt, p50/p95 over every (client, event): the server's whole path;
- spread, the last client's receipt minus the first's, p50/p95 over the events: the fan-out
  alone, without the publishing request and the bus before it.

Clients and servers share the machine's cores, so the figures include the clients' own work;
compare the ratios.

    uv run python bench/ws_fanout_bench.py [--clients 100 1000] [--events 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from _harness import BenchError, json_line, medianest_env, run_bench, serve
from status_bench import BOOTSTRAP_PASSWORD, admin_session
from websockets.asyncio.client import ClientConnection, connect

from medianest.auth.policy import public
from medianest.plugins import PluginSpec, hookimpl

CONNECT_CONCURRENCY = 50  # simultaneous handshakes: stays under hypercorn's listen backlog
EVENT_TIMEOUT = 60.0  # seconds for one event to reach every client before the run is void
PAUSE = 0.05  # seconds between events, so that each one's fan-out is measured on its own


# ---- the two servers -----------------------------------------------------------------------------


def bare_broadcast_app() -> Any:
    """A Quart app that broadcasts with nothing else around it: the baseline."""
    from quart import Quart, websocket

    app = Quart("bare-broadcast")
    queues: set[asyncio.Queue[str]] = set()

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"success": True, "data": {"status": "ok"}}

    @app.post("/publish")
    async def publish() -> dict[str, Any]:
        message = json.dumps(
            {"event": "service:status", "data": {"service": "bench", "sent": time.time()}}
        )
        for queue in list(queues):
            if queue.full():
                queues.discard(queue)
            else:
                queue.put_nowait(message)
        return {"clients": len(queues)}

    @app.websocket("/ws")
    async def socket() -> None:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=256)
        queues.add(queue)
        try:
            await websocket.accept()
            await websocket.send(json.dumps({"event": "ready", "data": {}}))
            while True:
                await websocket.send(await queue.get())
        finally:
            queues.discard(queue)

    return app


class Publisher:
    """A bench-only plugin route that publishes one `service:status` on MediaNest's bus."""

    plugin = PluginSpec(id="fanout", title="Fan-out bench")

    @hookimpl
    def register_routes(self, core: Any) -> list[Any]:
        from quart import Blueprint

        bp = Blueprint("fanout", __name__)

        @bp.post("/publish")
        @public
        async def publish() -> Any:
            await core.publish("service:status", {"service": "bench", "sent": time.time()})
            return {"success": True, "data": {"clients": core.hub.clients}}

        return [bp]


def medianest_app() -> Any:
    from medianest.app import create_app

    return create_app(plugins=[Publisher()])


# ---- the clients ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fanout:
    clients: int
    events: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    spread_p50_ms: float
    spread_p95_ms: float


@dataclass(frozen=True)
class Target:
    name: str
    socket_url: str
    publish_url: str
    headers: dict[str, str]


async def measure(target: Target, clients: int, events: int) -> Fanout:
    """Connect `clients` sockets, publish `events` one at a time, time each delivery."""
    latencies: list[float] = []
    received = [0] * events
    first = [0.0] * events  # the first and last receipt of each event
    last = [0.0] * events
    everyone = [asyncio.Event() for _ in range(events)]
    current = 0  # the event in flight: the next is published only once every client has this one

    async def listen(socket: ClientConnection) -> None:
        async for raw in socket:
            arrived = time.time()
            message = json.loads(raw)
            if message["event"] != "service:status":
                continue
            latencies.append((arrived - message["data"]["sent"]) * 1000)
            received[current] += 1
            first[current] = first[current] or arrived
            last[current] = arrived
            if received[current] == clients:
                everyone[current].set()

    sockets = await _connect_all(target, clients)
    listeners = [asyncio.create_task(listen(socket)) for socket in sockets]
    try:
        async with httpx.AsyncClient(timeout=EVENT_TIMEOUT) as http:
            for seq in range(events):
                current = seq
                (await http.post(target.publish_url, json={})).raise_for_status()
                try:
                    await asyncio.wait_for(everyone[seq].wait(), EVENT_TIMEOUT)
                except TimeoutError:
                    raise BenchError(
                        f"{target.name}: event {seq} reached {received[seq]}/{clients} clients"
                    ) from None
                await asyncio.sleep(PAUSE)
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    spread = statistics.quantiles(
        [(b - a) * 1000 for a, b in zip(first, last, strict=True)], n=100, method="inclusive"
    )
    return Fanout(
        clients,
        events,
        round(cuts[49], 2),
        round(cuts[94], 2),
        round(max(latencies), 2),
        round(spread[49], 2),
        round(spread[94], 2),
    )


async def _connect_all(target: Target, clients: int) -> list[ClientConnection]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> ClientConnection:
        async with gate:
            socket = await connect(
                target.socket_url, additional_headers=target.headers, max_queue=None
            )
            ready = json.loads(await asyncio.wait_for(socket.recv(), EVENT_TIMEOUT))
            if ready["event"] != "ready":
                raise BenchError(f"{target.name}: expected ready, got {ready}")
            return socket

    return list(await asyncio.gather(*(one() for _ in range(clients))))


# ---- the run -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[100, 1000], help="socket counts to measure"
    )
    parser.add_argument("--events", type=int, default=20, help="events published per measurement")
    return parser.parse_args(argv)


def session_cookie(base_url: str) -> str:
    with admin_session(base_url) as admin:
        token = admin.cookies["medianest_session"]
    return f"medianest_session={token}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="medianest-bench-data-") as data_dir,
        serve(bare_broadcast_app) as bare_url,
        serve(
            medianest_app,
            medianest_env(
                data_dir,
                admin_password=BOOTSTRAP_PASSWORD,
                log_level="WARNING",
                # every bench socket is the admin's, from 127.0.0.1: lift the per-account caps
                ws_max_per_user=str(max(args.clients)),
                ws_max_per_address=str(max(args.clients)),
            ),
        ) as medianest_url,
    ):
        targets = [
            Target("bare", bare_url.replace("http", "ws") + "/ws", bare_url + "/publish", {}),
            Target(
                "medianest",
                medianest_url.replace("http", "ws") + "/ws/status",
                medianest_url + "/api/fanout/publish",
                {"Cookie": session_cookie(medianest_url)},
            ),
        ]
        print(
            f"ws fan-out: one event at a time to N sockets, {args.events} events per run, "
            f"hypercorn 1 worker, clients in one asyncio process, {os.cpu_count()} CPUs"
        )
        print(
            f"{'clients':>7}  {'server':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
            f" {'spread p50':>11} {'spread p95':>11}"
        )
        for clients in args.clients:
            figures = {t.name: asyncio.run(measure(t, clients, args.events)) for t in targets}
            for name, fanout in figures.items():
                print(
                    f"{clients:>7}  {name:<10} {fanout.p50_ms:>8.2f} {fanout.p95_ms:>8.2f} "
                    f"{fanout.max_ms:>8.2f} {fanout.spread_p50_ms:>11.2f} "
                    f"{fanout.spread_p95_ms:>11.2f}"
                )
            ours, bare = figures["medianest"], figures["bare"]
            ratio = round(ours.p95_ms / bare.p95_ms, 2)
            spread_ratio = round(ours.spread_p95_ms / bare.spread_p95_ms, 2)
            print(
                f"{clients:>7}  medianest / bare p95: latency {ratio:.2f}x, spread "
                f"{spread_ratio:.2f}x"
            )
            rows.append(
                {name: asdict(f) for name, f in figures.items()}
                | {"p95_ratio": ratio, "spread_p95_ratio": spread_ratio}
            )
    print(
        json_line(
            "ws_fanout",
            date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            cpus=os.cpu_count(),
            events=args.events,
            runs=rows,
        )
    )
    return 0


if __name__ == "__main__":
    run_bench(main)
