"""One coordinator per status probe: it polls in the background and keeps the last good data.

Modelled on Home Assistant's `DataUpdateCoordinator`:

- A background task calls `await probe.check(core, connection)` every `interval` seconds
  (with jitter, so coordinators started together do not poll in lockstep), each call bounded
  by `probe.timeout`. Outbound calls go through `core.http`, whose circuit breaker spares a
  failing service between polls.
- Exceptions become a status and a short, secret-free error (`outcome_of_failure`); the log
  says once that a service went down and once that it recovered, never once per poll.
- The last data the service answered with is kept with its age: pages read it from here and
  never wait on the service. Data older than twice the interval is flagged `stale`.
- Every check is recorded (uptime over 24 h); the entry is persisted and `service:status` is
  published whenever the status, the error or a monitor's status changes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from medianest.http import ServiceAuthFailed, ServiceDown, ServiceResponseError, watching_calls
from medianest.plugins.contributions import Connection, ProbeResult, StatusProbe

if TYPE_CHECKING:
    from medianest.status.store import StatusStore

log = logging.getLogger("medianest.status")

STATUSES = frozenset({"online", "offline", "degraded", "unknown"})
ANSWERED = frozenset({"online", "degraded"})  # the service answered: its data is fresh
UPTIME_WINDOW = 24 * 3600.0  # seconds of checks behind `uptime_percentage`
STALE_AFTER_INTERVALS = 2  # data older than this many intervals is flagged stale
JITTER = 0.1  # each wait is the interval ± 10 %
MONITOR_FIELDS = ("id", "name", "status", "response_time_ms", "uptime_percentage")

NOT_CONFIGURED = "not configured"
UNEXPECTED = "the status check failed unexpectedly; the server log has the details"
HUNG = "the status check hung, so its plugin was marked failed (see Admin → Plugins)"

_DOWN_REASONS = {
    "timeout": "did not answer in time",
    "connect": "cannot be reached",
    "too_large": "sent a response that is too large",
    "redirect": "redirected elsewhere",
}


@dataclass(frozen=True)
class Outcome:
    """What one check concluded. `data` is set only when the service answered (fresh data)."""

    status: str
    error: str | None = None
    response_time_ms: float | None = None
    data: dict[str, Any] | None = None
    recorded: bool = True  # counts towards uptime (False when nothing was checked)


@dataclass
class Seed:
    """A coordinator's state as persisted: what the dashboard shows after a restart."""

    status: str = "unknown"
    response_time_ms: float | None = None
    last_check_at: float | None = None
    last_success_at: float | None = None
    error: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    checks: list[tuple[float, bool]] = field(default_factory=list)  # (epoch seconds, online)


class ProbeBug(Exception):
    """The probe answered with something that is not a valid `ProbeResult`."""


def outcome_of_failure(exc: BaseException, *, title: str, timeout: float, previous: str) -> Outcome:
    """Map a failed check to a status and an error a household member can act on.

    5xx answers are `degraded` (the service runs but fails); an open circuit keeps the status
    of the failures that opened it; everything else is `offline`. Messages never quote URLs,
    headers or bodies: API keys and tokens travel there.
    """
    if isinstance(exc, TimeoutError):
        return Outcome("offline", f"timed out after {timeout:g} s")
    if isinstance(exc, ServiceAuthFailed):
        return Outcome(
            "offline",
            f"{title} refused the credentials (HTTP {exc.status_code}): "
            "check the API key in Admin → Services",
        )
    if isinstance(exc, ServiceDown):
        if exc.reason == "http_5xx":
            return Outcome(
                "degraded", f"{title} answered with a server error (HTTP {exc.status_code})"
            )
        if exc.reason == "circuit_open":
            status = previous if previous in ("offline", "degraded") else "offline"
            return Outcome(status, f"{title} failed repeatedly; calls are paused for a while")
        return Outcome("offline", f"{title} {_DOWN_REASONS.get(exc.reason, 'is unavailable')}")
    if isinstance(exc, ServiceResponseError):
        return Outcome(
            "offline", f"{title} gave an answer MediaNest cannot use (HTTP {exc.status_code})"
        )
    return Outcome("offline", UNEXPECTED)


def outcome_of_result(result: object, elapsed_ms: float) -> Outcome:
    """Check a probe's answer; raise `ProbeBug` for anything but a valid `ProbeResult`."""
    if not isinstance(result, ProbeResult):
        raise ProbeBug(f"the probe returned {type(result).__name__}, not a ProbeResult")
    if result.status not in STATUSES:
        raise ProbeBug(f"the probe reported the unknown status {result.status!r}")
    if not isinstance(result.data, Mapping):
        raise ProbeBug(f"the probe's data is a {type(result.data).__name__}, not a dict")
    response_time = result.response_time_ms if result.response_time_ms is not None else elapsed_ms
    answered = result.status in ANSWERED
    return Outcome(
        result.status,
        result.error,
        round(response_time, 1) if answered else None,
        dict(result.data) if answered else None,
    )


