"""What a backup reads from and restores into: the install's apps, tables, database and key."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from tortoise import fields
from tortoise.fields.relational import RelationalField
from tortoise.migrations.loader import MigrationLoader
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.models import Model

from medianest import __version__
from medianest import db as database
from medianest import keys as key_files
from medianest.backup.fileformat import BackupError, Table
from medianest.security.crypto import KEY_BYTES, KeyRing, WeakKeyError
from medianest.settings import Settings

MIGRATIONS_TABLE = "tortoise_migrations"


@dataclass(frozen=True)
class Install:
    config: dict[str, Any]  # the Tortoise config: the core's app and each installed plugin's
    versions: dict[str, str]  # app label -> version of the code that owns it

    @property
    def apps(self) -> list[str]:
        return list(self.config["apps"])

    def known_migrations(self) -> dict[str, set[str]]:
        """The migrations each app ships, read from disk."""
        loader = MigrationLoader(self.config["apps"], MigrationRecorder(None))
        loader.load_disk()
        known: dict[str, set[str]] = {app: set() for app in self.apps}
        for key in loader.disk_migrations:
            known[key.app_label].add(key.name)
        return known


async def describe(settings: Settings) -> Install:
    """The core's and every installed plugin's models, as `medianest serve` would load them.

    The app is built with a throwaway key: listing models needs none, and a restore must not
    leave a fresh key file in the data directory before it has decided which key belongs there.
    """
    from medianest.app import create_app

    throwaway = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")
    quiet = settings.model_copy(
        update={"secret_key": SecretStr(throwaway), "secret_key_file": None}
    )
    core = create_app(quiet).extensions["medianest"]
    models = await core.host.collect("register_models", core=core)
    config = core.database_config(models)
    versions = {database.CORE_APP: __version__}
    for app in config["apps"]:
        if app != database.CORE_APP:
            versions[app] = str(core.host.records[app].version)
    return Install(config=config, versions=versions)


# ---- tables ---------------------------------------------------------------------------------


def column_kind(field: fields.Field) -> str:
    """The file's name for a column's type (see fileformat.ENCODERS)."""
    kinds: tuple[tuple[type, str], ...] = (
        (fields.BooleanField, "bool"),
        (fields.IntField, "int"),  # IntEnumField and the big and small ints too
        (fields.FloatField, "float"),
        (fields.DecimalField, "decimal"),
        (fields.DatetimeField, "datetime"),
        (fields.DateField, "date"),
        (fields.TimeField, "time"),
        (fields.TimeDeltaField, "timedelta"),
        (fields.UUIDField, "uuid"),
        (fields.JSONField, "json"),
        (fields.BinaryField, "bytes"),
    )
    for field_class, kind in kinds:
        if isinstance(field, field_class):
            return kind
    return "text"


def columns(model: type[Model]) -> list[tuple[str, str, str]]:
    """(field name, column, kind) of every stored column of the model."""
    meta = model._meta
    return [
        (name, column, column_kind(meta.fields_map[name]))
        for name, column in meta.fields_db_projection.items()
    ]


def table_of(app: str, model: type[Model], rows: int) -> Table:
    meta = model._meta
    pk = meta.pk
    return Table(
        app=app,
        name=meta.db_table,
        columns=tuple((column, kind) for _, column, kind in columns(model)),
        pk=meta.fields_db_projection[meta.pk_attr],
        serial=isinstance(pk, fields.IntField) and bool(pk.generated),
        rows=rows,
    )


def insertion_order(models: Iterable[tuple[str, type[Model]]]) -> list[tuple[str, type[Model]]]:
    """Every table after the tables its foreign keys point at (so a restore can insert in order)."""
    given = list(models)
    apps = {model: app for app, model in given}
    ordered: list[tuple[str, type[Model]]] = []
    seen: set[type[Model]] = set()

    def visit(model: type[Model]) -> None:
        if model in seen:
            return
        seen.add(model)
        meta = model._meta
        for name in sorted(meta.fk_fields | meta.o2o_fields):
            relation = meta.fields_map[name]
            assert isinstance(relation, RelationalField)
            parent = relation.related_model
            if parent in apps:
                visit(parent)
        ordered.append((apps[model], model))

    for _, model in given:
        if model._meta.m2m_fields:
            raise BackupError(
                f"{model.__name__} ({apps[model]}) has a many-to-many field, whose link table a "
                "backup does not cover yet: refusing rather than leaving it out"
            )
        visit(model)
    return ordered


# ---- the database ---------------------------------------------------------------------------


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dialect(connection: Any) -> str:
    return connection.capabilities.dialect


def placeholders(connection: Any, count: int) -> str:
    if dialect(connection) == "postgres":
        return ", ".join(f"${index}" for index in range(1, count + 1))
    return ", ".join("?" * count)


async def applied_migrations(connection: Any) -> dict[str, list[str]]:
    """App label -> names of its applied migrations, in the order they were applied."""
    applied: dict[str, list[str]] = {}
    for key in await MigrationRecorder(connection).applied_migrations():
        applied.setdefault(key.app_label, []).append(key.name)
    return applied


async def tables_with_rows(connection: Any) -> list[str]:
    """Every table of the database (whatever created it) that holds at least one row."""
    if dialect(connection) == "postgres":
        query = (
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    else:
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY 1"
        )
    _, tables = await connection.execute_query(query)
    found = []
    for row in tables:
        name = row["name"]
        if name == MIGRATIONS_TABLE:
            continue
        _, rows = await connection.execute_query(f"SELECT 1 FROM {quote(name)} LIMIT 1")  # nosec B608
        if rows:
            found.append(name)
    return found


def describe_database(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    url = settings.resolved_database_url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{netloc}").geturl()


# ---- the secret key -------------------------------------------------------------------------


def configured_ring(settings: Settings) -> KeyRing | None:
    """The install's key ring, or None when its data-dir key file does not exist yet (it is
    never created here)."""
    source = key_files.key_source(settings)
    if source.kind == "data_dir" and source.path is not None and not source.path.exists():
        return None
    try:
        return KeyRing.from_settings(settings)
    except WeakKeyError as exc:
        raise BackupError(str(exc)) from None


def fingerprints(ring: KeyRing | None) -> dict[str, str]:
    """Key id -> a short value derived from the key (its own HKDF purpose), which tells whether
    two installs hold the same key without revealing anything about it."""
    if ring is None:
        return {}
    return {
        str(key_id): ring.subkey("backup-fingerprint", key_id)[:8].hex() for key_id in ring.keys
    }


def holds(ring: KeyRing, wanted: KeyRing) -> bool:
    """True when `ring` has every key of `wanted`, under the same ids."""
    return all(ring.keys.get(key_id) == key for key_id, key in wanted.keys.items())
