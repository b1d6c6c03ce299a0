"""The backup file: gzip-compressed JSON lines, the same whatever database wrote or reads it.

    line 1     the header: what made the file, the schema (migrations per app), the tables with
               their columns, types and row counts, and the secret key's fingerprints (or the key)
    then       {"t": <table>, "r": [values in the header's column order]}, table by table, in the
               header's order (parents before the tables that point at them)
    last line  {"end": {"rows": <total>}}: a file without it was cut short

Values are plain JSON where JSON has the type, and text otherwise (ISO 8601 times, UUIDs,
decimals, base64 bytes), so that no driver's representation leaks into the file.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import IO, Any

from packaging.version import InvalidVersion, Version

MAGIC = "medianest-backup"
FORMAT_VERSION = 1
COMPRESS_LEVEL = 6
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why and what to do."""


class BackupFormatError(BackupError):
    """The file is not a MediaNest backup, or not a whole one."""


# ---- values ---------------------------------------------------------------------------------


def _microseconds(value: timedelta) -> int:
    return value // timedelta(microseconds=1)


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "text": str,
    "int": int,
    "float": float,
    "bool": bool,
    "json": lambda value: value,
    "decimal": str,
    "uuid": str,
    "datetime": lambda value: value.isoformat(),
    "date": lambda value: value.isoformat(),
    "time": lambda value: value.isoformat(),
    "timedelta": _microseconds,
    "bytes": lambda value: base64.b64encode(value).decode("ascii"),
}


def encode(kind: str, value: Any) -> Any:
    """A column's Python value (as the ORM reads it) as JSON."""
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    return ENCODERS[kind](value)


def _typed(*types: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        # bool is an int in Python: never let true/false stand in for a number, or 1 for true
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ValueError(f"not a {types[0].__name__}")
        return value

    return check


def _text(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("not text")
        return parse(value)

    return check


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError("not a decimal") from None


# What each kind becomes as a query parameter; every supported driver takes these as they are.
DECODERS: dict[str, Callable[[Any], Any]] = {
    "text": _typed(str),
    "int": _typed(int),
    "float": lambda value: float(_typed(float, int)(value)),
    "bool": _typed(bool),
    "json": lambda value: json.dumps(value, separators=(",", ":"), ensure_ascii=False),
    "decimal": _text(_decimal),
    "uuid": _text(lambda text: str(uuid.UUID(text))),
    "datetime": _text(datetime.fromisoformat),
    "date": _text(date.fromisoformat),
    "time": _text(time.fromisoformat),
    "timedelta": _typed(int),
    "bytes": _text(lambda text: base64.b64decode(text, validate=True)),
}


# ---- the header -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    app: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, kind)
    pk: str
    serial: bool  # an integer key the database generates: its sequence follows a restore
    rows: int

    def as_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "table": self.name,
            "columns": [list(column) for column in self.columns],
            "pk": self.pk,
            "serial": self.serial,
            "rows": self.rows,
        }

    def decode(self, values: Any, where: str) -> list[Any]:
        """A row from the file as query parameters, or BackupFormatError naming the bad value."""
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise BackupFormatError(
                f"{where}: a row of {self.name} does not have its {len(self.columns)} columns"
            )
        decoded = []
        for value, (column, kind) in zip(values, self.columns, strict=True):
            try:
                decoded.append(None if value is None else DECODERS[kind](value))
            except (ValueError, TypeError):
                raise BackupFormatError(
                    f"{where}: {self.name}.{column} holds a value that is not {kind}"
                ) from None
        return decoded


@dataclass(frozen=True)
class Header:
    raw: dict[str, Any]
    medianest_version: str
    created_at: str
    database: str
    apps: dict[str, dict[str, Any]]  # app -> {"version", "migrations"}
    tables: tuple[Table, ...]
    secret_key: dict[str, Any]  # {"fingerprints": {id: hex}, "ring"?: key file text}

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def parse_header(data: Any) -> Header:
    """Check the first line; BackupFormatError when it is not the header of a backup we can read."""
    if not isinstance(data, dict) or data.get("format") != MAGIC:
        raise BackupFormatError("not a MediaNest backup")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BackupFormatError("the header's format_version is missing or not a number")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"the file uses backup format {version}, and this MediaNest reads format "
            f"{FORMAT_VERSION} at most: it was made by a newer MediaNest "
            f"({data.get('medianest_version')}). Restore it with that version or a later one."
        )
    try:
        header = Header(
            raw=data,
            medianest_version=_version(data["medianest_version"]),
            created_at=_string(data["created_at"]),
            database=_string(data["database"]),
            apps=_apps(data["apps"]),
            tables=tuple(_table(entry) for entry in data["tables"]),
            secret_key=_secret_key(data["secret_key"]),
        )
        _consistent(header)
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupFormatError(f"the header is damaged ({_short(exc)})") from None
    return header


def _consistent(header: Header) -> None:
    names = [table.name for table in header.tables]
    if len(set(names)) != len(names):
        raise ValueError("a table is listed twice")
    orphans = [table.name for table in header.tables if table.app not in header.apps]
    if orphans:
        raise ValueError(f"{orphans[0]} belongs to no app of the backup")


