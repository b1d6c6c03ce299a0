"""MediaNest: a self-hosted portal for a Plex household."""

import sys
from importlib.metadata import PackageNotFoundError, version

# httpx imports its command-line client, and click, rich and pygments with it, whenever those are
# installed, as the development tools install them: ~7 MB and a few hundred ms of every start,
# for a client no MediaNest process runs. Marked missing before anything imports httpx, it is
# not loaded (`httpx.main` then says the client is not installed; the `httpx` command is intact).
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

try:
    __version__ = version("medianest")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
