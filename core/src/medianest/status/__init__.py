"""Service status: coordinators poll the plugins' probes; pages read their cache.

`core.status` is a `StatusBoard`: `entries()`, `get(service)`, `await refresh(service)`.
See docs/decisions/0010-coordinators.md.
"""

from medianest.status.board import StatusBoard
from medianest.status.coordinator import STATUSES, Coordinator, Outcome, Seed, outcome_of_failure

__all__ = ["STATUSES", "Coordinator", "Outcome", "Seed", "StatusBoard", "outcome_of_failure"]
