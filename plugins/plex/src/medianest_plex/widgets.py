"""The dashboard widget `plex.summary`: the libraries and what was added lately.

It answers from the `plex` status cache (`core.status`: the probe's last data), never by
calling Plex: a slow or dead Plex cannot slow the dashboard, and when Plex is unreachable the
widget shows the last known state, marked stale. The probe sees the server as its owner does,
so the widget shows each person only the libraries Plex shares with them (as recorded at their
sign-in and each token check); admins see every library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medianest.sdk import Actor, PluginCore, Widget, has_shell
from medianest_plex.client import PMS
from medianest_plex.library import iso_time
from medianest_plex.models import PlexAccess

SHOWN_RECENT = 10


def summary_widget() -> Widget:
    return Widget(
        id=f"{PMS}.summary",
        title="Plex",
        data=summary_data,
        template=f"{PMS}/widget.html",
        permission="plex.browse",
        order=10,
    )


async def summary_data(core: PluginCore, actor: Actor) -> dict[str, Any]:
    entry = core.status.entry(PMS) or {}
    cached = core.status.data(PMS)
    access = await PlexAccess.get_or_none(user_id=actor.user_id)
    visible = _visible_libraries(actor, access)
    libraries = [lib for lib in cached.get("libraries") or () if _shown(lib, visible)]
    # Posters come through the image proxy with the viewer's own Plex access: without one
    # (an admin who never signed in with Plex) they would be refused, so none are shown.
    recent = [
        {**item, "added_at": iso_time(item.get("added_at"))} | ({} if access else {"thumb": None})
        for item in cached.get("recently_added") or ()
        if isinstance(item, Mapping) and (visible is None or item.get("library_id") in visible)
    ]
    return {
        "status": entry.get("status", "unknown"),
        "stale": bool(entry.get("stale")),
        "error": entry.get("error"),
        "last_check_at": entry.get("last_check_at"),
        "linked": visible is None or bool(visible),
        "libraries": libraries,
        "recently_added": recent[:SHOWN_RECENT],
        "browse": has_shell(core),  # library names link to their pages (served inside the shell)
    }


def _visible_libraries(actor: Actor, access: PlexAccess | None) -> frozenset[str] | None:
    """The library ids this person sees; None for everything (admins, the server's owner)."""
    if actor.is_admin:
        return None
    if access is None:
        return frozenset()
    if access.owner:
        return None
    return frozenset(str(library_id) for library_id in access.library_ids or ())


def _shown(library: Any, visible: frozenset[str] | None) -> bool:
    return isinstance(library, Mapping) and (visible is None or str(library.get("id")) in visible)
