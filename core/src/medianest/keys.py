"""`medianest keys rotate`: every secret at rest re-encrypted under a new key, the old key retired.

Where the secrets are: `linked_accounts.token`, `service_connections.api_key`, the secret fields of
`plugin_state.settings`, and any column of a plugin's own tables that holds a token. Tokens are
found by their shape (`v1.` + base64 with a key id), so a plugin needs no registration. Each
one is bound to its row by the context "<table>|<column>|<row id>"; the row id is the primary
key or a foreign key (the Plex plugin binds its server token to the user). A token is rewritten
only if it still holds what was read (compare and set), so a concurrent change is never lost.

A key is retired only once nothing uses it. A token that no longer decrypts is reported: in the
core's columns it is damaged (tampered with, or copied from another row) and must be entered
again; in a plugin's column it might use a context this command does not know, so its key is
kept until the plugin re-encrypts it.

Running it again resumes an interrupted rotation instead of adding another key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tortoise import fields as orm_fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from medianest.auth.models import token_context
from medianest.config import plugin_settings
from medianest.plugins.models import PluginStateRow
from medianest.security.crypto import DEFAULT_KEY_FILE, DecryptionError, KeyRing, SecretBox
from medianest.settings import Settings

TOKEN_PREFIX = "v1."
# Columns whose context is certain: a token there that does not decrypt is damaged, not foreign.
CORE_COLUMNS = frozenset({("linked_accounts", "token"), ("service_connections", "api_key")})
LINKED_TOKENS = ("linked_accounts", "token")  # bound to (provider, user): see token_context


# ---- where the key ring lives ---------------------------------------------------------------


@dataclass(frozen=True)
class KeySource:
    kind: Literal["data_dir", "env", "env_file"]
    path: Path | None = None

    @property
    def key_file(self) -> Path:
        """The file of a writable source (the data directory's key file)."""
        if not self.writable or self.path is None:
            raise ValueError(f"{self.describe()} is not a key file MediaNest writes")
        return self.path

    @property
    def writable(self) -> bool:
        """Only the key file MediaNest made itself is rewritten; the others are the operator's."""
        return self.kind == "data_dir"

    def describe(self) -> str:
        if self.kind == "env":
            return "MEDIANEST_SECRET_KEY"
        if self.kind == "env_file":
            return f"the key file {self.path} (MEDIANEST_SECRET_KEY_FILE)"
        return f"the key file {self.path}"


def key_source(settings: Settings) -> KeySource:
    if settings.secret_key is not None:
        return KeySource("env")
    if settings.secret_key_file is not None:
        return KeySource("env_file", settings.secret_key_file)
    return KeySource("data_dir", settings.data_dir / DEFAULT_KEY_FILE)


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Replace the key file atomically: a private temporary file (0600 from its first byte),
    synced, renamed over the old one, and the directory synced so the rename survives a crash."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(ring.serialize())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    os.chmod(path, 0o600)
    with contextlib.suppress(OSError):  # not every platform can open a directory
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# ---- where the secrets live ---------------------------------------------------------------


@dataclass(frozen=True)
class StoredSecret:
    """One encrypted value: where it is (for messages), the contexts it may be bound to, and
    how to replace it if it still holds `token`."""

    where: str
    token: str
    contexts: tuple[str, ...]
    certain: bool  # the context is known for sure: failing to decrypt means damage
    replace: Callable[[str, str], Awaitable[bool]] = field(repr=False, compare=False)


def is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


async def stored_secrets(models: Iterable[type[Model]]) -> list[StoredSecret]:
    """Every token in the database: in text columns of `models`, and in plugin settings."""
    found: list[StoredSecret] = []
    for model in models:
        if model is PluginStateRow:
            found.extend(await _plugin_settings_secrets())
            continue
        for column in _text_columns(model):
            found.extend(await _column_secrets(model, column))
    return found


def _text_columns(model: type[Model]) -> list[str]:
    fields_map = model._meta.fields_map
    return [
        name
        for name, field_ in fields_map.items()
        if isinstance(field_, (orm_fields.TextField, orm_fields.CharField))
        and name != model._meta.pk_attr
    ]


def _row_ids(model: type[Model]) -> list[str]:
    """What a context may name the row by: the primary key, then each foreign key."""
    meta = model._meta
    foreign = [
        meta.fields_map[name].source_field for name in sorted(meta.fk_fields | meta.o2o_fields)
    ]
    return [meta.pk_attr, *(name for name in foreign if name)]


async def _column_secrets(model: type[Model], column: str) -> list[StoredSecret]:
    meta = model._meta
    table = meta.db_table
    db_column = meta.fields_db_projection[column]
    ids = _row_ids(model)
    extra = ("provider",) if (table, db_column) == LINKED_TOKENS else ()
    rows = await model.filter(**{f"{column}__startswith": TOKEN_PREFIX}).values(
        *ids, *extra, column
    )
    certain = (table, db_column) in CORE_COLUMNS
    linked = (table, db_column) == LINKED_TOKENS
    secrets_found = []
    for row in rows:
        pk = row[meta.pk_attr]
        contexts = tuple(
            dict.fromkeys(
                f"{table}|{db_column}|{row[name]}" for name in ids if row[name] is not None
            )
        )
        if linked:
            contexts = (token_context(row["provider"], row["user_id"]),)
        elif certain:
            contexts = contexts[:1]  # the core binds to the primary key, nothing else

        async def replace(old: str, new: str, pk: Any = pk) -> bool:
            updated = await model.filter(**{meta.pk_attr: pk, column: old}).update(**{column: new})
            return updated == 1

        secrets_found.append(
            StoredSecret(f"{table}.{db_column}[{pk}]", row[column], contexts, certain, replace)
        )
    return secrets_found


async def _plugin_settings_secrets() -> list[StoredSecret]:
    found = []
    for row in await PluginStateRow.all().values("id", "settings"):
        for name, token in plugin_settings.encrypted_tokens(row["settings"] or {}):

            async def replace(
                old: str, new: str, plugin_id: str = row["id"], name: str = name
            ) -> bool:
                async with in_transaction():
                    current = await PluginStateRow.select_for_update().get(id=plugin_id)
                    if (
                        dict(plugin_settings.encrypted_tokens(current.settings or {})).get(name)
                        != old
                    ):
                        return False
                    current.settings = plugin_settings.with_token(current.settings, name, new)
                    await current.save(update_fields=["settings"])
                    return True

            context = plugin_settings.secret_context(row["id"], name)
            found.append(
                StoredSecret(
                    f"plugin_state.settings.{name}[{row['id']}]", token, (context,), True, replace
                )
            )
    return found


# ---- re-encryption --------------------------------------------------------------------------


MAX_PASSES = 3


@dataclass
class RotationReport:
    total: int = 0
    rotated: int = 0  # re-encrypted under the active key
    current: int = 0  # already under it
    raced: int = 0  # changed by someone else between read and write: looked at again
    damaged: list[str] = field(default_factory=list)  # in the core's columns: enter again
    foreign: list[str] = field(default_factory=list)  # in a plugin's column, context unknown
    kept_keys: set[int] = field(default_factory=set)  # old key ids that `foreign` still needs

    def retired(self, ring: KeyRing) -> list[int]:
        return sorted(
            key_id for key_id in ring.keys if key_id != ring.active and key_id not in self.kept_keys
        )


async def rotate_all(
    box: SecretBox,
    found: list[StoredSecret],
    reload: Callable[[], Awaitable[list[StoredSecret]]],
    progress: Callable[[int], None] = lambda _: None,
) -> RotationReport:
    """Put every token in `found` under the box's active key. Values another process changed
    meanwhile are read again with `reload` (a few passes at most); the last pass says what
    could not be moved."""
    report = await reencrypt(box, found, progress)
    rotated = report.rotated
    for _ in range(MAX_PASSES - 1):
        if not report.raced:
            break
        report = await reencrypt(box, await reload())
        rotated += report.rotated
    report.rotated = rotated
    return report


async def reencrypt(
    box: SecretBox, found: list[StoredSecret], progress: Callable[[int], None] = lambda _: None
) -> RotationReport:
    """One pass over `found`."""
    report = RotationReport(total=len(found))
    for secret in found:
        await _reencrypt_one(box, secret, report)
        progress(1)
    return report


async def _reencrypt_one(box: SecretBox, secret: StoredSecret, report: RotationReport) -> None:
    try:
        key_id = box.key_id(secret.token)
    except DecryptionError:  # malformed: damaged in a core column, else not a token at all
        if secret.certain:
            report.damaged.append(secret.where)
        return
    context = _readable_context(box, secret)
    if context is None:
        if secret.certain:
            report.damaged.append(secret.where)
        else:
            report.foreign.append(secret.where)
            if key_id != box.ring.active:
                report.kept_keys.add(key_id)
        return
    if key_id == box.ring.active:
        report.current += 1
    elif await secret.replace(secret.token, box.rotate(secret.token, context=context)):
        report.rotated += 1
    else:
        report.raced += 1


def _readable_context(box: SecretBox, secret: StoredSecret) -> str | None:
    """The context the token authenticates under, or None (tampered, moved, or unknown)."""
    for context in secret.contexts:
        try:
            box.decrypt(secret.token, context=context)
        except DecryptionError:
            continue
        return context
    return None
