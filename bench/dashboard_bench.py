"""The dashboard's first paint with every external service down, against a 300 ms budget.

In one run, on hypercorn with the product's settings (bench/_harness.py), three servers:

  1. the bare Quart JSON GET, the harness's baseline;
  2. MediaNest with the `plex` and `uptime_kuma` plugins, whose services (and plex.tv) are
     URLs on 127.0.0.1 where nothing listens: every upstream call is refused at once;
  3. the same, pointed at the real stand-ins (FakePlexServer, FakePlexTV, FakeUptimeKuma,
     served on threads of this process) put into hang mode: every upstream call waits until
     the caller gives up.

Each MediaNest is set up the way an admin does it: sign in with the bootstrap password,
change it, lift the API rate limit (the load would hit it), enter both services' connections
(Admin → Services). The bench then waits until each probe has checked its service in the
down state. As the signed-in admin (session cookie) it loads what the dashboard's first paint
costs: `GET /` (the page), `GET /api/dashboard/status`, `GET /api/dashboard/widgets`, and one
whole dashboard load as the browser makes it (the page, then both API calls at once), timed
end to end. The baseline is loaded the same two ways: one GET, and three shaped like a load.

Every load uses one asyncio httpx client per browser (`--clients` at once, one by default: the
latency one person sees), keeping each request's latency; the percentiles pool all rounds.
The p95 of a dashboard load is held to the budget: the bench exits non-zero when it is over in
either scenario, or when any request answered an error. In the hang scenario it also counts
the requests the stand-ins received during the loads: only the probes' own polls should
reach them, never a page or an API call.

    uv run python bench/dashboard_bench.py [--duration 3] [--rounds 2] [--clients 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from _harness import (
    BARE_APP,
    BenchError,
    Result,
    free_port,
    json_line,
    medianest_env,
    report,
    run_bench,
    serve,
)

BUDGET_MS = 300.0
BOOTSTRAP_PASSWORD = "bench bootstrap password"
ADMIN_PASSWORD = "bench admin password, changed once"
PLEX_TOKEN = "bench-owner-token-0123456789"
STATUS_PAGE = "home"
SERVICES = ("plex", "uptime_kuma")
NOT_CHECKED = (None, "not configured")  # a status error before the first check of a connection
DOWN_WAIT = 60.0  # seconds for every probe to check once in the down state (Kuma's bound: 15 s)
WARMUP_SECONDS = 1.0
BROWSER_CONNECTIONS = 6  # a browser's connections per host
REQUESTS = {
    "page": "/",
    "status": "/api/dashboard/status",
    "widgets": "/api/dashboard/widgets",
}
LABELS = {
    "bare": "bare Quart GET /healthz",
    "bare_load": "bare Quart, 3 GETs shaped as a load",
    "page": "GET /",
    "status": "GET /api/dashboard/status",
    "widgets": "GET /api/dashboard/widgets",
    "load": "one dashboard load (page, then 2 APIs)",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; pooled")
    parser.add_argument("--clients", type=int, default=1, help="browsers loading at once")
    return parser.parse_args(argv)


# ---- the down services --------------------------------------------------------------------------


@dataclass(frozen=True)
class Upstreams:
    """Where the services are said to be, and the requests that reached them, as "service
    path" counts (None where nothing listens)."""

    plex: str
    plex_tv: str
    kuma: str
    heard: Callable[[], Counter[str]] | None = None


def refused() -> Upstreams:
    """Ports on 127.0.0.1 just found free: connecting there is refused."""
    return Upstreams(*(f"http://127.0.0.1:{free_port()}" for _ in range(3)))


@contextlib.contextmanager
def hung() -> Iterator[Upstreams]:
    """The stand-ins, each accepting every request and never answering it."""
    from medianest_plex.testing import FakePlexServer, FakePlexTV
    from medianest_uptime_kuma.testing import FakeUptimeKuma

    kuma = FakeUptimeKuma(slug=STATUS_PAGE)
    with FakePlexTV() as plextv, FakePlexServer(name="Bench") as pms, kuma.serve_in_thread() as kt:
        plextv.hang()
        pms.hang()
        kt.outage("hang")

        def heard() -> Counter[str]:
            return Counter(
                [f"plex {request.path}" for request in pms.requests]
                + [f"plex.tv {request.path}" for request in plextv.requests]
                + [f"uptime_kuma {path}" for _, path in kuma.request_log]
            )

        yield Upstreams(pms.url, plextv.url, kuma.url, heard)


# ---- MediaNest, set up as an admin would --------------------------------------------------------


