"""`medianest backup` and `medianest restore`, through the real command line, on both backends and
across them: data made through the app comes back whole, signs in and decrypts; bad files, newer
backups and non-empty targets are refused with nothing written."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import os
import stat
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import medianest_plex
from admin_support import Watch, data
from medianest import db
from medianest.audit import AuditEntry
from medianest.auth.models import LinkedAccount
from medianest.backup import dump, load
from medianest.cli import main
from medianest.jobs.models import JobRecord
from medianest.security.crypto import DEFAULT_KEY_FILE, KeyRing
from medianest.settings import Settings
from medianest.status.models import ServiceCheck, ServiceStatusRow
from medianest.testing import services
from medianest.testing.clients import DEFAULT_PASSWORD, ApiClient, create_user, signed_in
from medianest.testing.processes import cli_env
from medianest.testing.pytest_plugin import BOOTSTRAP_PASSWORD, _selected_backends
from medianest_plex.models import PlexAccess

ALICE_PASSWORD = "alice's own long password 7"
SERVICE_KEY = "service-key-for-the-backup-tests"
HOOK_SECRET = "hook-secret-for-the-backup-tests"
SERVER_TOKEN = "plex-server-token-for-the-backup-tests"
PLEX_TOKEN = "plex-account-token-of-alice"
PLEX_MODELS = medianest_plex.register_models(None)[0]

# ---- installs: a data directory and a database of either kind ------------------------------


@pytest.fixture
async def make_install(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """`await make_install("embedded" | "production")`: settings of a new, empty install."""
    made: list[tuple[str, str]] = []
    counter = iter(range(1000))

    async def make(kind: str) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "data_dir": tmp_path / f"{kind}-{next(counter)}",
            "log_level": "WARNING",
            "admin_password": BOOTSTRAP_PASSWORD,
        }
        if kind == "embedded":
            return settings
        admin_url, redis_url = services.postgres_admin_url(), services.redis_url()
        name = f"medianest_test_{uuid.uuid4().hex[:12]}"
        await services.create_database(admin_url, name)
        prefix = f"mntest:{uuid.uuid4().hex[:12]}:"
        made.append((name, prefix))
        return {
            **settings,
            "database_url": services.database_url(admin_url, name),
            "redis_url": redis_url,
            "redis_prefix": prefix,
        }

    yield make
    for name, prefix in made:
        await services.drop_database(services.postgres_admin_url(), name)
        await services.delete_redis_keys(services.redis_url(), prefix)


@contextlib.asynccontextmanager
async def running(
    settings: dict[str, Any], plugins: list[Any], **overrides: Any
) -> AsyncIterator[Any]:
    """An app on this install, stopped (ORM closed) on the way out."""
    from quart.testing.app import TestApp

    from medianest.app import create_app

    app = create_app(Settings(**{**settings, **overrides}), plugins=plugins)
    lifespan = TestApp(app, startup_timeout=60, shutdown_timeout=60)
    await lifespan.__aenter__()
    try:
        yield app
    finally:
        try:
            await lifespan.__aexit__(None, None, None)
        finally:
            core = app.extensions["medianest"]
            if core.orm is not None:
                await core.orm.close_connections()
                core.orm = None


async def invoke(args: list[str], settings: dict[str, Any], **extra: str | None) -> Any:
    """The command line in a thread (it runs its own event loop), as an admin's shell would,
    with the plugins the apps here run (Plex), not every installed one."""
    env = cli_env(settings, **{"MEDIANEST_PLUGINS": "plex", **extra})
    return await asyncio.to_thread(CliRunner().invoke, main, args, env=env)


def key_file(settings: dict[str, Any]) -> Path:
    return Path(settings["data_dir"]) / DEFAULT_KEY_FILE


async def snapshot(settings: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (core and Plex), straight from the database."""
    orm = await db.start(
        db.tortoise_config(Settings(**settings).resolved_database_url, {"plex": PLEX_MODELS})
    )
    try:
        tables = {}
        for app in orm.apps.values():
            for model in app.values():
                names = list(model._meta.fields_db_projection)
                rows = await model.all().values_list(*names)
                at = names.index(model._meta.pk_attr)
                tables[model._meta.db_table] = sorted(rows, key=lambda row, at=at: str(row[at]))
        return tables
    finally:
        await orm.close_connections()


