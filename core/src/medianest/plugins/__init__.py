"""The public API for plugin authors: `from medianest.plugins import hookimpl, PluginSpec, …`."""

import pluggy

from medianest.plugins.contributions import (
    AuthProvider,
    Connection,
    JobSpec,
    ModelSpec,
    Permission,
    PluginSpec,
    ProbeResult,
    RequestProvider,
    ServiceSpec,
    StatusProbe,
    Widget,
)

hookimpl = pluggy.HookimplMarker("medianest")

__all__ = [
    "AuthProvider",
    "Connection",
    "JobSpec",
    "ModelSpec",
    "Permission",
    "PluginSpec",
    "ProbeResult",
    "RequestProvider",
    "ServiceSpec",
    "StatusProbe",
    "Widget",
    "hookimpl",
]