def _short(exc: Exception) -> str:
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a table, column or app name")
    return value


def _version(value: Any) -> str:
    try:
        Version(_string(value))
    except InvalidVersion:
        raise ValueError(f"{value!r} is not a version") from None
    return value


def _apps(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise ValueError("apps is not an object")
    apps = {}
    for app, entry in value.items():
        migrations = entry["migrations"]
        if not isinstance(migrations, list) or not all(
            isinstance(name, str) for name in migrations
        ):
            raise ValueError(f"the migrations of {app} are not a list of names")
        apps[_name(app)] = {"version": entry.get("version"), "migrations": migrations}
    return apps


def _table(entry: Any) -> Table:
    columns = tuple((_name(column), _string(kind)) for column, kind in entry["columns"])
    unknown = [kind for _, kind in columns if kind not in DECODERS]
    if unknown:
        raise ValueError(f"unknown column type {unknown[0]!r}")
    rows = entry["rows"]
    if not isinstance(rows, int) or rows < 0:
        raise ValueError("a row count is not a number")
    return Table(
        app=_name(entry["app"]),
        name=_name(entry["table"]),
        columns=columns,
        pk=_name(entry["pk"]),
        serial=bool(entry["serial"]),
        rows=rows,
    )


def _secret_key(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("fingerprints"), dict):
        raise ValueError("secret_key is not an object with fingerprints")
    if "ring" in value:
        _string(value["ring"])
    return value


def newer_than(backup_version: str, this_version: str) -> bool:
    try:
        return Version(backup_version) > Version(this_version)
    except InvalidVersion:  # this install's own version is unknown (a bare source tree)
        return False


# ---- writing --------------------------------------------------------------------------------


class Writer:
    """Lines into a gzip stream; `raw` stays open (it may be stdout)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._gzip = gzip.GzipFile(
            fileobj=raw, mode="wb", filename="", compresslevel=COMPRESS_LEVEL
        )

    def line(self, data: Any) -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self._gzip.write(text.encode("utf-8") + b"\n")

    def row(self, table: str, values: list[Any]) -> None:
        self.line({"t": table, "r": values})

    def finish(self, rows: int) -> None:
        self.line({"end": {"rows": rows}})
        self._gzip.close()


# ---- reading --------------------------------------------------------------------------------


class Reader:
    """One pass over a backup file: `header`, then `rows()` once.

    Every way a file can be wrong ends in BackupFormatError (or BackupError for a newer format)
    with a message for the operator, never a traceback.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            # Held open across `rows()`; `close()` closes it.
            self._file = gzip.open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise BackupError(f"cannot be read: {exc.strerror or exc}") from None
        try:
            first = self._readline()
            if not first.startswith(b"{"):
                raise BackupFormatError("not a MediaNest backup")
            self.header = parse_header(self._json(first, 1))
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def _readline(self) -> bytes:
        try:
            return self._file.readline()
        except gzip.BadGzipFile as exc:
            if str(exc).startswith("Not a gzipped file"):
                raise BackupFormatError("not a MediaNest backup (not a gzip file)") from None
            raise BackupFormatError(f"the file is damaged ({exc})") from None
        except (EOFError, zlib.error) as exc:
            raise BackupFormatError(
                f"the file is damaged or cut short ({exc or type(exc).__name__})"
            ) from None
        except OSError as exc:
            raise BackupError(f"cannot be read: {exc.strerror or exc}") from None

    @staticmethod
    def _json(line: bytes, number: int) -> Any:
        try:
            return json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            if number == 1:
                raise BackupFormatError("not a MediaNest backup") from None
            raise BackupFormatError(
                f"line {number} is not valid JSON: the file is damaged"
            ) from None

    def rows(self) -> Iterator[tuple[Table, list[Any]]]:
        """(table, query parameters) for every row, in file order; then checks the end line."""
        tables = {table.name: index for index, table in enumerate(self.header.tables)}
        counts = [0] * len(self.header.tables)
        current, number, total = 0, 1, 0
        while True:
            number += 1
            line = self._readline()
            if not line:
                raise BackupFormatError("the file is cut short (its end line is missing)")
            data = self._json(line, number)
            if isinstance(data, dict) and "end" in data:
                break
            if not isinstance(data, dict) or data.get("t") not in tables:
                raise BackupFormatError(f"line {number} is not a row of a table the header lists")
            index = tables[data["t"]]
            if index < current:
                raise BackupFormatError(
                    f"line {number}: rows of {data['t']} after those of a later table"
                )
            current = index
            table = self.header.tables[index]
            counts[index] += 1
            total += 1
            yield table, table.decode(data.get("r"), f"line {number}")
        self._check_end(data["end"], counts, total, number)

    def _check_end(self, end: Any, counts: list[int], total: int, number: int) -> None:
        if not isinstance(end, dict) or end.get("rows") != total:
            raise BackupFormatError(f"the end line says {end!r}, but the file holds {total} rows")
        for table, count in zip(self.header.tables, counts, strict=True):
            if count != table.rows:
                raise BackupFormatError(
                    f"{table.name} should have {table.rows} rows, the file holds {count}"
                )
        if self._readline():
            raise BackupFormatError(f"there is more after the end line (line {number})")
