"""Shared machinery for the benchmarks in bench/.

Every bench serves a baseline and a candidate app on hypercorn, configured exactly as
`medianest serve` configures it (`medianest.server.hypercorn_config`), each in its own
subprocess, loads both with the same client, and prints the candidate's figures as a ratio of
the baseline measured in the same run: absolute numbers on a small shared box say little,
ratios say more.

    with serve(BARE_APP) as bare, serve("medianest.asgi:app", env) as medianest:
        results = alternate({"bare": partial(load, bare + "/healthz", 10, 64), ...}, rounds=2)
        report("MediaNest /healthz", results["bare"], results["medianest"])

Run as a script, this module is the server subprocess: `_harness.py APP_PATH PORT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

HARNESS = Path(__file__).resolve()
# The baseline every bench compares against: one JSON GET on a bare Quart app.
BARE_APP = f"{HARNESS}:bare_app()"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


class BenchError(RuntimeError):
    """A server failed to start or answered errors: the figures would mean nothing."""


@dataclass(frozen=True)
class Result:
    """One load run: throughput, latency percentiles, and non-2xx/3xx answers plus socket errors."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0
    tool: str = "wrk"


# ---- the baseline app -------------------------------------------------------------------


def bare_app() -> Any:
    """A Quart app with nothing but one JSON endpoint, shaped like MediaNest's /healthz."""
    from quart import Quart

    app = Quart("bare")

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"success": True, "data": {"status": "ok"}}

    return app


# ---- serving ------------------------------------------------------------------------------


