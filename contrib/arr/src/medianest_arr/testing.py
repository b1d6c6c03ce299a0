"""Stand-ins for Sonarr and Radarr: real HTTP servers on 127.0.0.1 speaking their API v3.

Both serve the same surface with their own records (Sonarr 4.x and Radarr 5.x still answer
under `/api/v3`), as documented in their OpenAPI specs (`src/Sonarr.Api.V3/openapi.json`,
`src/Radarr.Api.V3/openapi.json`). Every route wants the key in `X-Api-Key` (or `?apikey=`);
a missing or wrong one answers 401 with an empty body, as both do.

``GET /api/v3/system/status``
    ``appName`` ("Sonarr"/"Radarr"), ``instanceName``, ``version``, ``branch``, ``isDocker``,
    ``urlBase``, ``startTime``, … (the fields MediaNest reads are ``appName`` and ``version``).
``GET /api/v3/queue?page=1&pageSize=N[&includeSeries=true&includeEpisode=true|&includeMovie=true]``
    Paged: ``{page, pageSize, sortKey, sortDirection, totalRecords, records[]}``. A record:
    ``id``, ``seriesId``+``episodeId``+``seasonNumber`` (Sonarr) or ``movieId`` (Radarr),
    ``title`` (the release), ``status`` (queued, paused, downloading, completed, delay,
    warning, failed, …), ``trackedDownloadStatus`` (ok, warning, error),
    ``trackedDownloadState`` (downloading, importPending, importing, imported, failedPending,
    failed, ignored), ``statusMessages``, ``size``/``sizeleft`` (bytes, numbers), ``timeleft``
    ("HH:MM:SS", absent when unknown), ``estimatedCompletionTime``, ``added``, ``protocol``,
    ``downloadClient``, ``downloadId``, ``indexer``, ``outputPath``, ``quality``,
    ``languages``, ``customFormats``, and with the include flags ``series`` (``title``,
    ``tvdbId``, ``tmdbId``, ``year``, …) and ``episode``, or ``movie`` (``title``, ``tmdbId``,
    ``imdbId``, ``year``, …).
``GET /api/v3/calendar?start=ISO&end=ISO[&includeSeries=true]``
    Sonarr: episodes airing in the range (``airDateUtc``), each ``id``, ``seriesId``,
    ``tvdbId``, ``seasonNumber``, ``episodeNumber``, ``title``, ``airDate``, ``airDateUtc``,
    ``hasFile``, ``monitored`` (+ ``series``). Radarr: movies with a release in the range
    (``inCinemas``, ``digitalRelease``, ``physicalRelease``), each ``id``, ``title``,
    ``year``, ``tmdbId``, ``hasFile``, ``monitored``, ``status``.
``GET /api/v3/wanted/missing?page=1&pageSize=N``
    Paged like the queue: monitored episodes (Sonarr, aired) or movies (Radarr, released)
    without a file.

Scenario: ``add_series``/``add_movie`` (ids from 1), ``add_episode`` (a show's episode with
its air time and whether it has a file), ``download(media_id, …)`` puts a release in the
queue, ``advance(queue_id, left)``, ``mark_failed(queue_id)``, ``finish(queue_id)`` (leaves
the queue, the file is in). ``FakeSonarr.demo()``/``FakeRadarr.demo()`` match the Overseerr
stand-in's catalogue (the same TMDB ids), so requests there show their downloads here.

    async with FakeRadarr() as radarr:
        film = radarr.add_movie("Quiet Orbit", tmdb_id=910102, year=2021)
        radarr.download(film, size=4_000_000_000, left=1_000_000_000)
        ...  # point the code under test at radarr.url with X-Api-Key: radarr.api_key
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from quart import Quart, Response, request

from medianest.testing.standin import StandinServer

SONARR_KEY = "5onarr0123456789abcdef0123456789"  # both use 32 hex-like characters
RADARR_KEY = "7adarr0123456789abcdef0123456789"
PAGE_SIZE_DEFAULT = 10  # both default to 10 records a page


@dataclass
class Title:
    """A series (Sonarr) or a movie (Radarr) in the library."""

    id: int
    title: str
    year: int
    tmdb_id: int
    tvdb_id: int | None = None
    has_file: bool = False
    monitored: bool = True
    release: datetime | None = None  # Radarr: its digital release

    def resource(self, app: str) -> dict[str, Any]:
        slug = self.title.lower().replace(" ", "-")
        body: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "sortTitle": self.title.lower(),
            "year": self.year,
            "tmdbId": self.tmdb_id,
            "titleSlug": slug,
            "monitored": self.monitored,
            "path": f"/{'tv' if app == 'Sonarr' else 'movies'}/{self.title}",
        }
        if app == "Sonarr":
            body |= {"tvdbId": self.tvdb_id, "status": "continuing", "seriesType": "standard"}
        else:
            body |= {
                "imdbId": f"tt{self.tmdb_id:07d}",
                "hasFile": self.has_file,
                "status": "released" if self.release and self.release < _now() else "announced",
                "digitalRelease": _iso(self.release) if self.release else None,
            }
        return body


@dataclass
class Episode:
    id: int
    series_id: int
    season: int
    number: int
    title: str
    air: datetime
    has_file: bool = False
    monitored: bool = True


@dataclass
class Download:
    id: int
    media_id: int
    episode_id: int | None
    release: str
    size: int
    left: int
    status: str = "downloading"
    tracked_status: str = "ok"
    tracked_state: str = "downloading"
    messages: list[dict[str, Any]] = field(default_factory=list)
    added: datetime = field(default_factory=lambda: _now())


class FakeArr(StandinServer):
    """What Sonarr's and Radarr's stand-ins share; subclasses say which app they are."""

    app_name = "Arr"
    version = "0"
    default_key = ""

    def __init__(self, *, api_key: str | None = None, port: int = 0) -> None:
        super().__init__(port=port)
        self.api_key = api_key or self.default_key
        self.titles: dict[int, Title] = {}
        self.episodes: dict[int, Episode] = {}
        self.queue: dict[int, Download] = {}
        self._ids = {name: itertools.count(1) for name in ("title", "episode", "queue")}
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ control
    def _add_title(self, title: str, **fields: Any) -> int:
        with self._lock:
            item = Title(id=next(self._ids["title"]), title=title, **fields)
            self.titles[item.id] = item
            return item.id

    def download(
        self,
        media_id: int,
        *,
        size: int = 2_000_000_000,
        left: int | None = None,
        episode_id: int | None = None,
        status: str = "downloading",
    ) -> int:
        """Put a release of the title (an episode of it, for Sonarr) in the queue; its id."""
        with self._lock:
            item = self.titles[media_id]
            episode = self.episodes[episode_id] if episode_id else None
            tag = f"S{episode.season:02d}E{episode.number:02d}." if episode else ""
            release = f"{item.title.replace(' ', '.')}.{tag}{item.year}.1080p.WEB-DL"
            entry = Download(
                id=next(self._ids["queue"]),
                media_id=media_id,
                episode_id=episode_id,
                release=release,
                size=size,
                left=size if left is None else left,
                status=status,
            )
            self.queue[entry.id] = entry
            return entry.id

    def advance(self, queue_id: int, left: int) -> None:
        with self._lock:
            self.queue[queue_id].left = left
            self.queue[queue_id].status = "downloading"

    def mark_failed(self, queue_id: int, message: str = "Download failed") -> None:
        """The download client gave up: Arr reports it failed, with an error status."""
        with self._lock:
            entry = self.queue[queue_id]
            entry.status, entry.tracked_status, entry.tracked_state = "failed", "error", "failed"
            entry.messages = [{"title": entry.release, "messages": [message]}]

    def finish(self, queue_id: int) -> None:
        """Downloaded and imported: it leaves the queue and the title has its file."""
        with self._lock:
            entry = self.queue.pop(queue_id)
            if entry.episode_id is not None:
                self.episodes[entry.episode_id].has_file = True
            else:
                self.titles[entry.media_id].has_file = True

    # ------------------------------------------------------------------ answers
    def status(self) -> dict[str, Any]:
        return {
            "appName": self.app_name,
            "instanceName": self.app_name,
            "version": self.version,
            "buildTime": "2025-01-01T00:00:00Z",
            "isDebug": False,
            "isProduction": True,
            "isAdmin": False,
            "isUserInteractive": False,
            "startupPath": f"/app/{self.app_name.lower()}/bin",
            "appData": "/config",
            "osName": "ubuntu",
            "osVersion": "22.04",
            "isNetCore": True,
            "isLinux": True,
            "isOsx": False,
            "isWindows": False,
            "isDocker": True,
            "mode": "console",
            "branch": "main",
            "authentication": "forms",
            "databaseType": "sqLite",
            "urlBase": "",
            "runtimeVersion": "8.0.11",
            "runtimeName": ".NET",
            "startTime": "2025-01-01T00:00:00Z",
            "packageUpdateMechanism": "docker",
        }

    def queue_record(self, entry: Download, args: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": entry.id,
            "languages": [{"id": 1, "name": "English"}],
            "quality": {
                "quality": {"id": 3, "name": "WEBDL-1080p", "source": "web", "resolution": 1080},
                "revision": {"version": 1, "real": 0, "isRepack": False},
            },
            "customFormats": [],
            "customFormatScore": 0,
            "size": float(entry.size),
            "title": entry.release,
            "sizeleft": float(entry.left),
            "added": _iso(entry.added),
            "status": entry.status,
            "trackedDownloadStatus": entry.tracked_status,
            "trackedDownloadState": entry.tracked_state,
            "statusMessages": entry.messages,
            "downloadId": f"SABnzbd_nzo_{entry.id:06d}",
            "protocol": "usenet",
            "downloadClient": "SABnzbd",
            "downloadClientHasPostImportCategory": False,
            "indexer": "NZBgeek",
            "outputPath": f"/downloads/complete/{entry.release}",
        }
        if entry.status == "downloading" and entry.left:
            seconds = max(1, entry.left // 10_000_000)  # 10 MB/s
            record["timeleft"] = _timespan(seconds)
            record["estimatedCompletionTime"] = _iso(_now() + timedelta(seconds=seconds))
        if entry.status == "failed":
            record["errorMessage"] = "Download failed"
        return record | self._queue_links(entry, args)

    def _queue_links(self, entry: Download, args: Any) -> dict[str, Any]:
        raise NotImplementedError

    def calendar(self, start: datetime, end: datetime, args: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def missing(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _build_app(self) -> Quart:
        app = Quart(__name__)

        @app.before_request
        async def authenticate() -> Response | None:
            key = request.headers.get("X-Api-Key") or request.args.get("apikey")
            if key != self.api_key:
                return Response("", status=401)
            return None

        @app.get("/api/v3/system/status")
        async def system_status() -> Any:
            return self.status()

        @app.get("/api/v3/queue")
        async def queue() -> Any:
            with self._lock:
                entries = sorted(self.queue.values(), key=lambda e: e.id)
                records = [self.queue_record(e, request.args) for e in entries]
            return _paged(records, request.args, sort_key="timeleft")

        @app.get("/api/v3/calendar")
        async def calendar() -> Any:
            start = _parse(request.args.get("start")) or _day(0)
            end = _parse(request.args.get("end")) or start + timedelta(days=2)
            with self._lock:
                return self.calendar(start, end, request.args)

        @app.get("/api/v3/wanted/missing")
        async def wanted_missing() -> Any:
            with self._lock:
                return _paged(self.missing(), request.args, sort_key="airDateUtc")

        return app


class FakeSonarr(FakeArr):
    """Sonarr 4: series with episodes; the queue holds episodes' releases."""

    label = "sonarr"
    app_name = "Sonarr"
    version = "4.0.14.2939"
    default_key = SONARR_KEY

    def add_series(self, title: str, *, tvdb_id: int, tmdb_id: int, year: int) -> int:
        return self._add_title(title, tvdb_id=tvdb_id, tmdb_id=tmdb_id, year=year)

    def add_episode(
        self,
        series_id: int,
        season: int,
        number: int,
        title: str,
        *,
        air: datetime,
        has_file: bool = False,
    ) -> int:
        with self._lock:
            episode = Episode(
                next(self._ids["episode"]), series_id, season, number, title, air, has_file
            )
            self.episodes[episode.id] = episode
            return episode.id

    def _episode(self, episode: Episode, args: Any) -> dict[str, Any]:
        series = self.titles[episode.series_id]
        body = {
            "id": episode.id,
            "seriesId": episode.series_id,
            "tvdbId": (series.tvdb_id or 0) * 100 + episode.id,
            "episodeFileId": episode.id if episode.has_file else 0,
            "seasonNumber": episode.season,
            "episodeNumber": episode.number,
            "title": episode.title,
            "airDate": episode.air.date().isoformat(),
            "airDateUtc": _iso(episode.air),
            "hasFile": episode.has_file,
            "monitored": episode.monitored,
            "unverifiedSceneNumbering": False,
        }
        if _flag(args, "includeSeries"):
            body["series"] = series.resource(self.app_name)
        return body

    def _queue_links(self, entry: Download, args: Any) -> dict[str, Any]:
        links: dict[str, Any] = {"seriesId": entry.media_id, "episodeId": entry.episode_id or 0}
        if entry.episode_id is not None:
            links["seasonNumber"] = self.episodes[entry.episode_id].season
        if _flag(args, "includeSeries"):
            links["series"] = self.titles[entry.media_id].resource(self.app_name)
        if _flag(args, "includeEpisode") and entry.episode_id is not None:
            links["episode"] = self._episode(self.episodes[entry.episode_id], {})
        return links

    def calendar(self, start: datetime, end: datetime, args: Any) -> list[dict[str, Any]]:
        airing = [e for e in self.episodes.values() if start <= e.air < end]
        return [self._episode(e, args) for e in sorted(airing, key=lambda e: e.air)]

    def missing(self) -> list[dict[str, Any]]:
        now = _now()
        gone = [e for e in self.episodes.values() if e.monitored and not e.has_file and e.air < now]
        return [self._episode(e, {}) for e in sorted(gone, key=lambda e: e.air, reverse=True)]

    @classmethod
    def demo(cls, *, port: int = 0) -> FakeSonarr:
        """Northern Lights Station (TMDB 920201, as in the Overseerr stand-in): season 2
        downloading, an episode airing tomorrow, one missing."""
        fake = cls(port=port)
        show = fake.add_series("Northern Lights Station", tvdb_id=392201, tmdb_id=920201, year=2022)
        fake.add_episode(show, 1, 1, "Pilot", air=_day(-400), has_file=True)
        fake.add_episode(show, 1, 2, "Polar Night", air=_day(-393))  # missing
        thaw = fake.add_episode(show, 2, 1, "The Thaw", air=_day(-2))
        fake.add_episode(show, 2, 2, "Breakup", air=_day(1))
        fake.download(show, episode_id=thaw, size=1_500_000_000, left=600_000_000)
        return fake


