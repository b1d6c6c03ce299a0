"""Which plugins an installation starts with, and which arrive later.

The plugins present at the very first start (the first-party ones on a fresh install) start
enabled. A plugin installed after that starts disabled until an admin enables it: installing a
distribution must not by itself put new code in front of every user (decision 0017).
"""

from __future__ import annotations

from datetime import UTC, datetime

from medianest import __version__ as core_version
from medianest.config.models import SystemSetting
from medianest.plugins.models import PluginStateRow

FIRST_START_KEY = "first_start"


async def started_before() -> bool:
    """Has this installation started before? Installs older than the mark have plugin rows."""
    if await SystemSetting.exists(key=FIRST_START_KEY):
        return True
    return await PluginStateRow.exists()


async def mark_first_start() -> None:
    await SystemSetting.get_or_create(
        key=FIRST_START_KEY,
        defaults={"value": {"at": datetime.now(UTC).isoformat(), "version": core_version}},
    )
