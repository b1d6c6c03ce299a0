"""A small client for Tautulli's API v2 over the core's ServiceClient, and its answers in
MediaNest's words.

Every call is `GET <url>/api/v2?apikey=KEY&cmd=COMMAND`; Tautulli wraps each answer as
`{"response": {"result": "success"|"error", "message": …, "data": …}}`. A refused key is
HTTP 401 in Tautulli 2.x and `result: error, message: "Invalid apikey"` in older releases:
both are `ServiceAuthFailed` here. Tautulli sends many numbers as strings ("2", "45"), so
every number is read leniently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medianest.sdk import Connection, ServiceAuthFailed, ServiceClient, ServiceResponseError
from medianest_tautulli.config import SERVICE, TautulliConfig

KEY_REFUSED = ("Invalid apikey", "Parameter apikey is required")
STATES = frozenset({"playing", "paused", "buffering"})
MAX_SESSIONS = 50  # a household's dashboard; Tautulli itself has no cap


class Tautulli:
    """One Tautulli, reached with the admin's API key."""

    def __init__(
        self, http: ServiceClient, url: str, api_key: str, *, timeout: float | None = None
    ) -> None:
        self.http = http
        self.endpoint = f"{url.rstrip('/')}/api/v2"
        self._key = api_key
        self.timeout = timeout

    @classmethod
    def for_connection(cls, http: ServiceClient, connection: Connection) -> Tautulli:
        options = TautulliConfig.model_validate(connection.config or {})
        return cls(http, connection.url or "", connection.api_key or "", timeout=options.timeout)

    async def command(self, cmd: str, **params: str | int) -> Any:
        """The `data` of a successful command; the service client's errors otherwise."""
        query = {"apikey": self._key, "cmd": cmd, **{k: str(v) for k, v in params.items()}}
        body = await self.http.get_json(SERVICE, self.endpoint, params=query, timeout=self.timeout)
        response = body.get("response") if isinstance(body, Mapping) else None
        if not isinstance(response, Mapping) or "result" not in response:
            raise ServiceResponseError(SERVICE, 200, f"Tautulli {cmd}", " (not Tautulli's API)")
        if response["result"] != "success":
            message = str(response.get("message") or "")
            if message in KEY_REFUSED:
                raise ServiceAuthFailed(SERVICE, 401, f"Tautulli {cmd}")
            raise ServiceResponseError(SERVICE, 200, f"Tautulli {cmd}", " (an error result)")
        return response.get("data")

    async def version(self) -> str | None:
        info = await self.command("get_tautulli_info")
        if not isinstance(info, Mapping):
            return None
        return _text(info.get("tautulli_version")) or None

    async def activity(self) -> dict[str, Any]:
        return activity_view(await self.command("get_activity"))

    async def history(self, length: int) -> dict[str, Any]:
        return history_view(await self.command("get_history", length=length))


def activity_view(data: Any) -> dict[str, Any]:
    """`get_activity`'s data as the widget shows it: the stream count and who watches what."""
    data = data if isinstance(data, Mapping) else {}
    sessions = [s for s in data.get("sessions") or () if isinstance(s, Mapping)][:MAX_SESSIONS]
    return {
        "stream_count": number(data.get("stream_count"), default=len(sessions)),
        "transcodes": number(data.get("stream_count_transcode")),
        "sessions": [_session(session) for session in sessions],
    }


def _session(session: Mapping[str, Any]) -> dict[str, Any]:
    state = str(session.get("state") or "")
    return {
        "user": _text(session.get("friendly_name") or session.get("user")) or "Someone",
        "title": _title(session),
        "media_type": _text(session.get("media_type")),
        "state": state if state in STATES else "playing",
        "progress": max(0, min(100, number(session.get("progress_percent")))),
        "player": _text(session.get("player")),
        "transcoding": session.get("transcode_decision") == "transcode",
    }


def history_view(data: Any) -> dict[str, Any]:
    """`get_history`'s data: how many plays there are and the latest ones."""
    data = data if isinstance(data, Mapping) else {}
    rows = [row for row in data.get("data") or () if isinstance(row, Mapping)]
    return {
        "total": number(data.get("recordsFiltered"), default=len(rows)),
        "plays": [
            {
                "user": _text(row.get("friendly_name") or row.get("user")) or "Someone",
                "title": _title(row),
                "media_type": _text(row.get("media_type")),
                "date": number(row.get("date") or row.get("started")) or None,
                "percent_complete": max(0, min(100, number(row.get("percent_complete")))),
            }
            for row in rows
        ],
    }


def _title(item: Mapping[str, Any]) -> str:
    return _text(item.get("full_title") or item.get("title")) or "Untitled"


def _text(value: Any) -> str:
    return str(value).strip()[:200] if value is not None else ""


def number(value: Any, *, default: int = 0) -> int:
    """Tautulli's numbers arrive as numbers or strings ("2", "45.5", "")."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default