class FakeRadarr(FakeArr):
    """Radarr 5: movies; the queue holds movies' releases."""

    label = "radarr"
    app_name = "Radarr"
    version = "5.14.0.9383"
    default_key = RADARR_KEY

    def add_movie(
        self,
        title: str,
        *,
        tmdb_id: int,
        year: int,
        release: datetime | None = None,
        has_file: bool = False,
    ) -> int:
        return self._add_title(
            title, tmdb_id=tmdb_id, year=year, release=release, has_file=has_file
        )

    def _queue_links(self, entry: Download, args: Any) -> dict[str, Any]:
        links: dict[str, Any] = {"movieId": entry.media_id}
        if _flag(args, "includeMovie"):
            links["movie"] = self.titles[entry.media_id].resource(self.app_name)
        return links

    def calendar(self, start: datetime, end: datetime, args: Any) -> list[dict[str, Any]]:
        coming = [t for t in self.titles.values() if t.release and start <= t.release < end]
        return [
            t.resource(self.app_name) | {"inCinemas": None, "physicalRelease": None}
            for t in sorted(coming, key=lambda t: t.release or start)
        ]

    def missing(self) -> list[dict[str, Any]]:
        now = _now()
        gone = [
            t
            for t in self.titles.values()
            if t.monitored and not t.has_file and (t.release is None or t.release < now)
        ]
        return [t.resource(self.app_name) for t in gone]

    @classmethod
    def demo(cls, *, port: int = 0) -> FakeRadarr:
        """Films of the Overseerr stand-in's catalogue: one downloading (Deep Field, 910111,
        which the friend's approved request there is waiting for), one failed, one released
        next week."""
        fake = cls(port=port)
        fake.add_movie("Quiet Orbit", tmdb_id=910102, year=2021, has_file=True)
        deep_field = fake.add_movie("Deep Field", tmdb_id=910111, year=2023)
        meridian = fake.add_movie("Winter Meridian", tmdb_id=910115, year=2024)
        fake.add_movie("Glass Harbour", tmdb_id=910199, year=2027, release=_day(6))
        fake.download(deep_field, size=8_000_000_000, left=2_000_000_000)
        fake.mark_failed(fake.download(meridian, size=3_000_000_000, left=3_000_000_000))
        return fake


