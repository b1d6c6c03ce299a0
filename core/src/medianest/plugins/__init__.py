"""The public API for plugin authors: `from medianest.plugins import hookimpl, PluginSpec, …`."""

import pluggy

from medianest.plugins.contributions import (
    AuthProvider,
    JobSpec,
    ModelSpec,
    Permission,
    PluginSpec,
    ProbeResult,
    RequestProvider,
    StatusProbe,
    Widget,
)

hookimpl = pluggy.HookimplMarker("medianest")

__all__ = [
    "AuthProvider",
    "JobSpec",
    "ModelSpec",
    "Permission",
    "PluginSpec",
    "ProbeResult",
    "RequestProvider",
    "StatusProbe",
    "Widget",
    "hookimpl",
]
