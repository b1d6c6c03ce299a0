"""A stand-in for Tautulli: a real HTTP server on 127.0.0.1 speaking Tautulli's API v2.

Tautulli has one endpoint, ``GET /api/v2?apikey=KEY&cmd=COMMAND[&…]``, and every answer is the
envelope ``{"response": {"result": "success"|"error", "message": str|null, "data": …}}``
(Tautulli's ``API2._api_responds``). The stand-in serves the commands MediaNest calls, in the
shapes of Tautulli 2.x's API reference (API.md, and ``plexpy/api2.py``/``webserve.py``):

``cmd=get_tautulli_info``
    ``data``: ``tautulli_version`` ("v2.15.2"), ``tautulli_install_type``, ``tautulli_branch``,
    ``tautulli_commit``, ``tautulli_platform``, ``tautulli_python_version``.
``cmd=get_activity``
    ``data``: ``stream_count`` (a string, as Tautulli sends it), ``stream_count_direct_play``,
    ``stream_count_direct_stream``, ``stream_count_transcode`` (integers), ``total_bandwidth``,
    ``lan_bandwidth``, ``wan_bandwidth`` (kbps) and ``sessions[]``: ``session_key``,
    ``session_id``, ``user``, ``user_id``, ``friendly_name``, ``full_title``, ``title``,
    ``parent_title``, ``grandparent_title``, ``media_type`` (movie, episode, track),
    ``state`` (playing, paused, buffering), ``progress_percent`` (a string), ``player``,
    ``platform``, ``product``, ``year``, ``transcode_decision`` (direct play, copy, transcode),
    ``rating_key``, ``thumb`` and ``duration``/``view_offset`` (ms, strings).
``cmd=get_history&length=N[&start=S]``
    ``data``: ``recordsTotal``, ``recordsFiltered``, ``draw``, ``total_duration``,
    ``filter_duration`` and ``data[]``, newest first: ``row_id``, ``reference_id``, ``id``,
    ``date``/``started``/``stopped`` (unix seconds), ``user``, ``user_id``,
    ``friendly_name``, ``full_title``, ``title``, ``parent_title``, ``grandparent_title``,
    ``media_type``, ``year``, ``player``, ``platform``, ``percent_complete``,
    ``watched_status`` (0, 0.5 or 1), ``rating_key``, ``thumb``, ``transcode_decision``.
    ``length`` defaults to 25, as in Tautulli.
``cmd=arnold``
    A random quote in ``data``: Tautulli's own "is the API up" command.

Errors as Tautulli answers them: without ``apikey`` the message is "Parameter apikey is
required", with a wrong one "Invalid apikey" (HTTP 401, as Tautulli 2.x answers), an unknown
command "Unknown command: …" (HTTP 200, ``result: error``).

Scenario: ``play(user, title, …)`` starts a session (its ``session_key``), ``pause(key)``,
``progress(key, percent)``, ``end(key)`` ends it into the history, ``add_history(…)`` writes
a past play. The base class adds ``hang()``, ``fail()``, ``recover()`` and ``request_log``.
``FakeTautulli.demo()`` is a household matching the Plex stand-in's.

    async with FakeTautulli() as tautulli:
        key = tautulli.play("friend", "Quiet Orbit", media_type="movie", progress=40)
        ...  # point the code under test at tautulli.url with tautulli.api_key

Run ``python -m medianest_tautulli.testing --port 8181`` to serve the demo household.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from quart import Quart, request

from medianest.testing.standin import StandinServer

DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"  # Tautulli's keys are 32 hex characters
TAUTULLI_VERSION = "v2.15.2"
DEFAULT_HISTORY_LENGTH = 25
DIRECT_PLAY, COPY, TRANSCODE = "direct play", "copy", "transcode"


@dataclass
class Play:
    """One session, playing now or ended into the history."""

    key: int
    user: str
    user_id: int
    title: str
    media_type: str = "movie"
    show: str = ""  # an episode's show (grandparent_title)
    season: str = ""  # an episode's season (parent_title)
    year: int | None = None
    player: str = "Living Room TV"
    platform: str = "Roku"
    product: str = "Plex for Roku"
    state: str = "playing"
    progress: int = 0
    transcode_decision: str = DIRECT_PLAY
    duration_ms: int = 5_400_000
    started: int = field(default_factory=lambda: int(time.time()))
    stopped: int | None = None

    @property
    def full_title(self) -> str:
        return f"{self.show} - {self.title}" if self.show else self.title

    def session(self) -> dict[str, Any]:
        return {
            "session_key": str(self.key),
            "session_id": f"s{self.key:08x}",
            "user": self.user,
            "user_id": self.user_id,
            "friendly_name": self.user,
            "full_title": self.full_title,
            "title": self.title,
            "parent_title": self.season,
            "grandparent_title": self.show,
            "media_type": self.media_type,
            "state": self.state,
            "progress_percent": str(self.progress),
            "player": self.player,
            "platform": self.platform,
            "product": self.product,
            "year": str(self.year or ""),
            "transcode_decision": self.transcode_decision,
            "rating_key": str(1000 + self.key),
            "thumb": f"/library/metadata/{1000 + self.key}/thumb/1700000000",
            "duration": str(self.duration_ms),
            "view_offset": str(self.duration_ms * self.progress // 100),
            "bandwidth": "8000" if self.transcode_decision != DIRECT_PLAY else "12000",
            "location": "lan",
        }

    def history_row(self, row_id: int) -> dict[str, Any]:
        stopped = self.stopped or int(time.time())
        return {
            "row_id": row_id,
            "reference_id": row_id,
            "id": row_id,
            "date": self.started,
            "started": self.started,
            "stopped": stopped,
            "duration": stopped - self.started,
            "play_duration": stopped - self.started,
            "paused_counter": 0,
            "user": self.user,
            "user_id": self.user_id,
            "friendly_name": self.user,
            "full_title": self.full_title,
            "title": self.title,
            "parent_title": self.season,
            "grandparent_title": self.show,
            "media_type": self.media_type,
            "year": self.year,
            "player": self.player,
            "platform": self.platform,
            "product": self.product,
            "percent_complete": self.progress,
            "watched_status": 1 if self.progress >= 85 else (0.5 if self.progress >= 50 else 0),
            "rating_key": 1000 + self.key,
            "thumb": f"/library/metadata/{1000 + self.key}/thumb/1700000000",
            "transcode_decision": self.transcode_decision,
            "state": None,
            "group_count": 1,
            "group_ids": str(row_id),
        }


class FakeTautulli(StandinServer):
    """A Tautulli with sessions and a play history; thread-safe control methods."""

    label = "tautulli"

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, port: int = 0) -> None:
        super().__init__(port=port)
        self.api_key = api_key
        self.version = TAUTULLI_VERSION
        self.sessions: dict[int, Play] = {}
        self.history: list[Play] = []  # oldest first
        self._keys = itertools.count(1)
        self._user_ids: dict[str, int] = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ control
    def play(self, user: str, title: str, **details: Any) -> int:
        """Start a session; its session key."""
        with self._lock:
            user_id = self._user_ids.setdefault(user, 100 + len(self._user_ids))
            play = Play(key=next(self._keys), user=user, user_id=user_id, title=title, **details)
            self.sessions[play.key] = play
            return play.key

    def pause(self, key: int) -> None:
        with self._lock:
            self.sessions[key].state = "paused"

    def progress(self, key: int, percent: int) -> None:
        with self._lock:
            self.sessions[key].progress = percent
            self.sessions[key].state = "playing"

    def end(self, key: int) -> None:
        """End a session: it leaves the activity and becomes the newest history row."""
        with self._lock:
            play = self.sessions.pop(key)
            play.stopped = int(time.time())
            self.history.append(play)

    def add_history(self, user: str, title: str, *, ago: int = 3600, **details: Any) -> None:
        """A play that ended `ago` seconds ago (rows are kept in the order they are added)."""
        key = self.play(user, title, started=int(time.time()) - ago - 1800, **details)
        with self._lock:
            play = self.sessions.pop(key)
            play.stopped = int(time.time()) - ago
            self.history.append(play)

    # ------------------------------------------------------------------ answers
    def activity(self) -> dict[str, Any]:
        with self._lock:
            plays = list(self.sessions.values())
        decisions = [p.transcode_decision for p in plays]
        bandwidth = sum(int(p.session()["bandwidth"]) for p in plays)
        return {
            "stream_count": str(len(plays)),
            "stream_count_direct_play": decisions.count(DIRECT_PLAY),
            "stream_count_direct_stream": decisions.count(COPY),
            "stream_count_transcode": decisions.count(TRANSCODE),
            "total_bandwidth": bandwidth,
            "lan_bandwidth": bandwidth,
            "wan_bandwidth": 0,
            "sessions": [p.session() for p in plays],
        }

    def history_page(self, start: int, length: int) -> dict[str, Any]:
        with self._lock:
            newest_first = list(enumerate(self.history, start=1))[::-1]
        rows = [play.history_row(row_id) for row_id, play in newest_first[start : start + length]]
        return {
            "recordsTotal": len(newest_first),
            "recordsFiltered": len(newest_first),
            "draw": 1,
            "total_duration": "0 mins",
            "filter_duration": "0 mins",
            "data": rows,
        }

    def info(self) -> dict[str, Any]:
        return {
            "tautulli_install_type": "docker",
            "tautulli_version": self.version,
            "tautulli_branch": "master",
            "tautulli_commit": "c7153deb",
            "tautulli_platform": "Linux",
            "tautulli_platform_release": "6.1",
            "tautulli_platform_version": "#1 SMP",
            "tautulli_platform_linux_distro": "",
            "tautulli_platform_device_name": "tautulli",
            "tautulli_python_version": "3.11.9",
        }

    def _build_app(self) -> Quart:
        app = Quart(__name__)
        commands = {
            "get_tautulli_info": lambda args: self.info(),
            "get_activity": lambda args: self.activity(),
            "get_history": lambda args: self.history_page(
                _int(args.get("start"), 0), _int(args.get("length"), DEFAULT_HISTORY_LENGTH)
            ),
            "arnold": lambda args: "I'll be back.",
        }

        @app.get("/api/v2")
        async def api_v2() -> Any:
            args = request.args
            if "apikey" not in args:
                return _envelope("error", "Parameter apikey is required"), 200
            if args["apikey"] != self.api_key:
                return _envelope("error", "Invalid apikey"), 401
            command = commands.get(args.get("cmd", ""))
            if command is None:
                return _envelope("error", f"Unknown command: {args.get('cmd', '')}"), 200
            return _envelope("success", None, command(args))

        return app

    # ------------------------------------------------------------------ demo
    @classmethod
    def demo(cls, *, port: int = 0) -> FakeTautulli:
        """The Plex stand-in's household (owner, friend): two streams and a few past plays."""
        fake = cls(port=port)
        fake.add_history("friend", "Quiet Orbit", year=2021, progress=100, ago=86_400)
        fake.add_history(
            "owner", "Pilot", media_type="episode", show="Northern Lights Station",
            season="Season 1", progress=92, ago=7_200,
        )  # fmt: skip
        fake.add_history("owner", "Signal Lost", year=2019, progress=64, ago=3_600)
        fake.play("friend", "The Last Cartographer", year=2023, progress=37)
        fake.play(
            "owner", "The Thaw", media_type="episode", show="Northern Lights Station",
            season="Season 2", progress=71, transcode_decision=TRANSCODE, player="iPhone",
            platform="iOS", product="Plex for iOS",
        )  # fmt: skip
        return fake


def _envelope(result: str, message: str | None, data: Any = None) -> dict[str, Any]:
    return {
        "response": {"result": result, "message": message, "data": {} if data is None else data}
    }


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a stand-in Tautulli on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8181)
    args = parser.parse_args(argv)
    with FakeTautulli.demo(port=args.port) as tautulli:
        print(f"Tautulli stand-in on {tautulli.url}  (apikey: {tautulli.api_key})")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