async def rows_anywhere(settings: dict[str, Any]) -> list[str]:
    """The tables that hold rows (none in a database nothing was written to)."""
    from tortoise.connection import get_connection
    from tortoise.context import TortoiseContext

    from medianest.backup.install import tables_with_rows

    async with TortoiseContext() as context:
        await context.init(
            config=db.tortoise_config(Settings(**settings).resolved_database_url)
        )  # no migration
        return await tables_with_rows(get_connection("default"))


# ---- data made through the app ---------------------------------------------------------------


async def populate(app: Any, watch: Watch) -> None:
    """Users with passwords and permissions, a session, an API token, an encrypted service key,
    system and plugin settings (a secret one too), the audit trail, status history, a job and
    the Plex plugin's own table."""
    core = app.extensions["medianest"]
    admin = await signed_in(app, "root", role="admin")
    alice = await create_user(app, "alice", password=ALICE_PASSWORD)
    changes = [
        (f"/api/admin/services/{watch.id}", {"url": "http://kuma.lan", "api_key": SERVICE_KEY}),
        ("/api/admin/config", {"rate_limits": {"images": {"limit": 7}}}),
        (
            f"/api/admin/plugins/{watch.id}",
            {"settings": {"webhook_secret": HOOK_SECRET, "refresh_seconds": 45}},
        ),
        (f"/api/admin/users/{alice.id}", {"permissions": {"media.request": False}}),
    ]
    for path, body in changes:
        assert (await admin.put(path, json=body)).status_code == 200, path
    assert (await admin.post("/api/auth/tokens", json={"name": "script"})).status_code == 201
    now = datetime.now(UTC)
    await core.accounts.link(
        alice.id, "plex", "4242", username="alice_p", token=PLEX_TOKEN, checked_at=now
    )
    await PlexAccess.create(
        user_id=alice.id,
        machine_identifier="machine-1",
        server_token=core.secrets.encrypt(
            SERVER_TOKEN, context=f"plex_access|server_token|{alice.id}"
        ),
        library_ids=["1", "2"],
        checked_at=now,
    )
    await ServiceStatusRow.create(
        service="history",
        status="online",
        response_time_ms=12.5,
        last_check_at=now,
        data={"monitors": 3},
    )
    for minutes in range(3):
        at = now - timedelta(minutes=minutes)
        await ServiceCheck.create(
            service="history", at=at, ok=minutes != 1, response_time_ms=10.0 + minutes
        )
    await JobRecord.create(
        name=f"{watch.id}.sync",
        args={"playlist": "PL123", "ids": [1, 2]},
        status="succeeded",
        user_id=alice.id,
        progress={"percent": 100},
        finished_at=now,
    )


async def check_restored(app: Any, watch: Watch, before: dict[str, list[tuple[Any, ...]]]) -> None:
    """Everything works on the restored install, with the secret key of the original one."""
    core = app.extensions["medianest"]
    alice = ApiClient(app)
    await alice.sign_in("alice", ALICE_PASSWORD)
    session = await data(await alice.get("/api/auth/session"))
    assert session["user"]["username"] == "alice"
    admin = ApiClient(app)
    await admin.sign_in("root", DEFAULT_PASSWORD)
    config = await data(await admin.get("/api/admin/config"))
    assert config["rate_limits"]["images"]["limit"] == 7
    assert (await core.services.get(watch.id)).api_key == SERVICE_KEY
    plugin_settings = await core.plugin_settings(watch.id)
    assert (
        plugin_settings.webhook_secret.get_secret_value() == HOOK_SECRET
        and plugin_settings.refresh_seconds == 45
    )
    access = await PlexAccess.get(user__username="alice")
    context = f"plex_access|server_token|{access.user_id}"
    assert core.secrets.decrypt(access.server_token, context=context) == SERVER_TOKEN
    audit = await data(await admin.get("/api/admin/audit?action=admin."))
    actions = {entry["action"] for entry in audit["items"]}
    assert {"admin.service_updated", "admin.config_updated", "admin.plugin_updated"} <= actions
    # new rows get new ids: PostgreSQL's sequences were moved past the restored ones
    restored_ids = [row[0] for row in before["audit_log"]]
    newest = await AuditEntry.filter(action="auth.sign_in").order_by("-id").first()
    assert newest is not None and newest.id > max(restored_ids)
    assert await JobRecord.filter(name=f"{watch.id}.sync", status="succeeded").count() == 1


