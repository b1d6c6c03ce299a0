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
    NavEntry,
    Permission,
    PluginSpec,
    ProbeResult,
    RateLimit,
    RequestProvider,
    ServiceSpec,
    Shell,
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
    "NavEntry",
    "Permission",
    "PluginSpec",
    "ProbeResult",
    "RateLimit",
    "RequestProvider",
    "ServiceSpec",
    "Shell",
    "StatusProbe",
    "Widget",
    "hookimpl",
]
