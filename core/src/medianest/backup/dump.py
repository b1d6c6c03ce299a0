"""`medianest backup`: every row of every table to one file, read in one consistent snapshot."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from medianest import __version__
from medianest import db as database
from medianest.backup import install as installs
from medianest.backup.fileformat import FORMAT_VERSION, MAGIC, BackupError, Table, Writer, encode
from medianest.backup.progress import Reporter
from medianest.settings import Settings

BATCH_ROWS = 500  # rows read per query: a big table never sits in memory whole


@dataclass
class BackupSummary:
    tables: int = 0
    rows: int = 0
    database: str = ""
    key_included: bool = False
    has_key: bool = False
    skipped_apps: list[str] = field(default_factory=list)  # in the database, but not installed


def default_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"medianest-backup-{stamp}.json.gz"


@contextlib.contextmanager
def output(path: str) -> Iterator[IO[bytes]]:
    """Where the backup goes: stdout for "-", else a private (0600) file that appears under its
    name only once complete; a failed backup leaves nothing behind."""
    if path == "-":
        if sys.stdout.isatty():
            raise BackupError(
                "refusing to write a compressed backup to a terminal: name a file, or redirect "
                "stdout"
            )
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if target.exists():
        raise BackupError(f"{target} already exists: choose another name or move it away")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: the directory {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if target.exists():  # appeared meanwhile: never replace it
            raise BackupError(
                f"{target} appeared while the backup was written; the backup was not kept"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


async def create_backup(
    settings: Settings, out: IO[bytes], *, include_key: bool, reporter: Reporter
) -> BackupSummary:
    install = await installs.describe(settings)
    ring = installs.configured_ring(settings)
    orm = await database.start(
        install.config
    )  # brings the schema up to date first, as every command does
    try:
        return await _dump(install, orm, out, ring, include_key, reporter)
    finally:
        await orm.close_connections()


async def _dump(
    install: installs.Install,
    orm: Any,
    out: IO[bytes],
    ring: Any,
    include_key: bool,
    reporter: Reporter,
) -> BackupSummary:
    models = installs.insertion_order(
        (app, model) for app in install.apps for model in orm.apps[app].values()
    )
    async with in_transaction("default") as connection:
        if installs.dialect(connection) == "postgres":
            # one snapshot for every table, however long the backup takes while MediaNest runs
            await connection.execute_script(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
            )
        applied = await installs.applied_migrations(connection)
        tables = [
            installs.table_of(app, model, await model.all().using_db(connection).count())
            for app, model in models
        ]
        summary = BackupSummary(
            tables=len(tables),
            database=installs.dialect(connection),
            key_included=include_key and ring is not None,
            has_key=ring is not None,
            skipped_apps=sorted(set(applied) - set(install.apps)),
        )
        writer = Writer(out)
        writer.line(_header(install, applied, tables, summary, ring))
        with reporter.progress("backing up", sum(table.rows for table in tables)) as progress:
            for (_, model), table in zip(models, tables, strict=True):
                progress.table(table.name, table.rows)
                async for batch in _batches(model, connection):
                    for values in batch:
                        writer.row(table.name, values)
                    summary.rows += len(batch)
                    progress.advance(len(batch))
        writer.finish(summary.rows)
    return summary


def _header(
    install: installs.Install,
    applied: dict[str, list[str]],
    tables: list[Table],
    summary: BackupSummary,
    ring: Any,
) -> dict[str, Any]:
    secret_key: dict[str, Any] = {"fingerprints": installs.fingerprints(ring)}
    if summary.key_included:
        secret_key["ring"] = ring.serialize()
    return {
        "format": MAGIC,
        "format_version": FORMAT_VERSION,
        "medianest_version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "database": summary.database,
        "apps": {
            app: {"version": install.versions.get(app), "migrations": applied.get(app, [])}
            for app in install.apps
        },
        "tables": [table.as_json() for table in tables],
        "secret_key": secret_key,
    }


async def _batches(model: type[Model], connection: Any) -> AsyncIterator[list[list[Any]]]:
    """The table's rows as JSON values, BATCH_ROWS at a time, by primary key (keyset paging:
    each query starts after the last key seen, so it stays fast deep into a big table)."""
    described = installs.columns(model)
    names = [name for name, _, _ in described]
    kinds = [kind for _, _, kind in described]
    pk = model._meta.pk_attr
    position = names.index(pk)
    query = model.all().using_db(connection)
    while True:
        rows = await query.order_by(pk).limit(BATCH_ROWS).values_list(*names)
        if not rows:
            return
        yield [
            [encode(kind, value) for kind, value in zip(kinds, row, strict=True)] for row in rows
        ]
        if len(rows) < BATCH_ROWS:
            return
        query = model.filter(**{f"{pk}__gt": rows[-1][position]}).using_db(connection)
