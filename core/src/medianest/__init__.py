"""MediaNest: a self-hosted portal for a Plex household."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("medianest")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
