"""Outbound HTTP for plugins: one pooled, bounded, retried and circuit-broken `ServiceClient`."""

from medianest.http.client import (
    BreakerState,
    ServiceAuthFailed,
    ServiceClient,
    ServiceDown,
    ServiceError,
    ServiceResponseError,
)

__all__ = [
    "BreakerState",
    "ServiceAuthFailed",
    "ServiceClient",
    "ServiceDown",
    "ServiceError",
    "ServiceResponseError",
]
