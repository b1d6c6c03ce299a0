"""File names from hostile titles: the corpus of security-reliability.md §3.3, and properties."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medianest_youtube.downloader import PlaylistDownload
from medianest_youtube.paths import (
    ALLOWED_EXTENSIONS,
    UnsafePath,
    check_extension,
    confine,
    item_path,
    item_stem,
    playlist_folder,
    sanitise,
    user_folder,
)
from medianest_youtube.testing import PlaylistServer

FILENAME_CORPUS = [
    "../../etc/cron.d/x",
    "..\\..\\win.ini",
    "....//",
    "..",
    ".",
    "",
    "\uff0e\uff0e\uff0f",  # ．．／ full-width
    "\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fetc\uff0fpasswd",
    "/absolute",
    "/",
    "name\x00with NUL",
    "line\nbreak",
    "carriage\rreturn",
    "rtl \u202egnp.exe",
    "zero\u200bwidth",
    "\u00e9" * 200,  # 400 bytes of UTF-8
    "\U0001f600" * 100,  # 400 bytes, four a character
    "a" * 300,
    "CON",
    "con.txt",
    "NUL.txt",
    "COM1",
    "lpt9.mp4",
    "trailing dot.",
    "trailing space ",
    "-rf",
    "--exec=rm -rf ~",
    ".hidden",
    "x.desktop",
    "x.url",
    "x.webloc",
    "x.php",
    "x.exe",
    "x.sh",
    "x.html",
    "x.svg",
    "%(title)s",
    "~",
    "$HOME",
    'a:b*c?d"e<f>g|h',
]


def _assert_safe_name(name: str) -> None:
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith((".", "-", " ")) and not name.endswith((".", " "))
    assert len(name.encode()) <= 255
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert all(unicodedata.category(char) not in {"Cc", "Cf"} for char in name)


@pytest.mark.parametrize("name", FILENAME_CORPUS)
def test_every_corpus_name_stays_in_the_users_folder(name: str, tmp_path: Path) -> None:
    root = user_folder(tmp_path, 7)
    folder = playlist_folder(tmp_path, 7, name)
    target = item_path(folder, name, name, "mp4")

    assert folder.resolve().parent == root.resolve()
    assert target.resolve().parent == folder.resolve()
    assert target.name.endswith(".mp4")
    for part in (folder.name, target.name):
        _assert_safe_name(part)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"x")  # the system takes the name as it is
    assert [p.resolve() for p in tmp_path.rglob("*") if p.is_file()] == [target.resolve()]


@pytest.mark.parametrize(
    "user_id", ["..", "../1", "1/..", "/", "", None, "\x00", "-1", 1.5, "a" * 65]
)
def test_anything_but_a_user_id_is_refused(user_id: object, tmp_path: Path) -> None:
    with pytest.raises(UnsafePath, match="not a user id"):
        user_folder(tmp_path, user_id)


@pytest.mark.parametrize("user_id", [1, "42", "6f1c2a9e-3b1d-4c55-9f0e-1d2c3b4a5e6f"])
def test_user_ids_are_folders_as_they_are(user_id: object, tmp_path: Path) -> None:
    assert user_folder(tmp_path, user_id) == tmp_path / str(user_id)


@pytest.mark.parametrize("ext", ["desktop", "url", "webloc", "php", "exe", "sh", "html", "svg", ""])
def test_unsafe_extensions_are_refused(ext: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafePath, match="not downloaded"):
        item_path(tmp_path, "title", "id", ext)


def test_the_media_extensions_are_allowed() -> None:
    assert {check_extension(ext.upper()) for ext in ALLOWED_EXTENSIONS} == ALLOWED_EXTENSIONS


def test_long_names_are_cut_on_a_character_boundary() -> None:
    name = sanitise("\u00e9" * 200, "x")
    assert name == "\u00e9" * 80  # 160 bytes: whole characters only
    assert sanitise("ab" + "\U0001f600" * 100, "x") == "ab" + "\U0001f600" * 39


def test_readable_titles_stay_readable() -> None:
    assert item_stem("Artist: Song / Live (2024)", "dQw4w9WgXcQ") == (
        "Artist - Song - Live (2024) [dQw4w9WgXcQ]"
    )
    assert item_stem("  Café  del\tMar  ", "x") == "Café del Mar [x]"
    assert item_stem("", "") == "untitled [no-id]"


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = user_folder(tmp_path / "downloads", 1)
    root.mkdir(parents=True)
    (root / "Trap").symlink_to(outside)
    with pytest.raises(UnsafePath, match="outside"):
        confine(root / "Trap" / "x.mp4", root)


@settings(max_examples=300, deadline=None)
@given(title=st.text(max_size=400), video_id=st.text(max_size=100))
def test_any_title_and_id_make_a_name_inside_the_folder(title: str, video_id: str) -> None:
    folder = Path("/srv/downloads/7/Playlist")
    target = item_path(folder, title, video_id, "mp4")
    assert target.parent == folder
    _assert_safe_name(target.name)
    _assert_safe_name(sanitise(title, "fallback"))


def test_hostile_titles_from_a_real_playlist_land_inside_the_folder(
    tmp_path: Path, admin_added
) -> None:
    titles = ["../../etc/cron.d/x", "..\\..\\win.ini", "\uff0e\uff0e\uff0f", "-rf", "CON"]
    with PlaylistServer("../../../../tmp/escape", titles) as site:
        site.items[1].video_id = "../../guid"
        report = PlaylistDownload(admin_added(site.feed_url), tmp_path / "downloads", 7).run()

    root = (tmp_path / "downloads" / "7").resolve()
    assert report.status == "completed"
    assert report.folder.resolve() == root / "tmp-escape"
    assert sorted(path.name for path in report.item_paths()) == [
        "_CON [clip-5].mp4",
        "etc-cron.d-x [clip-1].mp4",
        "rf [clip-4].mp4",
        "untitled [clip-3].mp4",
        "win.ini [guid].mp4",
    ]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 6  # five clips and the archive, all of them in the playlist's folder
    assert all(p.resolve().parent == report.folder.resolve() for p in written)