def medianest(data_dir: str, upstreams: Upstreams) -> contextlib.AbstractContextManager[str]:
    env = medianest_env(
        data_dir,
        log_level="WARNING",
        admin_password=BOOTSTRAP_PASSWORD,
        disable_plugin_autoload="0",
        plugins=",".join(SERVICES),
        plex_tv_url=upstreams.plex_tv,
    )
    return serve("medianest.asgi:app", env)


def configure(base: str, upstreams: Upstreams) -> str:
    """Sign in, change the bootstrap password, lift the API limit, enter both services;
    return the admin's session as a Cookie header."""
    with httpx.Client(base_url=base, timeout=10) as client:
        sign_in = {"username": "admin", "password": BOOTSTRAP_PASSWORD}
        _expect(client.post("/api/auth/admin", json=sign_in))
        change = {"current_password": BOOTSTRAP_PASSWORD, "new_password": ADMIN_PASSWORD}
        _expect(client.post("/api/auth/password", json=change, headers=_csrf(client)))
        limits = {"rate_limits": {"api": {"limit": 1_000_000, "window": 1}}}
        _expect(client.put("/api/admin/config", json=limits, headers=_csrf(client)))
        plex = {"url": upstreams.plex, "api_key": PLEX_TOKEN, "config": {}}
        kuma = {"url": upstreams.kuma, "api_key": "", "config": {"status_page": STATUS_PAGE}}
        for name, body in (("plex", plex), ("uptime_kuma", kuma)):
            _expect(client.put(f"/api/admin/services/{name}", json=body, headers=_csrf(client)))
        return f"medianest_session={client.cookies['medianest_session']}"


def _csrf(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["csrf_token"]}  # the cookie is renewed on sign-in