def header_of(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return json.loads(file.readline())


def rewrite(source: Path, target: Path, edit: Callable[[dict[str, Any], list[Any]], None]) -> Path:
    """A copy of a backup with its header and rows changed by `edit` (counts kept consistent)."""
    with gzip.open(source, "rt", encoding="utf-8") as file:
        lines = [json.loads(line) for line in file]
    header, rows = lines[0], lines[1:-1]
    edit(header, rows)
    counts = {table["table"]: 0 for table in header["tables"]}
    for row in rows:
        counts[row["t"]] = counts.get(row["t"], 0) + 1
    for table in header["tables"]:
        table["rows"] = counts[table["table"]]
    with gzip.open(target, "wt", encoding="utf-8") as file:
        for line in [header, *rows, {"end": {"rows": len(rows)}}]:
            file.write(json.dumps(line) + "\n")
    return target


async def backed_up(
    make_install: Any, kind: str, tmp_path: Path, *args: str
) -> tuple[dict[str, Any], Watch, Path]:
    """A populated install of `kind` and a backup of it (`args` go to the command)."""
    source = await make_install(kind)
    watch = Watch()
    async with running(source, [watch, medianest_plex]) as app:
        await populate(app, watch)
    file = tmp_path / f"backup-{uuid.uuid4().hex[:6]}.json.gz"
    result = await invoke(["backup", str(file), *args], source)
    assert result.exit_code == 0, result.output
    return source, watch, file


# ---- round trips -------------------------------------------------------------------------------

PAIRS = [(a, b) for a in _selected_backends() for b in _selected_backends()]


@pytest.mark.parametrize(("origin", "destination"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
async def test_a_backup_restores_whole_into_an_empty_install(
    make_install, tmp_path, origin, destination
):
    source, watch, file = await backed_up(make_install, origin, tmp_path)
    before = await snapshot(source)

    header = header_of(file)
    assert header["format"] == "medianest-backup" and header["format_version"] == 1
    assert header["database"] == ("sqlite" if origin == "embedded" else "postgres")
    assert header["apps"]["medianest"]["migrations"][-1] == "0005_users_without_identities"
    assert header["apps"]["plex"]["migrations"] == ["0001_access"]
    assert {t["table"]: t["rows"] for t in header["tables"]} == {
        name: len(rows) for name, rows in before.items()
    }
    assert "ring" not in header["secret_key"]
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    with gzip.open(file, "rt") as content:
        text = content.read()
    assert key_file(source).read_text().split(":")[1].strip() not in text  # the key is not in it
    assert SERVICE_KEY not in text and HOOK_SECRET not in text  # secrets stay encrypted

    target = await make_install(destination)
    result = await invoke(["restore", str(file)], target)
    assert result.exit_code == 0, result.output
    assert f"restored {sum(map(len, before.values()))} row(s)" in result.output
    assert "holds no secret key" in result.output and not key_file(target).exists()
    assert await snapshot(target) == before  # every row, every value, whatever the backend

    key_file(target).parent.mkdir(parents=True, exist_ok=True)
    key_file(target).write_text(key_file(source).read_text())  # as the guide says: keep the key
    key_file(target).chmod(0o600)
    async with running(target, [watch, medianest_plex]) as app:
        await check_restored(app, watch, before)


async def test_the_key_travels_with_include_key_and_is_never_overwritten(
    make_install, tmp_path, backend
):
    source, watch, file = await backed_up(make_install, backend, tmp_path, "--include-key")
    assert KeyRing.parse(header_of(file)["secret_key"]["ring"]) == KeyRing.parse(
        key_file(source).read_text()
    )
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    before = await snapshot(source)

    target = await make_install(backend)
    result = await invoke(["restore", str(file)], target)
    assert result.exit_code == 0, result.output
    assert f"wrote the backup's secret key to {key_file(target)}" in result.output
    assert key_file(target).read_text() == key_file(source).read_text()
    assert stat.S_IMODE(os.stat(key_file(target)).st_mode) == 0o600
    async with running(target, [watch, medianest_plex]) as app:
        await check_restored(app, watch, before)

    other = await make_install(backend)
    key_file(other).parent.mkdir(parents=True)
    different = KeyRing._generate().serialize()
    key_file(other).write_text(different)
    key_file(other).chmod(0o600)
    refused = await invoke(["restore", str(file)], other)
    assert refused.exit_code == 1 and "holds a different secret key" in refused.output
    assert key_file(other).read_text() == different
    assert await rows_anywhere(other) == []


async def test_under_another_key_secrets_read_as_needing_reentry(make_install, tmp_path, backend):
    _source, watch, file = await backed_up(make_install, backend, tmp_path)
    target = await make_install(backend)
    other_key = KeyRing._generate().serialize().strip()
    result = await invoke(["restore", str(file)], target, MEDIANEST_SECRET_KEY=other_key)
    assert result.exit_code == 0, result.output
    assert "does not hold the key the backup's secrets were encrypted with" in result.output

    async with running(target, [watch, medianest_plex], secret_key=other_key) as app:
        core = app.extensions["medianest"]
        assert (await core.services.get(watch.id)).api_key is None
        admin = ApiClient(app)
        await admin.sign_in("root", DEFAULT_PASSWORD)  # passwords do not depend on the key
        listed = (await data(await admin.get("/api/admin/services")))["items"]
        entry = next(item for item in listed if item["name"] == watch.id)
        assert entry["has_api_key"] is True and entry["needs_reentry"] is True


async def test_an_older_backup_is_restored_then_migrated(make_install, tmp_path, backend):
    """A backup made before the newest migrations (0003 and 0004, when Plex identities lived in
    `users`): restored at its own schema, then upgraded with nothing lost, on either database."""
    source, watch, file = await backed_up(make_install, backend, tmp_path)
    newer_tables = {"jobs", "service_checks", "service_status", "linked_accounts"}
    moved: dict[str, Any] = {}

    def older(header: dict[str, Any], rows: list[Any]) -> None:
        header["apps"]["medianest"]["migrations"][2:] = []
        tables = {t["table"]: t for t in header["tables"]}
        linked = dict(
            zip(
                (c for c, _ in tables["linked_accounts"]["columns"]),
                next(row["r"] for row in rows if row["t"] == "linked_accounts"),
                strict=True,
            )
        )
        moved.update(linked)
        users = tables["users"]
        id_at = [column for column, _ in users["columns"]].index("id")
        users["columns"] += [
            ["plex_id", "text"],
            ["plex_username", "text"],
            ["plex_token", "text"],
            ["plex_token_checked_at", "datetime"],
        ]
        for row in rows:
            if row["t"] == "users":
                mine = row["r"][id_at] == linked["user_id"]
                row["r"] += (
                    [
                        linked["external_id"],
                        linked["username"],
                        linked["token"],
                        linked["checked_at"],
                    ]
                    if mine
                    else [None, None, None, None]
                )
        header["tables"] = [t for t in header["tables"] if t["table"] not in newer_tables]
        rows[:] = [row for row in rows if row["t"] not in newer_tables]

    old = rewrite(file, tmp_path / "old.json.gz", older)
    target = await make_install(backend)
    result = await invoke(["restore", str(old)], target)
    assert result.exit_code == 0, result.output
    restored = await snapshot(target)
    before = await snapshot(source)
    assert {name: restored[name] for name in before if name not in newer_tables} == {
        name: before[name] for name in before if name not in newer_tables
    }
    assert all(
        restored[name] == [] for name in newer_tables - {"linked_accounts"}
    )  # migrated after
    # The Plex identity moved from `users` into linked_accounts, its token unchanged (so it still
    # decrypts under the same key: the context it is bound to did not change).
    async with running(target, [watch, medianest_plex]) as app:
        core = app.extensions["medianest"]
        alice = await core.accounts.find("plex", "4242")
        assert alice is not None and alice.username == "alice_p"
        assert (await core.users.get(alice.user_id)).username == "alice"
        assert (await LinkedAccount.get(provider="plex")).token == moved["token"]
    async with running(source, [watch, medianest_plex]) as app:
        assert await app.extensions["medianest"].accounts.token("plex", alice.user_id) == PLEX_TOKEN


# ---- refusals -------------------------------------------------------------------------------


async def test_a_non_empty_install_is_refused_and_left_alone(make_install, tmp_path, backend):
    source, _watch, file = await backed_up(make_install, backend, tmp_path)
    before = await snapshot(source)
    result = await invoke(["restore", str(file)], source)
    assert result.exit_code == 1
    assert "already holds data" in result.output and "MEDIANEST_DATABASE_URL" in result.output
    assert await snapshot(source) == before

    started_once = await make_install(backend)  # its first start made the bootstrap admin
    async with running(started_once, []):
        pass
    result = await invoke(["restore", str(file)], started_once)
    assert result.exit_code == 1 and "already holds data" in result.output
    assert [row[1] for row in (await snapshot(started_once))["users"]] == ["admin"]


async def test_a_failure_while_inserting_rolls_everything_back(make_install, tmp_path, backend):
    _source, _watch, file = await backed_up(make_install, backend, tmp_path)

    def duplicate_user(header: dict[str, Any], rows: list[Any]) -> None:
        columns = [
            name
            for name, _ in next(t for t in header["tables"] if t["table"] == "users")["columns"]
        ]
        alice = next(
            row
            for row in rows
            if row["t"] == "users" and row["r"][columns.index("username")] == "alice"
        )
        copy = list(alice["r"])
        copy[columns.index("id")] = str(uuid.uuid4())  # same user name: the unique index refuses it
        rows.insert(rows.index(alice) + 1, {"t": "users", "r": copy})

    broken = rewrite(file, tmp_path / "duplicate.json.gz", duplicate_user)
    target = await make_install(backend)
    result = await invoke(["restore", str(broken)], target)
    assert result.exit_code == 1, result.output
    assert "restoring users failed" in result.output and "nothing was restored" in result.output
    assert await rows_anywhere(target) == []  # plugin_state went in before users: rolled back too


async def test_damaged_files_are_refused_before_the_database_is_touched(
    make_install, tmp_path, backend
):
    _source, _watch, file = await backed_up(make_install, backend, tmp_path)
    whole = file.read_bytes()
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    flipped = tmp_path / "flipped.json.gz"
    flipped.write_bytes(
        whole[:-12] + bytes([whole[-12] ^ 0xFF]) + whole[-11:]
    )  # CRC no longer matches

    def garble(header: dict[str, Any], rows: list[Any]) -> None:
        rows[3] = {"t": "users", "r": "not a row"}

    def wrong_type(header: dict[str, Any], rows: list[Any]) -> None:
        columns = [
            name
            for name, _ in next(t for t in header["tables"] if t["table"] == "users")["columns"]
        ]
        user = next(row for row in rows if row["t"] == "users")
        user["r"][columns.index("created_at")] = "yesterday"

    no_end = tmp_path / "no-end.json.gz"
    with gzip.open(file, "rt") as source, gzip.open(no_end, "wt") as target:
        target.writelines(source.readlines()[:-1])
    cases = {
        cut: "cut short",
        flipped: "damaged",
        no_end: "end line is missing",
        rewrite(file, tmp_path / "garbled.json.gz", garble): "does not have its",
        rewrite(
            file, tmp_path / "typed.json.gz", wrong_type
        ): "users.created_at holds a value that is not datetime",
    }
    target = await make_install(backend)
    for path, message in cases.items():
        result = await invoke(["restore", str(path)], target)
        assert result.exit_code == 1, (path, result.output)
        assert message in result.output and "nothing was restored" in result.output, (
            path,
            result.output,
        )
    assert await rows_anywhere(target) == []


async def test_what_is_not_a_backup_is_refused(make_install, tmp_path):
    target = await make_install("embedded")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    other_json = tmp_path / "other.json.gz"
    with gzip.open(other_json, "wt") as file:
        file.write('{"hello": "world"}\n')
    binary = tmp_path / "binary.gz"
    with gzip.open(binary, "wb") as file:
        file.write(bytes(range(256)))
    cases = {
        text: "not a MediaNest backup (not a gzip file)",
        other_json: "not a MediaNest backup",
        binary: "not a MediaNest backup",
        tmp_path / "missing.json.gz": "cannot be read: No such file or directory",
    }
    for path, message in cases.items():
        result = await invoke(["restore", str(path)], target)
        assert result.exit_code == 1 and message in result.output, (path, result.output)
    assert not (Path(target["data_dir"]) / "medianest.sqlite3").exists()


async def test_newer_backups_are_refused(make_install, tmp_path):
    _source, _watch, file = await backed_up(make_install, "embedded", tmp_path)

    def edit(
        change: Callable[[dict[str, Any]], None],
    ) -> Callable[[dict[str, Any], list[Any]], None]:
        return lambda header, rows: change(header)

    cases = {
        "format": (edit(lambda h: h.update(format_version=2)), "uses backup format 2"),
        "version": (
            edit(lambda h: h.update(medianest_version="999.0")),
            "made by MediaNest 999.0, which is newer",
        ),
        "schema": (
            edit(lambda h: h["apps"]["plex"]["migrations"].append("0002_from_the_future")),
            "the plugin plex here does not know the migration(s) 0002_from_the_future",
        ),
    }
    target = await make_install("embedded")
    for name, (change, message) in cases.items():
        result = await invoke(
            ["restore", str(rewrite(file, tmp_path / f"{name}.json.gz", change))], target
        )
        assert result.exit_code == 1 and message in result.output, (name, result.output)
    assert not (Path(target["data_dir"]) / "medianest.sqlite3").exists()


async def test_data_of_a_plugin_that_is_not_installed_is_refused(make_install, tmp_path):
    _source, _watch, file = await backed_up(make_install, "embedded", tmp_path)
    target = await make_install("embedded")
    result = await invoke(["restore", str(file)], target, MEDIANEST_BLOCK_PLUGINS="plex")
    assert result.exit_code == 1
    assert (
        "plugins that are not installed (or not loaded) here: plex (plex_access: 1 rows)"
        in result.output
    )
    assert not (Path(target["data_dir"]) / "medianest.sqlite3").exists()

    without_rows = rewrite(
        file,
        tmp_path / "no-plex-rows.json.gz",
        lambda h, rows: rows.__setitem__(
            slice(None), [row for row in rows if row["t"] != "plex_access"]
        ),
    )
    result = await invoke(["restore", str(without_rows)], target, MEDIANEST_BLOCK_PLUGINS="plex")
    assert result.exit_code == 0, result.output
    assert "plugins in the backup with no data, not installed here: plex" in result.output


async def test_backup_refuses_to_replace_a_file_and_writes_to_stdout(make_install, tmp_path):
    source = await make_install("embedded")
    async with running(source, []):
        pass
    existing = tmp_path / "existing.json.gz"
    existing.write_text("keep me")
    result = await invoke(["backup", str(existing)], source)
    assert result.exit_code == 1 and "already exists" in result.output
    assert existing.read_text() == "keep me"

    piped = await invoke(["backup", "-"], source)
    assert piped.exit_code == 0, piped.stderr
    assert "backed up" in piped.stderr and "NOT in the file" in piped.stderr
    copy = tmp_path / "piped.json.gz"
    copy.write_bytes(piped.stdout_bytes)
    assert header_of(copy)["format"] == "medianest-backup"
    target = await make_install("embedded")
    assert (await invoke(["restore", str(copy)], target)).exit_code == 0


async def test_a_big_table_is_streamed_in_batches(make_install, tmp_path, backend, monkeypatch):
    source = await make_install(backend)
    entries = 3 * dump.BATCH_ROWS + 17
    async with running(source, []):
        rows = [
            AuditEntry(action="test.bulk", target=f"row:{n}", details={"n": n})
            for n in range(entries)
        ]
        await AuditEntry.bulk_create(rows, batch_size=500)
    queries: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            queries.append(str(record.args[0]) if record.args else record.getMessage())

    client_log = logging.getLogger("tortoise.db_client")
    handler, level = Collect(), client_log.level
    monkeypatch.setattr(client_log, "propagate", False)  # the queries carry values: keep them here
    client_log.setLevel(logging.DEBUG)
    client_log.addHandler(handler)
    try:
        file = tmp_path / "big.json.gz"
        backed = await invoke(["backup", str(file)], source)
        reads = [
            q for q in queries if q.startswith("SELECT") and '"audit_log"' in q and "LIMIT" in q
        ]
        target = await make_install(backend)
        queries.clear()
        restored = await invoke(["restore", str(file)], target)
        writes = [q for q in queries if q.startswith('INSERT INTO "audit_log"')]
    finally:
        client_log.removeHandler(handler)
        client_log.setLevel(level)
    assert backed.exit_code == 0, backed.output
    assert restored.exit_code == 0, restored.output
    # one bounded query per batch, never the whole table at once; likewise the inserts
    assert len(reads) >= entries // dump.BATCH_ROWS
    assert len(writes) >= entries // load.BATCH_ROWS
    after = await snapshot(target)
    assert len(after["audit_log"]) == entries + 1  # and the bootstrap admin's entry
    assert sorted(row[6]["n"] for row in after["audit_log"] if row[4] == "test.bulk") == list(
        range(entries)
    )


@pytest.mark.parametrize("command", [["backup"], ["restore"]])
def test_the_commands_have_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
