"""Plex for MediaNest."""

from medianest.plugins import PluginSpec

plugin = PluginSpec(id="plex", title="Plex", description="Sign in with Plex; browse libraries and collections.")
