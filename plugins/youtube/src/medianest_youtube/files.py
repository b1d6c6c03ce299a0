"""A download's files in its playlist folder: finding them, and removing them when it is deleted.

A download owns the items it finished (and the partial files of one it was downloading), not
those it skipped because an earlier download of the same playlist had them: deleting it
removes its own files and forgets them in the folder's archive, so that submitting the playlist
again fetches them again; the folder goes once nothing else is in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .paths import (
    ALLOWED_EXTENSIONS,
    ARCHIVE_NAME,
    MAX_ID_BYTES,
    confine,
    item_stem,
    sanitise,
    user_folder,
)

OWNED = ("finished", "downloading")  # statuses whose files belong to the download


def folder_of(download_dir: Path, user_id: object, relative: str | None) -> Path | None:
    """The playlist folder a download recorded (relative to the user's folder), checked."""
    if not relative:
        return None
    root = user_folder(download_dir, user_id)
    return confine(root / relative, root)


def file_with_id(folder: Path, video_id: object) -> Path | None:
    """The finished file of an entry in `folder`, whatever its title was: `… [<id>].<ext>`."""
    if not video_id:
        return None
    tail = f" [{sanitise(video_id, 'no-id', MAX_ID_BYTES)}]"
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return None
    for name in sorted(names):
        stem, _, ext = name.rpartition(".")
        if ext in ALLOWED_EXTENSIONS and stem.endswith(tail):
            return folder / name
    return None


def remove_owned(folder: Path | None, items: Iterable[Mapping[str, Any]]) -> list[str]:
    """Remove the files of the items this download owns, partial ones included, and their
    archive lines; the folder too when nothing else is left. Returns the names removed."""
    if folder is None or not folder.is_dir():
        return []
    owned = [item for item in items if item.get("status") in OWNED]
    prefixes = tuple(f"{item_stem(item.get('title'), item.get('video_id'))}." for item in owned)
    removed = []
    for name in os.listdir(folder) if prefixes else ():
        if name.startswith(prefixes):
            (folder / name).unlink(missing_ok=True)
            removed.append(name)
    _forget(folder, {str(item["video_id"]) for item in owned if item.get("video_id")})
    if set(os.listdir(folder)) <= {ARCHIVE_NAME}:
        (folder / ARCHIVE_NAME).unlink(missing_ok=True)
        folder.rmdir()
    return sorted(removed)


def _forget(folder: Path, video_ids: set[str]) -> None:
    """Drop archive lines (`<extractor> <id>`) of these ids, atomically."""
    archive = folder / ARCHIVE_NAME
    if not video_ids or not archive.exists():
        return
    lines = archive.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.split(" ", 1)[-1].strip() not in video_ids]
    if len(kept) != len(lines):
        temporary = folder / f"{ARCHIVE_NAME}.tmp"
        temporary.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
        os.replace(temporary, archive)
