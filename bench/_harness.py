"""Shared machinery for the benchmarks in bench/.

Every bench serves a baseline and a candidate app on hypercorn, configured exactly as
`medianest serve` configures it (`medianest.server.hypercorn_config`), each in its own
subprocess, loads both with the same client, and prints the candidate's figures as a ratio of
the baseline measured in the same run: absolute numbers on a small shared box say little,
ratios say more.

    with serve(BARE_APP) as bare, serve("medianest.asgi:app", env) as medianest:
        results = alternate({"bare": partial(load, bare + "/healthz", 10, 64), ...}, rounds=2)
        report("MediaNest /healthz", results["bare"], results["medianest"])

The server subprocess is `_server.py APP_PATH PORT`, which also holds the baseline app.
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
SERVER = HARNESS.with_name("_server.py")  # the server subprocess: `_server.py APP_PATH PORT`
# The baseline every bench compares against: one JSON GET on a bare Quart app.
BARE_APP = f"{SERVER}:bare_app()"
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


@dataclass(frozen=True)
class Server:
    """A server subprocess that answered 200: its URL, its process, and how long that took."""

    url: str
    process: subprocess.Popen[bytes]
    ready_after: float  # seconds from the spawn to the first 200 on the ready path
    ready_cpu: float  # CPU seconds (user + system) its processes had used by then


@contextlib.contextmanager
def serve(
    app: str | Callable[[], Any],
    env: Mapping[str, str] | None = None,
    ready_path: str = "/healthz",
) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a subprocess; yield its base URL once `ready_path` is 200."""
    port = free_port()
    command = [sys.executable, str(SERVER), application_path(app), str(port)]
    with run_server(command, port, env, ready_path) as server:
        yield server.url


@contextlib.contextmanager
def run_server(
    command: list[str],
    port: int,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/healthz",
    cwd: str | Path | None = None,
    poll: float = 0.2,
) -> Iterator[Server]:
    """Run `command` (a server listening on 127.0.0.1:`port`) in a session of its own, wait
    for `ready_path` to answer 200 (polling every `poll` s), yield it, then stop the whole
    session with SIGTERM (a wrapper such as `uv run` and the server it starts)."""
    with tempfile.TemporaryDirectory(prefix="medianest-bench-") as workdir:
        log_path = Path(workdir, "server.log")
        # The log goes to a file: a pipe nobody reads would stall the server once it filled.
        with log_path.open("wb") as log:
            started = time.perf_counter()
            process = subprocess.Popen(
                command,
                cwd=cwd or workdir,  # by default no stray .env or ./data from the caller's dir
                env={**os.environ, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(process, base_url + ready_path, log_path, poll)
            ready_after = time.perf_counter() - started
            yield Server(base_url, process, ready_after, cpu_seconds(process.pid))
        finally:
            _stop(process)


def _wait_until_ready(
    process: subprocess.Popen[bytes], url: str, log_path: Path, poll: float = 0.2
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"server exited with {process.returncode}:\n{_tail(log_path)}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(url).status_code == 200:
                    return
            time.sleep(poll)
    raise BenchError(f"{url} did not answer 200 within {START_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's session (hypercorn stops gracefully on it), SIGKILL if it hangs."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (Linux /proc)."""
    total_kib = 0
    for member in [pid, *_descendants(pid)]:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            status = Path(f"/proc/{member}/status").read_text()
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total_kib += int(match[1]) if match else 0
    return total_kib / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process, its descendants and the children they
    have reaped: unlike wall time, it hardly depends on what else the machine is running."""
    ticks = 0
    for member in [pid, *_descendants(pid)]:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            # Fields after the command name (which may hold spaces): utime is the 14th field.
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return [grand for child in children for grand in (child, *_descendants(child))]


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


def run_bench(main: Callable[[], int]) -> None:
    """A bench script's entry point: its exit status, or 1 with the reason on a BenchError."""
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
