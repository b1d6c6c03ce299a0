"""A local playlist downloaded by bare yt-dlp and by MediaNest's YouTube engine, in one run.

Both download the same playlist (`--items` small MP4 clips made with ffmpeg, served as an RSS
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
             snapshots to a (no-op) listener at most 4 times a second, the archive file.

One warm-up run of each first (yt-dlp loads its extractors once per process), then
`--rounds` alternating rounds (bare, MediaNest, bare, …); the medians and their ratio are
printed. Goal: MediaNest / urllib ≤ 1.1.

    uv run python bench/youtube_bench.py [--items 20] [--rounds 5] [--document feed|page]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yt_dlp
from _harness import BenchError, json_line, run_bench
from medianest_youtube.downloader import DEFAULT_FORMAT, PlaylistDownload
from medianest_youtube.testing import PlaylistServer
from medianest_youtube.urls import YOUTUBE_HOSTS, check_playlist_url

GOAL = 1.1


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


def timed(run: Callable[[str, Path], None], url: str, items: int) -> float:
    with tempfile.TemporaryDirectory(prefix="medianest-youtube-bench-") as folder:
        start = time.perf_counter()
        run(url, Path(folder))
        elapsed = time.perf_counter() - start
        clips = list(Path(folder).rglob("*.mp4"))
        if len(clips) != items:
            raise BenchError(f"{run.__name__} wrote {len(clips)} clips, not {items}")
    return elapsed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--document", choices=("feed", "page"), default="feed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs: dict[str, Callable[[str, Path], None]] = {
        "bare": bare_ytdlp,
        "urllib": urllib_ytdlp,
        "medianest": medianest,
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    titles = [f"Clip {n}" for n in range(1, args.items + 1)]
    with PlaylistServer("Bench playlist", titles) as site:
        url = site.feed_url if args.document == "feed" else site.page_url
        for run in runs.values():
            timed(run, url, args.items)  # warm-up: extractors loaded, ffmpeg found
        for _ in range(args.rounds):
            for name, run in runs.items():
                times[name].append(timed(run, url, args.items))
    bare, urllib, ours = (statistics.median(times[name]) for name in runs)
    print(
        f"{args.items} clips from a local {args.document}, {args.rounds} alternating rounds "
        f"(medians), {os.cpu_count()} CPUs"
    )
    print(f"{'':<22}{'median s':>10}{'per item ms':>13}{'min s':>8}{'max s':>8}")
    labels = {"bare": "bare yt-dlp", "urllib": "bare yt-dlp, urllib", "medianest": "MediaNest"}
    for name, label in labels.items():
        median = statistics.median(times[name])
        print(
            f"{label:<22}{median:>10.3f}{median / args.items * 1000:>13.1f}"
            f"{min(times[name]):>8.3f}{max(times[name]):>8.3f}"
        )
    print(f"MediaNest / bare yt-dlp: {ours / bare:.3f}x")
    print(f"MediaNest / bare yt-dlp with urllib: {ours / urllib:.3f}x (goal <= {GOAL})")
    print(
        json_line(
            "youtube",
            items=args.items,
            rounds=args.rounds,
            document=args.document,
            bare_s=round(bare, 4),
            urllib_s=round(urllib, 4),
            medianest_s=round(ours, 4),
            ratio=round(ours / bare, 3),
            ratio_urllib=round(ours / urllib, 3),
            goal=GOAL,
        )
    )
    return 0


if __name__ == "__main__":
    run_bench(main)