def _paged(records: list[dict[str, Any]], args: Any, *, sort_key: str) -> dict[str, Any]:
    page = max(1, _int(args.get("page"), 1))
    size = max(1, _int(args.get("pageSize"), PAGE_SIZE_DEFAULT))
    return {
        "page": page,
        "pageSize": size,
        "sortKey": sort_key,
        "sortDirection": "ascending",
        "totalRecords": len(records),
        "records": records[(page - 1) * size : page * size],
    }


def _flag(args: Any, name: str) -> bool:
    return str(args.get(name, "")).lower() == "true"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _day(offset: int) -> datetime:
    return _now().replace(hour=20, minute=0, second=0) + timedelta(days=offset)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timespan(seconds: int) -> str:
    """.NET's TimeSpan as Arr writes it: "HH:MM:SS", "D.HH:MM:SS" past a day."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{days}.{clock}" if days else clock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve stand-in Sonarr and Radarr on 127.0.0.1.")
    parser.add_argument("--sonarr-port", type=int, default=8989)
    parser.add_argument("--radarr-port", type=int, default=7878)
    args = parser.parse_args(argv)
    with (
        FakeSonarr.demo(port=args.sonarr_port) as sonarr,
        FakeRadarr.demo(port=args.radarr_port) as radarr,
    ):
        print(f"Sonarr stand-in on {sonarr.url}  (X-Api-Key: {sonarr.api_key})")
        print(f"Radarr stand-in on {radarr.url}  (X-Api-Key: {radarr.api_key})")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
