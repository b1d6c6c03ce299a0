"""Counters of what this process's worker did, for /metrics (queue depth comes from the table)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class JobStats:
    """Attempts by (job name, outcome) and their total run time: a Prometheus summary's data.

    Outcomes: succeeded, failed, dead, cancelled, retrying (a transient failure that will be
    tried again), released (handed back on shutdown or disable), lost (another worker took it).
    """

    attempts: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: defaultdict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))

    def record(self, name: str, outcome: str, seconds: float) -> None:
        self.attempts[name, outcome] += 1
        self.seconds[name, outcome] += seconds

    def snapshot(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for (name, outcome), count in sorted(self.attempts.items()):
            seconds = self.seconds[name, outcome]
            rows.append({"name": name, "outcome": outcome, "count": count, "seconds": seconds})
        return rows
