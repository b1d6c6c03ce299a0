"""Files only the owner may read: the embedded database holds password hashes and keys."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal", ".lock")  # .lock: the start lock (startup.py)


def private_sqlite(path: Path) -> None:
    """Create the SQLite file owner-only before SQLite opens it (its -wal, -shm and -journal
    files take the database file's mode), and tighten files an older version left readable."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        pass
    else:
        os.close(descriptor)  # an empty file is a new database to SQLite
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        if candidate.exists() and candidate.stat().st_mode & 0o077:
            candidate.chmod(PRIVATE)