def normalise_monitors(raw: object) -> list[dict[str, Any]] | None:
    """The SPEC's monitor shape from a probe's `data["monitors"]`; None when there are none."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        return None
    monitors = []
    for item in raw:
        if isinstance(item, Mapping) and "id" in item:
            monitor = {name: item.get(name) for name in MONITOR_FIELDS}
            if monitor["status"] not in STATUSES:
                monitor["status"] = "unknown"
            monitors.append(monitor)
    return monitors


def iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


class UptimeWindow:
    """Checks of the last 24 h, in order, with a running count of the online ones."""

    def __init__(
        self, checks: Iterable[tuple[float, bool]] = (), span: float = UPTIME_WINDOW
    ) -> None:
        self._span = span
        self._checks: deque[tuple[float, bool]] = deque()
        self._online = 0
        for at, online in sorted(checks):
            self.add(at, online)

    def add(self, at: float, online: bool) -> None:
        self._checks.append((at, online))
        self._online += online
        self._forget_before(at - self._span)

    def percentage(self, now: float) -> float | None:
        self._forget_before(now - self._span)
        if not self._checks:
            return None
        return round(100.0 * self._online / len(self._checks), 2)

    def _forget_before(self, cutoff: float) -> None:
        while self._checks and self._checks[0][0] < cutoff:
            _, online = self._checks.popleft()
            self._online -= online


class Coordinator:
    """Polls one probe and caches what it learnt. The board starts and stops it."""

    def __init__(
        self,
        core: Any,
        plugin_id: str,
        probe: StatusProbe,
        *,
        title: str,
        store: StatusStore,
        seed: Seed | None = None,
    ) -> None:
        seed = seed or Seed()
        self.service = probe.service
        self.plugin_id = plugin_id
        self.probe = probe
        self.title = title
        self.enabled = False  # the board's wish: polling while the plugin is active
        self.status = seed.status if seed.status in STATUSES else "unknown"
        self.error = seed.error
        self.response_time_ms = seed.response_time_ms
        self.last_check_at = seed.last_check_at
        self.last_success_at = seed.last_success_at
        self.data: dict[str, Any] = dict(seed.data)
        self.monitors = normalise_monitors(self.data.get("monitors"))
        self._core = core
        self._store = store
        self._uptime = UptimeWindow(seed.checks)
        self._lock = asyncio.Lock()  # one check at a time: the loop's or a requested refresh
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._retired: set[asyncio.Task[None]] = set()
        self._down_since: float | None = None  # set once the outage was logged
        self._bug_logged = False
        self._fixed: dict[str, Any] | None = (
            None  # `entry()`'s unchanging part, until the next check
        )

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.enabled = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"medianest-status-{self.service}")

    def stop(self) -> None:
        """Stop polling (the plugin was disabled); `tasks()` lists what still winds down."""
        self.enabled = False
        if self._task is not None:
            self._task.cancel()
            self._retired.add(self._task)
            self._task.add_done_callback(self._retired.discard)
            self._task = None

    def tasks(self) -> list[asyncio.Task[None]]:
        return [task for task in (self._task, *self._retired) if task is not None]

    def wake(self) -> None:
        """Poll now instead of at the end of the interval (the connection changed)."""
        self._wake.set()

    async def refresh(self) -> None:
        """Check the service now (after any check already running) and apply the outcome."""
        async with self._lock:
            outcome = await self._check()
            await self._apply(outcome, time.time())

    # ---- reading ----------------------------------------------------------------------------

    def entry(self, now: float | None = None) -> dict[str, Any]:
        """The SPEC's status entry, with staleness measured against `now`. Treat it as
        read-only: its unchanged parts are shared between calls (the dashboard reads it per
        request)."""
        now = time.time() if now is None else now
        age = (
            None if self.last_success_at is None else round(max(0.0, now - self.last_success_at), 1)
        )
        stale = age is not None and age > STALE_AFTER_INTERVALS * self.probe.interval
        if self._fixed is None:
            self._fixed = self._fixed_part()
        entry = {
            **self._fixed,
            "uptime_percentage": self._uptime.percentage(now),
            "stale": stale,
            "age_seconds": age,
        }
        if stale and self.monitors is not None:
            entry["monitors"] = [{**monitor, "stale": True} for monitor in self.monitors]
        return entry

    def _fixed_part(self) -> dict[str, Any]:
        """The entry's fields that change only with a check, in the SPEC's order."""
        fixed: dict[str, Any] = {
            "service": self.service,
            "title": self.title,
            "status": self.status,
            "response_time_ms": self.response_time_ms,
            "last_check_at": iso(self.last_check_at),
            "last_success_at": iso(self.last_success_at),
            "uptime_percentage": None,
            "error": self.error,
            "stale": False,
            "age_seconds": None,
        }
        if self.monitors is not None:
            fixed["monitors"] = self.monitors
        return fixed

    # ---- one check ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # the loop must outlive any one bad check (a database hiccup, …)
                log.exception("status check of %s failed", self.service)
            if self._task is not asyncio.current_task() or being_cancelled():
                return  # asked to stop, and something below swallowed the cancellation
            await self._sleep(self._next_delay())

    def _next_delay(self) -> float:
        return self.probe.interval * random.uniform(1 - JITTER, 1 + JITTER)

    async def _sleep(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    async def _check(self) -> Outcome:
        connection: Connection | None = None
        if self.probe.needs_connection:
            try:
                connection = await self._core.services.get(self.service)
            except Exception as exc:
                self._log_once(exc, "cannot read the service connection of %s", self.service)
                return Outcome(
                    "unknown", "the service connection could not be read", recorded=False
                )
            if connection is None or not connection.enabled:
                return Outcome("unknown", NOT_CONFIGURED, recorded=False)
        started = time.perf_counter()
        try:
            with watching_calls() as calls:
                async with asyncio.timeout(self.probe.timeout):
                    result = await self.probe.check(self._core, connection)
            return outcome_of_result(result, (time.perf_counter() - started) * 1000)
        except TimeoutError as exc:
            if calls.interrupted == 0:  # no service kept it waiting: the probe hung on itself
                return self._hung()
            return outcome_of_failure(
                exc, title=self.title, timeout=self.probe.timeout, previous=self.status
            )
        except Exception as exc:
            if _is_probe_bug(exc):
                self._log_once(
                    exc,
                    "the %s plugin's status probe for %s is broken",
                    self.plugin_id,
                    self.service,
                )
            return outcome_of_failure(
                exc, title=self.title, timeout=self.probe.timeout, previous=self.status
            )

    def _hung(self) -> Outcome:
        """A plugin bug, not an outage: the plugin is marked failed (its coordinator stops)."""
        self._core.host.fail(
            self.plugin_id,
            f"its status check for {self.title} hung: no answer within {self.probe.timeout:g} s, "
            "and no call to the service was pending",
        )
        return Outcome("unknown", HUNG, recorded=False)

    def _log_once(self, exc: Exception, message: str, *args: object) -> None:
        """Log a bug with its traceback once per episode: the next answer re-arms it."""
        if not self._bug_logged:
            self._bug_logged = True
            log.error(message, *args, exc_info=exc)

    # ---- applying an outcome ----------------------------------------------------------------

    async def _apply(self, outcome: Outcome, at: float) -> None:
        before_status, before_error, before_monitors = self.status, self.error, self.monitors
        self._fixed = None
        self.status, self.error = outcome.status, outcome.error
        self.response_time_ms = outcome.response_time_ms
        self.last_check_at = at
        if outcome.data is not None:
            self.data, self.last_success_at = outcome.data, at
            self.monitors = normalise_monitors(outcome.data.get("monitors"))
            self._bug_logged = False
        if outcome.recorded:
            online = outcome.status == "online"
            self._uptime.add(at, online)
            await self._store.record_check(self.service, at, online, outcome.response_time_ms)
        self._log_transition(at)
        changed_monitors = _changed_monitors(before_monitors, self.monitors)
        monitors_changed = bool(changed_monitors) or _ids(before_monitors) != _ids(self.monitors)
        if (self.status, self.error) != (before_status, before_error) or monitors_changed:
            await self._store.save(self.service, self._persisted_state())
            await self._announce(changed_monitors, at)

    def _log_transition(self, at: float) -> None:
        healthy = self.status in ("online", "unknown")
        if not healthy and self._down_since is None:
            self._down_since = at
            log.warning("%s is %s: %s", self.service, self.status, self.error or "no reason given")
        elif self.status == "online" and self._down_since is not None:
            log.info("%s recovered after %.0f s", self.service, at - self._down_since)
            self._down_since = None

    async def _announce(self, changed_monitors: list[dict[str, Any]] | None, at: float) -> None:
        """One `service:status` per changed monitor (each with the entry), or one for the entry."""
        entry = self.entry(at)
        monitors: list[dict[str, Any] | None] = [*changed_monitors] if changed_monitors else [None]
        for monitor in monitors:
            data = entry if monitor is None else {**entry, "monitor": monitor}
            await self._core.publish("service:status", data)

    def _persisted_state(self) -> Seed:
        return Seed(
            status=self.status,
            response_time_ms=self.response_time_ms,
            last_check_at=self.last_check_at,
            last_success_at=self.last_success_at,
            error=self.error,
            data=self.data,
        )


def _is_probe_bug(exc: Exception) -> bool:
    """Anything but the expected failures of reaching a service is the probe's own bug."""
    expected = (TimeoutError, ServiceDown, ServiceAuthFailed, ServiceResponseError)
    return not isinstance(exc, expected)


def _ids(monitors: list[dict[str, Any]] | None) -> list[Any] | None:
    return None if monitors is None else [monitor["id"] for monitor in monitors]


def _changed_monitors(
    before: list[dict[str, Any]] | None, after: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """Monitors whose status changed or that appeared; None when there is nothing to compare."""
    if after is None or before is None:
        return None
    known = {monitor["id"]: monitor["status"] for monitor in before}
    changed = [monitor for monitor in after if known.get(monitor["id"]) != monitor["status"]]
    return changed or None


def being_cancelled() -> bool:
    """Whether this task was asked to stop, even if a library below swallowed the request."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
