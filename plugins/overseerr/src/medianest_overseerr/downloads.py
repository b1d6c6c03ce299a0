"""How far an approved request's download has come, when another plugin offers the sdk's
`DOWNLOAD_PROGRESS` capability (the Sonarr and Radarr plugin does). Without one, requests
carry no `download` field at all; with one, every request has it (None when nothing of it
is downloading). The provider answers from its own cache, so this adds no wait on a service;
a provider that fails costs only the field, never the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from medianest.sdk import DOWNLOAD_PROGRESS, DownloadProgress
from medianest_overseerr.models import APPROVED, PARTLY

log = logging.getLogger(__name__)

#: Only these can be downloading: pending is not yet sent on, available is done.
ON_ITS_WAY = (APPROVED, PARTLY)


async def attach(core: Any, items: Iterable[dict[str, Any]]) -> None:
    """Add `download` to each request view (in place) while a provider is active."""
    provider: DownloadProgress | None = core.capabilities.get(DOWNLOAD_PROGRESS)
    if provider is None:
        return
    for item in items:
        item["download"] = None
        if item.get("status") in ON_ITS_WAY:
            item["download"] = await _progress(provider, item["type"], item["tmdb_id"])


async def _progress(provider: DownloadProgress, media_type: str, tmdb_id: int) -> Any:
    try:
        state = await provider.progress(media_type, tmdb_id)
    except Exception:  # another plugin's fault must not break the requests page
        log.warning("the download progress provider failed", exc_info=True)
        return None
    return asdict(state) if state is not None else None
