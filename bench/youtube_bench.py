"""A local playlist downloaded by bare yt-dlp and by MediaNest, in one run.

All download the same playlist (`--items` small MP4 clips made with ffmpeg, served as an RSS
feed or an HTML page by `medianest_youtube.testing.PlaylistServer` on 127.0.0.1) into a fresh
folder each time, with the same format selection, retries and timeouts:

  bare       `yt_dlp.YoutubeDL(options).download([url])`: one call, yt-dlp's own playlist loop,
             its default request handler (requests, when installed, as in this workspace),
             a no-op progress hook;
  urllib     the same with yt-dlp's urllib handler (`prefer-legacy-http-handler`), the one
             MediaNest's guarded handler is built on: the stricter baseline, and the goal's;
  medianest  `PlaylistDownload(check_playlist_url(url, …), …).run()`: the URL check, the
             listing first, each entry on its own with per-item error capture, file names
             sanitised and confined, every connection through the address guard, progress
             snapshots to a (no-op) listener at most 4 times a second, the archive file;
  http       the whole product: MediaNest served by hypercorn in a subprocess (the YouTube
             plugin alone, embedded defaults), `POST /api/youtube/download` as a signed-in
             person, then its progress socket `WS /ws/youtube/<id>` (as the page follows it)
             until a `download:progress` says `completed`: the route's checks and quota, the
             job queue, the job (places, the URL checked again, the engine, progress saved on
             the row and published), timed from the POST to that message. Between rounds the
             download is deleted through the API (untimed), so each round starts empty.

One warm-up run of each first (yt-dlp loads its extractors once per process), then
`--rounds` alternating rounds (bare, …, http, bare, …); the medians and their ratios are
printed. Goal: http / urllib ≤ 1.1 (and the engine alone likewise).

    uv run python bench/youtube_bench.py [--items 20] [--rounds 5] [--document feed|page]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import yt_dlp
from _harness import BenchError, json_line, medianest_env, run_bench, serve
from websockets.sync.client import connect

from medianest_youtube.downloader import DEFAULT_FORMAT, PlaylistDownload
from medianest_youtube.testing import PlaylistServer
from medianest_youtube.urls import YOUTUBE_HOSTS, check_playlist_url

GOAL = 1.1
BOOTSTRAP_PASSWORD = "bench bootstrap password"
ADMIN_PASSWORD = "bench admin password, changed once"


def bare_ytdlp(url: str, folder: Path, compat_opts: tuple[str, ...] = ()) -> None:
    options = {
        "compat_opts": list(compat_opts),
        "format": DEFAULT_FORMAT,
        "merge_output_format": "mp4/mkv",
        "paths": {"home": str(folder)},
        "outtmpl": {"default": "%(playlist_title)s/%(title)s [%(id)s].%(ext)s"},
        "download_archive": str(folder / "archive.txt"),
        "progress_hooks": [lambda event: None],
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "ignoreerrors": True,
        "socket_timeout": 15.0,
        "retries": 2,
        "fragment_retries": 2,
        "extractor_retries": 2,
        "external_downloader": {"default": "native"},
        "cachedir": False,
    }
    with yt_dlp.YoutubeDL(options) as ydl:
        ydl.download([url])


def urllib_ytdlp(url: str, folder: Path) -> None:
    bare_ytdlp(url, folder, ("prefer-legacy-http-handler",))


def medianest(url: str, folder: Path) -> None:
    checked = check_playlist_url(url, allowed_hosts={*YOUTUBE_HOSTS, "127.0.0.1"})
    report = PlaylistDownload(checked, folder, 1, on_progress=lambda snapshot: None).run()
    if report.status != "completed":
        raise BenchError(f"MediaNest's download {report.status}: {report.error}")


def timed(run: Callable[[str, Path], Path | None], url: str, items: int) -> float:
    """Seconds one run took; it downloads into a fresh folder, or says where it did."""
    with tempfile.TemporaryDirectory(prefix="medianest-youtube-bench-") as folder:
        start = time.perf_counter()
        written = run(url, Path(folder)) or Path(folder)
        elapsed = time.perf_counter() - start
        clips = list(written.rglob("*.mp4"))
        if len(clips) != items:
            raise BenchError(f"{run} wrote {len(clips)} clips, not {items}")
        cleanup = getattr(run, "cleanup", None)
        if cleanup is not None:
            cleanup()
    return elapsed


# ---- the whole product, over HTTP ---------------------------------------------------------------


@contextlib.contextmanager
def medianest_server(download_dir: Path) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="medianest-youtube-bench-data-") as data_dir:
        env = medianest_env(
            data_dir,
            log_level="WARNING",
            admin_password=BOOTSTRAP_PASSWORD,
            disable_plugin_autoload="0",
            plugins="youtube",
            download_dir=str(download_dir),
        )
        with serve("medianest.asgi:app", env) as base:
            yield base


class ThroughHttp:
    """The admin allows 127.0.0.1 and lifts the budgets; then each call submits the playlist
    and waits for `completed`, and `cleanup()` deletes that download (files included)."""

    def __init__(self, base: str, download_dir: Path) -> None:
        self.download_dir = download_dir
        self.client = httpx.Client(base_url=base, timeout=30)
        self.ws_base = "ws://" + base.removeprefix("http://")
        self.last: str | None = None
        sign_in = {"username": "admin", "password": BOOTSTRAP_PASSWORD}
        self._expect(self.client.post("/api/auth/admin", json=sign_in))
        change = {"current_password": BOOTSTRAP_PASSWORD, "new_password": ADMIN_PASSWORD}
        self._expect(self.client.post("/api/auth/password", json=change, headers=self._csrf()))
        lifted = {"limit": 1_000_000, "window": 1}
        limits = {"rate_limits": {"api": lifted, "youtube": lifted}}
        self._expect(self.client.put("/api/admin/config", json=limits, headers=self._csrf()))
        settings = {"settings": {"allowed_hosts": [*YOUTUBE_HOSTS, "127.0.0.1"]}}
        self._expect(
            self.client.put("/api/admin/plugins/youtube", json=settings, headers=self._csrf())
        )

    def __repr__(self) -> str:
        return "MediaNest over HTTP"

    def __call__(self, url: str, folder: Path) -> Path:
        body = {"playlist_url": url}
        submitted = self.client.post("/api/youtube/download", json=body, headers=self._csrf())
        self.last = self._expect(submitted)["id"]
        session = f"medianest_session={self.client.cookies['medianest_session']}"
        socket_url = f"{self.ws_base}/ws/youtube/{self.last}"
        with connect(socket_url, additional_headers={"Cookie": session}) as socket:
            json.loads(socket.recv(timeout=30))  # ready: from now on no change is missed
            status = self._expect(self.client.get(f"/api/youtube/downloads/{self.last}"))
            while status["status"] not in ("completed", "failed", "cancelled"):
                message = json.loads(socket.recv(timeout=60))
                if message["event"] == "download:progress":
                    status = message["data"]
        if status["status"] != "completed":
            raise BenchError(f"MediaNest's download {status['status']}: {status['error']}")
        return self.download_dir

    def cleanup(self) -> None:
        self._expect(
            self.client.delete(f"/api/youtube/downloads/{self.last}", headers=self._csrf())
        )

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.client.cookies["csrf_token"]}

    @staticmethod
    def _expect(response: httpx.Response) -> dict:
        if response.status_code >= 400:
            raise BenchError(f"{response.request.url.path}: {response.status_code} {response.text}")
        return response.json()["data"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--document", choices=("feed", "page"), default="feed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    titles = [f"Clip {n}" for n in range(1, args.items + 1)]
    with (
        tempfile.TemporaryDirectory(prefix="medianest-youtube-bench-downloads-") as downloads,
        medianest_server(Path(downloads)) as base,
        PlaylistServer("Bench playlist", titles) as site,
    ):
        runs: dict[str, Callable[[str, Path], Path | None]] = {
            "bare": bare_ytdlp,
            "urllib": urllib_ytdlp,
            "medianest": medianest,
            "http": ThroughHttp(base, Path(downloads)),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        url = site.feed_url if args.document == "feed" else site.page_url
        for run in runs.values():
            timed(run, url, args.items)  # warm-up: extractors loaded, ffmpeg found
        for _ in range(args.rounds):
            for name, run in runs.items():
                times[name].append(timed(run, url, args.items))
    medians = {name: statistics.median(found) for name, found in times.items()}
    bare, urllib = medians["bare"], medians["urllib"]
    print(
        f"{args.items} clips from a local {args.document}, {args.rounds} alternating rounds "
        f"(medians), {os.cpu_count()} CPUs"
    )
    print(f"{'':<24}{'median s':>10}{'per item ms':>13}{'min s':>8}{'max s':>8}")
    labels = {
        "bare": "bare yt-dlp",
        "urllib": "bare yt-dlp, urllib",
        "medianest": "MediaNest's engine",
        "http": "MediaNest over HTTP",
    }
    for name, label in labels.items():
        median = medians[name]
        print(
            f"{label:<24}{median:>10.3f}{median / args.items * 1000:>13.1f}"
            f"{min(times[name]):>8.3f}{max(times[name]):>8.3f}"
        )
    for name in ("medianest", "http"):
        print(f"{labels[name]} / bare yt-dlp: {medians[name] / bare:.3f}x")
        print(
            f"{labels[name]} / bare yt-dlp with urllib: {medians[name] / urllib:.3f}x "
            f"(goal <= {GOAL})"
        )
    print(
        json_line(
            "youtube",
            items=args.items,
            rounds=args.rounds,
            document=args.document,
            bare_s=round(bare, 4),
            urllib_s=round(urllib, 4),
            medianest_s=round(medians["medianest"], 4),
            http_s=round(medians["http"], 4),
            ratio=round(medians["medianest"] / bare, 3),
            ratio_urllib=round(medians["medianest"] / urllib, 3),
            ratio_http=round(medians["http"] / bare, 3),
            ratio_http_urllib=round(medians["http"] / urllib, 3),
            goal=GOAL,
        )
    )
    return 0


if __name__ == "__main__":
    run_bench(main)
