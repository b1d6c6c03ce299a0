"""Counters of what this process's worker did, for /metrics (queue depth comes from the table)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class JobStats:
    """Attempts by (job name, outcome) and their total run time: a Prometheus summary's data.

    Outcomes: succeeded, failed, dead, cancelled, retrying (a transient failure that will be
    tried again), released (handed back on shutdown or disable), lost (another worker took it).
    """

    attempts: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: Counter[tuple[str, str]] = field(default_factory=Counter)

    def record(self, name: str, outcome: str, seconds: float) -> None:
        self.attempts[name, outcome] += 1
        self.seconds[name, outcome] += seconds

    def snapshot(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for (name, outcome), count in sorted(self.attempts.items()):
            seconds = self.seconds[name, outcome]
            rows.append({"name": name, "outcome": outcome, "count": count, "seconds": seconds})
        return rows
