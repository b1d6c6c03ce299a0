"""Outbound HTTP for plugins: one pooled, bounded, retried and circuit-broken `ServiceClient`."""

from medianest.http.client import (
    BreakerState,
    CallWatch,
    JsonReply,
    ServiceAuthFailed,
    ServiceClient,
    ServiceDown,
    ServiceError,
    ServiceResponseError,
    watching_calls,
)

__all__ = [
    "BreakerState",
    "CallWatch",
    "JsonReply",
    "ServiceAuthFailed",
    "ServiceClient",
    "ServiceDown",
    "ServiceError",
    "ServiceResponseError",
    "watching_calls",
]
