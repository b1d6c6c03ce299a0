"""Where downloads are written: `DOWNLOAD_DIR/<user id>/<playlist title>/<title> [<id>].<ext>`.

Titles and ids come from the site, so every component is treated as hostile: normalised
(NFKC, so full-width "．．／" becomes "../" and is then defused), stripped of control and
invisible characters, of path separators and of what Windows or Plex on a share would refuse,
never a dot or dash first, never a reserved Windows device name, cut to a byte budget on a
UTF-8 character boundary; and every path is checked to resolve inside the user's folder.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

# Room under the usual 255-byte file-name limit for " [<id>]", ".<ext>" and yt-dlp's temporary
# suffixes (".f137.mp4.part", ".temp.mp4", ".ytdl").
MAX_TITLE_BYTES = 160
MAX_ID_BYTES = 48
MAX_FOLDER_BYTES = 200
# yt-dlp's download archive in each playlist folder: what a re-submission skips.
ARCHIVE_NAME = ".medianest-archive"
ALLOWED_EXTENSIONS = frozenset({"mp4", "mkv", "webm", "m4a", "opus", "mp3"})

_REPLACEMENTS = str.maketrans(
    {"/": "-", "\\": "-", "|": "-", ":": " -", '"': "'", "?": "", "*": "", "<": "", ">": ""}
)
_DROPPED = {"Cf", "Cs", "Co", "Cn"}  # invisible formatting (RTL override…), surrogates, unassigned
_AS_SPACE = {"Cc", "Zl", "Zp", "Zs"}  # controls (NUL, newlines, tabs) and separators
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_WINDOWS_RESERVED = re.compile(
    r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$", re.IGNORECASE
)


class UnsafePath(ValueError):
    """A path that would leave the user's folder, or a file type that is not downloaded."""


def sanitise(text: object, fallback: str, max_bytes: int = MAX_TITLE_BYTES) -> str:
    """One safe path component made from `text`, or `fallback` when nothing of it survives."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    kept = []
    for char in text.translate(_REPLACEMENTS):
        category = unicodedata.category(char)
        if category in _AS_SPACE:
            kept.append(" ")
        elif category not in _DROPPED:
            kept.append(char)
    name = _trim(" ".join("".join(kept).split()))
    name = _trim(name.encode()[:max_bytes].decode("utf-8", "ignore"))
    if not name:
        return fallback
    if _WINDOWS_RESERVED.match(name.split(".")[0].rstrip()):
        name = "_" + name
    return name


def _trim(name: str) -> str:
    # No hidden files, nothing a shell could read as an option, no trailing dot or space
    # (Windows drops them, so two names would meet).
    return name.lstrip(" .-").rstrip(" .")


def item_stem(title: object, video_id: object) -> str:
    """`<title> [<id>]`, the file name without its extension."""
    safe_id = sanitise(video_id, "no-id", MAX_ID_BYTES)
    return f"{sanitise(title, 'untitled')} [{safe_id}]"


def user_folder(download_dir: Path, user_id: object) -> Path:
    """The user's own folder. User ids are MediaNest's (numbers, UUIDs), never cleaned up:
    two ids must never share a folder, so anything else is refused."""
    name = str(user_id) if isinstance(user_id, int | str) else ""
    if not _USER_ID.match(name):
        raise UnsafePath(f"{user_id!r} is not a user id")
    return confine(Path(download_dir, name), Path(download_dir))


def playlist_folder(download_dir: Path, user_id: object, playlist_title: object) -> Path:
    root = user_folder(download_dir, user_id)
    return confine(root / sanitise(playlist_title, "Playlist", MAX_FOLDER_BYTES), root)


def item_path(folder: Path, title: object, video_id: object, ext: str) -> Path:
    return confine(folder / f"{item_stem(title, video_id)}.{check_extension(ext)}", folder)


def check_extension(ext: object) -> str:
    if not isinstance(ext, str) or ext.lower() not in ALLOWED_EXTENSIONS:
        raise UnsafePath(f"files of type .{ext} are not downloaded")
    return ext.lower()


def confine(path: Path, root: Path) -> Path:
    """`path` if it resolves strictly inside `root` (symbolic links followed), else refuse."""
    resolved, base = Path(path).resolve(), Path(root).resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise UnsafePath(f"{path} is outside {root}")
    return Path(path)
