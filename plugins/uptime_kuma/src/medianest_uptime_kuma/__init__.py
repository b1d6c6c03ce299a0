"""Uptime Kuma for MediaNest."""

from medianest.plugins import PluginSpec

plugin = PluginSpec(id="uptime_kuma", title="Uptime Kuma", description="Live status of the household's services.")
