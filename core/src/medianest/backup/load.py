"""`medianest restore`: a backup into an empty install, all of it or nothing.

Order of work, each step refusing before the next one writes anything:
1. the header: a MediaNest backup, a format and a MediaNest version this install reads;
2. the apps: every plugin with rows in the backup is installed here, and knows every migration
   the backup's schema went through;
3. the secret key, when the backup carries one: it can be put in place;
4. the whole file, read once: intact, and every value of the type its column says;
5. the database: nothing in it yet; its schema is brought to exactly the backup's migrations,
   the rows are inserted in one transaction (PostgreSQL sequences set past the restored keys),
   then the remaining migrations of this install run on the restored data, as on an upgrade;
6. the key file, written into the data directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.graph import MigrationKey
from tortoise.transactions import in_transaction

from medianest import __version__
from medianest import db as database
from medianest import keys as key_files
from medianest.backup import install as installs
from medianest.backup.fileformat import (
    BackupError,
    BackupFormatError,
    Header,
    Reader,
    Table,
    newer_than,
)
from medianest.backup.progress import Reporter
from medianest.security.crypto import KeyRing, WeakKeyError
from medianest.settings import Settings

BATCH_ROWS = 500  # rows per INSERT round trip


@dataclass
class KeyPlan:
    ring: KeyRing | None = None  # to write to `path` once the database is restored
    path: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RestoreSummary:
    header: Header
    rows: int = 0
    key_written: Path | None = None
    notes: list[str] = field(default_factory=list)


async def restore_backup(settings: Settings, path: Path, reporter: Reporter) -> RestoreSummary:
    with Reader(path) as reader:
        header = reader.header
    if newer_than(header.medianest_version, __version__):
        raise BackupError(
            f"the backup was made by MediaNest {header.medianest_version}, which is newer than "
            f"this one ({__version__}): upgrade MediaNest to {header.medianest_version} or later, "
            "then restore"
        )
    install = await installs.describe(settings)
    notes = _check_apps(header, install)
    key = plan_key(settings, header)
    _check_file(path, reporter)
    summary = RestoreSummary(header=header, notes=notes + key.notes)
    summary.rows = await _restore(settings, install, header, path, reporter)
    if key.ring is not None and key.path is not None:
        key.path.parent.mkdir(parents=True, exist_ok=True)
        key_files.write_key_file(key.path, key.ring)
        summary.key_written = key.path
    return summary


# ---- before touching the database -----------------------------------------------------------


def _check_apps(header: Header, install: installs.Install) -> list[str]:
    """Refuse plugins' data this install cannot hold, and schemas newer than it knows."""
    notes = []
    missing = [app for app in header.apps if app not in install.apps]
    with_rows = [table for table in header.tables if table.app in missing and table.rows]
    if with_rows:
        listed = ", ".join(f"{table.app} ({table.name}: {table.rows} rows)" for table in with_rows)
        versions = ", ".join(
            f"{app} {header.apps[app]['version']}"
            for app in dict.fromkeys(t.app for t in with_rows)
        )
        raise BackupError(
            "the backup holds data of plugins that are not installed (or not loaded) here: "
            f"{listed}. Install them ({versions} or later) and make sure MEDIANEST_PLUGINS / "
            "MEDIANEST_BLOCK_PLUGINS let them load, then run restore again; nothing was restored"
        )
    if missing:
        notes.append(
            f"plugins in the backup with no data, not installed here: {', '.join(missing)}"
        )
    known = install.known_migrations()
    for app, entry in header.apps.items():
        unknown = [name for name in entry["migrations"] if app in known and name not in known[app]]
        if unknown:
            owner = "MediaNest" if app == database.CORE_APP else f"the plugin {app}"
            raise BackupError(
                f"the backup's database schema is newer than this install's: {owner} here does not "
                f"know the migration(s) {', '.join(unknown)} (the backup has {owner} "
                f"{entry['version']}, this install {install.versions[app]}). Upgrade {owner} "
                "first, then restore"
            )
    return notes


def plan_key(settings: Settings, header: Header) -> KeyPlan:
    """What to do about the secret key, refusing before any change when it cannot be right."""
    here = installs.configured_ring(settings)
    source = key_files.key_source(settings)
    if "ring" not in header.secret_key:
        return KeyPlan(notes=_advice_without_key(header, here, source))
    try:
        ring = KeyRing.parse(header.secret_key["ring"])
    except (WeakKeyError, ValueError):
        raise BackupFormatError("the secret key in the backup is damaged") from None
    if here is None:
        return KeyPlan(
            ring=ring, path=source.path, notes=[f"the backup's secret key goes to {source.path}"]
        )
    if installs.holds(here, ring):
        return KeyPlan(notes=[f"{source.describe()} already holds the backup's secret key"])
    if source.writable:
        raise BackupError(
            f"{source.path} holds a different secret key than the one in the backup, and restore "
            "never replaces a key. If this install is new, move that file away and run restore "
            "again; nothing was restored"
        )
    raise BackupError(
        f"the backup carries its secret key, but the keys here come from {source.describe()}, "
        "which holds different keys and which MediaNest does not change. Unset it (restore then "
        f"writes the backup's key to {settings.data_dir / 'secret.key'}) or put the backup's key "
        "in it; nothing was restored"
    )


