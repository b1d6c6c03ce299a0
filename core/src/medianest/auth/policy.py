"""Route policies: every route says who may call it; a start-up check refuses one that does not.

    @bp.get("/libraries")
    @signed_in
    async def libraries(): ...

The core enforces the policy before the body is read or validated, so an anonymous
caller gets 401 and a plain user on an admin route 403, whatever the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

F = TypeVar("F", bound=Callable)
ATTRIBUTE = "medianest_policy"


@dataclass(frozen=True)
class Policy:
    kind: str  # "public" | "user" | "admin"
    permission: str | None = None

    def describe(self) -> str:
        return f"{self.kind}:{self.permission}" if self.permission else self.kind


def _mark(policy: Policy) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        setattr(func, ATTRIBUTE, policy)
        return func

    return decorator


public = _mark(Policy("public"))
"""Anyone, signed in or not."""

signed_in = _mark(Policy("user"))
"""Any signed-in user (whose password needs no change)."""

admin_only = _mark(Policy("admin"))
"""Administrators only."""


def requires(permission: str) -> Callable[[F], F]:
    """A signed-in user who holds `permission` (admins hold every permission)."""
    return _mark(Policy("user", permission))


def policy_of(view: Callable | None) -> Policy | None:
    return getattr(view, ATTRIBUTE, None)


PENDING_OK = "medianest_pending_password_ok"
RATE_BUCKET = "medianest_rate_bucket"
RATE_BUCKETS = frozenset(
    {"api", "images"}
)  # the `rate_limits` of the system config that routes use


def counted_as(bucket: str) -> Callable[[F], F]:
    """Count calls to this `/api` route against `rate_limits.<bucket>` instead of `api`.

    `images` is for routes that serve pictures a page shows by the dozen (posters through an
    image proxy): one library page would otherwise spend half a person's API minute.
    """
    if bucket not in RATE_BUCKETS:
        raise ValueError(f"unknown rate limit bucket {bucket!r}; one of {sorted(RATE_BUCKETS)}")

    def decorator(func: F) -> F:
        setattr(func, RATE_BUCKET, bucket)
        return func

    return decorator


OWN_CREDENTIALS = "medianest_own_credentials"


def own_credentials(func: F) -> F:
    """A public route that reads the `Authorization` header itself (`/metrics` and its scrape
    token): the core resolves no user for it, so such a token is not taken for an API token."""
    setattr(func, OWN_CREDENTIALS, True)
    return func


UNCOUNTED = "medianest_uncounted"


def uncounted(func: F) -> F:
    """Hold this route to no budget: probes, scrapers and the API document (the core's `/healthz`,
    `/readyz`, `/metrics`, `/openapi.json`). Every other route counts: `/api/…` against `api` (or
    its `counted_as` bucket), any other page against `pages`."""
    setattr(func, UNCOUNTED, True)
    return func


def allowed_before_password_change(func: F) -> F:
    """Let a user whose password must change still call this route (the change itself, logout)."""
    setattr(func, PENDING_OK, True)
    return func