def medianest_env(data_dir: str, **settings: str) -> dict[str, str]:
    """The environment for a MediaNest under test: embedded defaults in `data_dir`, no plugin
    autoload, none of the caller's MEDIANEST_* variables; `settings` add `MEDIANEST_<NAME>`s."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MEDIANEST_")}
    return {
        **inherited,
        "MEDIANEST_DATA_DIR": data_dir,
        "MEDIANEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        **{f"MEDIANEST_{name.upper()}": value for name, value in settings.items()},
    }


def application_path(app: str | Callable[[], Any]) -> str:
    """hypercorn's `module:attr` form; a factory becomes `/its/file.py:name()`."""
    if isinstance(app, str):
        return app
    return f"{Path(inspect.getfile(app)).resolve()}:{app.__qualname__}()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(
    app: str | Callable[[], Any],
    env: Mapping[str, str] | None = None,
    ready_path: str = "/healthz",
) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a subprocess; yield its base URL once `ready_path` is 200."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="medianest-bench-") as workdir:
        log_path = Path(workdir, "server.log")
        # The log goes to a file: a pipe nobody reads would stall the server once it filled.
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(HARNESS), application_path(app), str(port)],
                cwd=workdir,  # no stray .env or ./data from the caller's directory
                env={**os.environ, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(process, base_url + ready_path, log_path)
            yield base_url
        finally:
            _stop(process)


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"server exited with {process.returncode}:\n{_tail(log_path)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"{url} did not answer 200 within {START_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # hypercorn shuts down gracefully on TERM
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def check_json_ok(url: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One request before the load: a bench of error responses measures nothing."""
    response = httpx.get(url, headers=dict(headers or {}), timeout=5)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}: {response.text[:300]}")
    return response.json()


# ---- load ---------------------------------------------------------------------------------


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "httpx"


def load(
    url: str,
    duration: float,
    connections: int,
    headers: Mapping[str, str] | None = None,
) -> Result:
    """Keep `connections` keep-alive connections busy on GET `url` for `duration` seconds."""
    if load_tool() == "wrk":
        return _load_wrk(url, duration, connections, headers or {})
    return asyncio.run(_load_httpx(url, duration, connections, headers or {}))


def _load_wrk(url: str, duration: float, connections: int, headers: Mapping[str, str]) -> Result:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    completed = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk(completed.stdout)


_WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> Result:
    """Read throughput, the 50th and 99th latency percentiles and every error from wrk's report."""

    def latency(percent: str) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
        if match is None:
            raise BenchError(f"no {percent}% latency in wrk output:\n{output}")
        return float(match[1]) * _WRK_UNITS_MS[match[2]]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if rps is None or total is None:
        raise BenchError(f"unexpected wrk output:\n{output}")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    errors += int(non_2xx[1]) if non_2xx else 0
    return Result(float(rps[1]), latency("50"), latency("99"), errors, int(total[1]), "wrk")


async def _load_httpx(
    url: str, duration: float, connections: int, headers: Mapping[str, str]
) -> Result:
    """The fallback client: Python too, so it saturates long before wrk does.

    One client per connection, all built before the clock starts: a single httpx pool shared
    by dozens of tasks spends its time on contention, and each new client costs milliseconds.
    """
    latencies: list[float] = []
    errors = 0

    async def connection(client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                failed = (await client.get(url)).status_code >= 400
            except httpx.HTTPError:
                failed = True
            latencies.append((time.perf_counter() - sent) * 1000)
            errors += failed

    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(limits=httpx.Limits(max_connections=1), headers=dict(headers))
            )
            for _ in range(connections)
        ]
        start = time.perf_counter()
        await asyncio.gather(*(connection(client, start + duration) for client in clients))
        elapsed = time.perf_counter() - start
    if len(latencies) < 2:
        raise BenchError(f"only {len(latencies)} requests completed against {url}")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Result(
        round(len(latencies) / elapsed, 1),
        round(cuts[49], 2),
        round(cuts[98], 2),
        errors,
        len(latencies),
        "httpx",
    )


def alternate(loads: Mapping[str, Callable[[], Result]], rounds: int) -> dict[str, Result]:
    """Run the loads A, B, A, B, … and keep each one's median: drift hits all of them alike."""
    runs: dict[str, list[Result]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, run in loads.items():
            runs[name].append(run())
    return {name: median(results) for name, results in runs.items()}


def median(results: list[Result]) -> Result:
    """Each figure's own median; errors are summed, since any error spoils the run."""
    return Result(
        rps=round(statistics.median(r.rps for r in results), 1),
        p50_ms=round(statistics.median(r.p50_ms for r in results), 2),
        p99_ms=round(statistics.median(r.p99_ms for r in results), 2),
        errors=sum(r.errors for r in results),
        requests=sum(r.requests for r in results),
        tool=results[0].tool,
    )


# ---- reporting ----------------------------------------------------------------------------


def report(
    name: str, baseline: Result, candidate: Result, baseline_name: str = "bare Quart"
) -> dict[str, Any]:
    """Print both rows and the candidate/baseline ratios; return them for the JSON line."""
    ratios = {
        "throughput_ratio": round(candidate.rps / baseline.rps, 3),
        "p99_ratio": round(candidate.p99_ms / baseline.p99_ms, 3),
    }
    width = max(len(name), len(baseline_name))
    print(f"{'':<{width}}  {'req/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}  {'errors':>6}")
    for label, result in ((baseline_name, baseline), (name, candidate)):
        print(
            f"{label:<{width}}  {result.rps:>9.1f}  {result.p50_ms:>8.2f}  "
            f"{result.p99_ms:>8.2f}  {result.errors:>6}"
        )
    print(
        f"{name} / {baseline_name}: throughput {ratios['throughput_ratio']:.2f}x, "
        f"p99 latency {ratios['p99_ratio']:.2f}x"
    )
    return {"baseline": asdict(baseline), "candidate": asdict(candidate), **ratios}


def json_line(bench: str, **fields: Any) -> str:
    """The last line a bench prints, for scripts: `{"bench": …, …}`."""
    return json.dumps({"bench": bench, **fields}, sort_keys=False)


# ---- the server subprocess ----------------------------------------------------------------


def _serve_forever(app_path: str, port: int) -> None:
    from hypercorn.run import run

    from medianest.server import hypercorn_config
    from medianest.settings import load_settings

    config = hypercorn_config(load_settings(host="127.0.0.1", port=port, workers=1))
    config.application_path = app_path
    run(config)


def run_bench(main: Callable[[], int]) -> None:
    """A bench script's entry point: its exit status, or 1 with the reason on a BenchError."""
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    _serve_forever(sys.argv[1], int(sys.argv[2]))