def _advice_without_key(
    header: Header, here: KeyRing | None, source: key_files.KeySource
) -> list[str]:
    wanted = header.secret_key["fingerprints"]
    if not wanted:
        return []
    if here is None:
        return [
            "the backup holds no secret key: before starting MediaNest, copy the secret.key of "
            f"the install it came from to {source.path} (or set MEDIANEST_SECRET_KEY). Without it, "
            "service API keys, linked accounts' tokens and secret plugin settings must be entered "
            "again"
        ]
    mine = installs.fingerprints(here)
    if all(mine.get(key_id) == value for key_id, value in wanted.items()):
        return [f"{source.describe()} holds the key the backup's secrets were encrypted with"]
    return [
        f"{source.describe()} does not hold the key the backup's secrets were encrypted with (key "
        f"id(s) {', '.join(sorted(wanted))}): put that key in place before starting MediaNest, or "
        "service API keys, linked accounts' tokens and secret plugin settings read 'needs "
        "re-entering'"
    ]


def _check_file(path: Path, reporter: Reporter) -> None:
    """Read the whole file before the database is touched: a damaged backup changes nothing."""
    with Reader(path) as reader, reporter.progress("checking", reader.header.rows) as progress:
        for _table, rows in batches(reader.rows()):
            progress.advance(len(rows))


def batches(rows: Iterable[tuple[Table, list[Any]]]) -> Iterator[tuple[Table, list[list[Any]]]]:
    """Consecutive rows of one table, BATCH_ROWS at most per batch."""
    current: Table | None = None
    batch: list[list[Any]] = []
    for table, values in rows:
        if batch and (table is not current or len(batch) >= BATCH_ROWS):
            yield current, batch  # type: ignore[misc]
            batch = []
        current = table
        batch.append(values)
    if batch:
        yield current, batch  # type: ignore[misc]


# ---- the database ---------------------------------------------------------------------------


async def _restore(
    settings: Settings, install: installs.Install, header: Header, path: Path, reporter: Reporter
) -> int:
    EXECUTOR_CACHE.clear()  # the process may have used another database before (tests)
    async with TortoiseContext() as context:
        await context.init(config=install.config)
        connection = get_connection("default")
        await _refuse_unless_empty(settings, connection)
        await _migrate_to_backup(connection, install, header)
        async with in_transaction("default") as transaction:
            rows = await _insert(transaction, path, reporter)
            if installs.dialect(transaction) == "postgres":
                await _reset_sequences(transaction, header, install)
    await database.upgrade(install.config)  # this install's newer migrations, on the restored rows
    return rows


async def _refuse_unless_empty(settings: Settings, connection: Any) -> None:
    busy = await installs.tables_with_rows(connection)
    if not busy:
        return
    shown = ", ".join(busy[:5]) + (", …" if len(busy) > 5 else "")
    raise BackupError(
        f"the database {installs.describe_database(settings)} already holds data ({shown}): a "
        "backup is restored only into an empty install, so that nothing is mixed or lost. Point "
        "MEDIANEST_DATABASE_URL at a new, empty database (with the default SQLite database: "
        "MEDIANEST_DATA_DIR at a new directory) and run restore there before MediaNest first "
        "starts (its first start creates the admin account); nothing was restored"
    )


async def _migrate_to_backup(connection: Any, install: installs.Install, header: Header) -> None:
    """Bring the schema to exactly the migrations the backup was made at, so its rows fit."""
    wanted = {app: entry["migrations"] for app, entry in header.apps.items() if app in install.apps}
    applied = await installs.applied_migrations(connection)
    for app, names in applied.items():
        ahead = [name for name in names if app in wanted and name not in wanted[app]]
        if ahead:
            raise BackupError(
                f"this empty database's schema is already newer than the backup's ({app}: "
                f"{', '.join(ahead)}): restore into a new database; nothing was restored"
            )
    executor = MigrationExecutor(connection, install.config["apps"])
    await executor.loader.build_graph()
    graph = executor.loader.graph
    targets = []
    for app, names in wanted.items():
        if names:
            last = max(
                (MigrationKey(app, name) for name in names),
                key=lambda key: len(graph.forwards_plan(key)),
            )
            targets.append(MigrationTarget(app_label=app, name=last.name))
    await executor.migrate(targets, direction="forward")
    reached = await installs.applied_migrations(connection)
    for app, names in wanted.items():
        if set(reached.get(app, [])) != set(names):
            raise BackupError(
                f"the schema of {app} cannot be brought to the backup's migrations "
                f"({', '.join(names)}); nothing was restored"
            )


async def _insert(transaction: Any, path: Path, reporter: Reporter) -> int:
    inserted = 0
    with Reader(path) as reader, reporter.progress("restoring", reader.header.rows) as progress:
        current: Table | None = None
        for table, rows in batches(reader.rows()):
            if table is not current:
                progress.table(table.name, table.rows)
                current = table
            try:
                await transaction.execute_many(_insert_sql(transaction, table), rows)
            except Exception as exc:  # the drivers' errors are not all translated by the ORM
                raise BackupError(
                    f"restoring {table.name} failed ({exc}); nothing was restored"
                ) from None
            inserted += len(rows)
            progress.advance(len(rows))
    return inserted


def _insert_sql(connection: Any, table: Table) -> str:
    columns = ", ".join(installs.quote(column) for column, _ in table.columns)
    values = installs.placeholders(connection, len(table.columns))
    return f"INSERT INTO {installs.quote(table.name)} ({columns}) VALUES ({values})"  # nosec B608


async def _reset_sequences(transaction: Any, header: Header, install: installs.Install) -> None:
    """Rows came with their ids: the next generated id must come after the largest one."""
    for table in header.tables:
        if not table.serial or not table.rows or table.app not in install.apps:
            continue
        pk, name = installs.quote(table.pk), installs.quote(table.name)
        await transaction.execute_query(
            f"SELECT setval(pg_get_serial_sequence($1, $2), MAX({pk})) FROM {name}",  # nosec B608
            [name, table.pk],
        )
