"""The public API for plugin authors: `from medianest.plugins import hookimpl, PluginSpec, …`."""

import pluggy

from medianest.plugins.contributions import (
    AuthProvider,
    Capability,
    Connection,
    DemoConnection,
    DemoService,
    JobSpec,
    ModelSpec,
    Permission,
    PluginSpec,
    ProbeResult,
    RateLimit,
    RequestProvider,
    ServiceSpec,
    StatusProbe,
    Widget,
)

hookimpl = pluggy.HookimplMarker("medianest")

__all__ = [
    "AuthProvider",
    "Capability",
    "Connection",
    "DemoConnection",
    "DemoService",
    "JobSpec",
    "ModelSpec",
    "Permission",
    "PluginSpec",
    "ProbeResult",
    "RateLimit",
    "RequestProvider",
    "ServiceSpec",
    "StatusProbe",
    "Widget",
    "hookimpl",
]