def _expect(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        request = response.request
        raise BenchError(
            f"{request.method} {request.url.path}: {response.status_code} {response.text[:300]}"
        )
    return response.json()["data"]


def wait_until_down(base: str, cookie: str) -> list[dict[str, Any]]:
    """Poll the status until every service has been checked and found down; its entries."""
    deadline = time.monotonic() + DOWN_WAIT
    while True:
        items = _expect(httpx.get(base + REQUESTS["status"], headers={"Cookie": cookie}))["items"]
        entries = [item for item in items if item["service"] in SERVICES]
        if len(entries) == len(SERVICES) and all(map(_checked_down, entries)):
            return entries
        if time.monotonic() > deadline:
            raise BenchError(
                f"the probes did not find the services down in {DOWN_WAIT:g} s: {items}"
            )
        time.sleep(0.25)


def _checked_down(entry: dict[str, Any]) -> bool:
    """Checked against the saved connection ("not configured" is the state before it)."""
    return entry["status"] in ("offline", "unknown") and entry["error"] not in NOT_CHECKED


def check_first_paint(base: str, cookie: str) -> None:
    """Each request once before the load: timing redirects or errors would measure nothing."""
    for path in REQUESTS.values():
        response = httpx.get(base + path, headers={"Cookie": cookie}, timeout=10)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    widgets = _expect(httpx.get(base + REQUESTS["widgets"], headers={"Cookie": cookie}))["items"]
    if {item["plugin"] for item in widgets} != set(SERVICES):
        raise BenchError(f"expected a widget of each of {SERVICES}, got {widgets}")
    failed = {item["id"]: item["error"] for item in widgets if "error" in item}
    if failed:  # a widget over its 0.5 s, or broken: the page would show no data
        raise BenchError(f"widgets failed with the services down: {failed}")


# ---- load ---------------------------------------------------------------------------------------

Action = Callable[[httpx.AsyncClient], Awaitable[bool]]  # one timed unit; True when all went well


def one_get(url: str) -> Action:
    async def action(client: httpx.AsyncClient) -> bool:
        return (await client.get(url)).status_code < 400

    return action


def dashboard_load(page: str, first: str, second: str) -> Action:
    """What a browser does: the page, then the two API calls its script makes, at once."""

    async def action(client: httpx.AsyncClient) -> bool:
        shell = await client.get(page)
        calls = await asyncio.gather(client.get(first), client.get(second))
        return all(response.status_code < 400 for response in (shell, *calls))

    return action


@dataclass
class Sample:
    latencies: list[float]
    errors: int
    elapsed: float


def run_load(action: Action, duration: float, clients: int, headers: dict[str, str]) -> Sample:
    return asyncio.run(_run_load(action, duration, clients, headers))


async def _run_load(
    action: Action, duration: float, clients: int, headers: dict[str, str]
) -> Sample:
    sample = Sample([], 0, 0.0)

    async def browser(client: httpx.AsyncClient, deadline: float) -> None:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                failed = not await action(client)
            except httpx.HTTPError:
                failed = True
            sample.latencies.append((time.perf_counter() - sent) * 1000)
            sample.errors += failed

    limits = httpx.Limits(max_connections=BROWSER_CONNECTIONS)
    async with contextlib.AsyncExitStack() as stack:
        browsers = [
            await stack.enter_async_context(
                httpx.AsyncClient(limits=limits, headers=headers, timeout=30)
            )
            for _ in range(clients)
        ]
        start = time.perf_counter()
        await asyncio.gather(*(browser(client, start + duration) for client in browsers))
        sample.elapsed = time.perf_counter() - start
    return sample


@dataclass(frozen=True)
class Figures:
    """Latencies pooled over every round (a max or a p99 is not a median's business)."""

    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    count: int

    @classmethod
    def pooled(cls, samples: list[Sample]) -> Figures:
        latencies = [ms for sample in samples for ms in sample.latencies]
        if len(latencies) < 2:
            raise BenchError(f"only {len(latencies)} timed units completed")
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        elapsed = sum(sample.elapsed for sample in samples)
        return cls(
            round(len(latencies) / elapsed, 1),
            *(round(value, 2) for value in (cuts[49], cuts[94], cuts[98], max(latencies))),
            errors=sum(sample.errors for sample in samples),
            count=len(latencies),
        )

    def as_result(self) -> Result:
        return Result(self.rps, self.p50_ms, self.p99_ms, self.errors, self.count, "httpx")


Targets = dict[str, tuple[Action, dict[str, str]]]  # name: (what one unit does, its headers)
Loads = dict[str, Callable[[], Sample]]


def bare_targets(bare: str) -> Targets:
    healthz = bare + "/healthz"
    return {
        "bare": (one_get(healthz), {}),
        "bare_load": (dashboard_load(healthz, healthz, healthz), {}),
    }


def dashboard_targets(base: str, cookie: str) -> Targets:
    urls = {name: base + path for name, path in REQUESTS.items()}
    actions: dict[str, Action] = {name: one_get(url) for name, url in urls.items()}
    actions["load"] = dashboard_load(urls["page"], urls["status"], urls["widgets"])
    return {name: (action, {"Cookie": cookie}) for name, action in actions.items()}


def loads(targets: Targets, duration: float, clients: int) -> Loads:
    return {
        name: partial(run_load, action, duration, clients, headers)
        for name, (action, headers) in targets.items()
    }


def alternate(loads: Loads, rounds: int) -> dict[str, Figures]:
    """A, B, C, A, B, C, …: drift hits every target alike; each target's samples pooled."""
    runs: dict[str, list[Sample]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, run in loads.items():
            runs[name].append(run())
    return {name: Figures.pooled(samples) for name, samples in runs.items()}


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    base: str
    upstreams: Upstreams
    cookie: str = ""
    entries: tuple[dict[str, Any], ...] = ()


@dataclass
class Run:
    figures: dict[str, dict[str, Figures]]  # scenario: target: figures (the baseline in each)
    scenarios: list[Scenario]
    upstream_requests: Counter[str]  # what the hung stand-ins heard during the loads
    load_seconds: float


def measure(args: argparse.Namespace) -> Run:
    with (
        tempfile.TemporaryDirectory(prefix="medianest-bench-dashboard-") as work,
        hung() as hanging,
        serve(BARE_APP) as bare,
        medianest(str(Path(work, "hung")), hanging) as hung_base,
        medianest(str(Path(work, "refused")), refusing := refused()) as refused_base,
    ):
        # The hung probes take longest to give up: their clocks start first.
        scenarios = [
            Scenario("hung", hung_base, hanging),
            Scenario("refused", refused_base, refusing),
        ]
        prepare(scenarios)
        targets = bare_targets(bare)
        for scenario in scenarios:
            targets |= {
                f"{scenario.name}:{name}": target
                for name, target in dashboard_targets(scenario.base, scenario.cookie).items()
            }
        alternate(loads(targets, WARMUP_SECONDS, args.clients), rounds=1)  # templates, pools
        heard = hanging.heard or Counter
        before, started = heard(), time.monotonic()
        figures = alternate(loads(targets, args.duration, args.clients), args.rounds)
        upstream_requests = heard() - before
        load_seconds = round(time.monotonic() - started, 1)
    return Run(by_scenario(figures), scenarios, upstream_requests, load_seconds)


def prepare(scenarios: list[Scenario]) -> None:
    """All set up first, then all awaited: the probes' timeouts run concurrently."""
    for scenario in scenarios:
        scenario.cookie = configure(scenario.base, scenario.upstreams)
    for scenario in scenarios:
        scenario.entries = tuple(wait_until_down(scenario.base, scenario.cookie))
        check_first_paint(scenario.base, scenario.cookie)


def by_scenario(figures: dict[str, Figures]) -> dict[str, dict[str, Figures]]:
    """{"refused": {"bare": …, "bare_load": …, "page": …, …}, "hung": {…}}."""
    scenarios: dict[str, dict[str, Figures]] = {}
    for key, value in figures.items():
        if ":" in key:
            scenario, name = key.split(":", 1)
            scenarios.setdefault(
                scenario, {"bare": figures["bare"], "bare_load": figures["bare_load"]}
            )
            scenarios[scenario][name] = value
    return scenarios


# ---- reporting ----------------------------------------------------------------------------------

BASELINE_OF = {"page": "bare", "status": "bare", "widgets": "bare", "load": "bare_load"}
TITLES = {
    "refused": "services refused (closed ports)",
    "hung": "services hung (stand-ins never answer)",
}


def verdict(figures: Figures) -> str:
    return "OK" if figures.p95_ms <= BUDGET_MS else "OVER"


def print_scenario(name: str, figures: dict[str, Figures], clients: int) -> dict[str, Any]:
    """The table for one scenario; returns its figures and ratios for the JSON line."""
    title = f"{TITLES[name]}, {clients} browser{'s' if clients > 1 else ''}"
    print(f"\n{title}")
    columns = ("n", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "p95/bare", "budget")
    print(f"  {'':<40}" + "".join(f"{column:>9}" for column in columns))
    summary: dict[str, Any] = {}
    for target, label in LABELS.items():
        f = figures[target]
        row = f"{f.count:>9}{f.rps:>9.1f}{f.p50_ms:>9.2f}{f.p95_ms:>9.2f}{f.p99_ms:>9.2f}"
        row += f"{f.max_ms:>9.2f}{f.errors:>9}"
        summary[target] = asdict(f)
        if target in BASELINE_OF:
            ratio = round(f.p95_ms / figures[BASELINE_OF[target]].p95_ms, 2)
            summary[target] |= {"p95_ratio": ratio, "budget": verdict(f)}
            row += f"{ratio:>8.2f}x{verdict(f):>9}"
        print(f"  {label:<40}{row}")
    return summary


def print_run(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    print(
        f"dashboard: first paint with every service down, hypercorn 1 worker, httpx client, "
        f"{args.clients} browser(s), {args.duration:g} s x {args.rounds} alternating rounds "
        f"(latencies pooled), budget p95 {BUDGET_MS:g} ms, {os.cpu_count()} CPUs"
    )
    for scenario in run.scenarios:
        found = "; ".join(f"{e['service']} {e['status']} ({e['error']})" for e in scenario.entries)
        print(f"probes, {scenario.name}: {found}")
    summary = {}
    for scenario in run.scenarios:
        figures = run.figures[scenario.name]
        summary[scenario.name] = print_scenario(scenario.name, figures, args.clients)
        report(
            f"{scenario.name} dashboard load",
            figures["bare_load"].as_result(),
            figures["load"].as_result(),
            "bare 3-GET load",
        )
    heard = run.upstream_requests
    paths = ", ".join(f"{path} x{count}" for path, count in sorted(heard.items())) or "none"
    print(
        f"\nrequests the hung stand-ins got during {run.load_seconds:g} s of loads: "
        f"{heard.total()} ({paths})"
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = measure(args)
    summary = print_run(run, args)
    loads_p95 = {name: figures["load"].p95_ms for name, figures in run.figures.items()}
    over = {name: p95 for name, p95 in loads_p95.items() if p95 > BUDGET_MS}
    errors = sum(f.errors for figures in run.figures.values() for f in figures.values())
    for name, p95 in loads_p95.items():
        where = "OVER" if name in over else "within"
        print(f"{name}: dashboard load p95 {p95:.1f} ms, {where} the {BUDGET_MS:g} ms budget")
    print(
        json_line(
            "dashboard",
            date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            cpus=os.cpu_count(),
            duration_s=args.duration,
            rounds=args.rounds,
            clients=args.clients,
            budget_ms=BUDGET_MS,
            **summary,
            probes={s.name: {e["service"]: e["status"] for e in s.entries} for s in run.scenarios},
            hung_upstream_requests_during_load=dict(run.upstream_requests),
            errors=errors,
        )
    )
    if errors:
        print(f"{errors} errors answered under load", file=sys.stderr)
    if over:
        print(f"dashboard load over budget: {over}", file=sys.stderr)
    return 1 if errors or over else 0


if __name__ == "__main__":
    run_bench(main)
