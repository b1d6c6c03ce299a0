"""The command line an operator meets in production: read-only commands change nothing, only
`serve` creates the first admin, commands are quiet, errors are one line, and the health checks
containers run (`serve --check`, `worker --check`) say what they see."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from medianest.cli import main
from medianest.testing.processes import cli_env, free_port

pytestmark = pytest.mark.parametrize("backend", ["embedded"])  # the SQLite file is easy to inspect


def run(settings, *args: str, **extra: str | None):
    """`medianest <args>` in this process; stdout and stderr apart."""
    return CliRunner().invoke(
        main, list(args), env=cli_env(settings, MEDIANEST_LOG_LEVEL=None, **extra)
    )


def dump(settings) -> list[str]:
    with contextlib.closing(
        sqlite3.connect(settings["data_dir"] / "medianest.sqlite3")
    ) as database:
        return list(database.iterdump())


def test_plugins_list_on_a_fresh_install_creates_nothing(backend_settings):
    listing = run(backend_settings, "plugins", "list", "--json")
    assert listing.exit_code == 0, listing.output
    assert isinstance(json.loads(listing.stdout), list)
    assert not backend_settings["data_dir"].exists()  # no database, no key, no folder
    assert listing.stderr == ""


def test_read_only_commands_change_nothing_and_only_serve_creates_the_admin(backend_settings):
    upgraded = run(backend_settings, "db", "upgrade")
    assert upgraded.exit_code == 0 and upgraded.stdout == "database is up to date\n", (
        upgraded.output
    )
    before = dump(backend_settings)
    assert not [
        line for line in before if 'INSERT INTO "users"' in line
    ]  # migrating creates no admin

    listed = run(backend_settings, "plugins", "list")
    assert listed.exit_code == 0, listed.output
    assert dump(backend_settings) == before
    assert "password" not in listed.output


async def test_serve_creates_the_first_admin_after_commands_did_not(app_factory, backend_settings):
    done = await asyncio.to_thread(run, backend_settings, "db", "upgrade")
    assert done.exit_code == 0, done.output
    app = await app_factory()  # what `serve` starts
    from medianest.auth.models import User

    assert await User.filter(role="admin").count() == 1
    assert app.extensions["medianest"].creates_admin


def test_a_command_that_fails_says_so_in_one_line(backend_settings):
    nowhere = f"postgres://medianest@127.0.0.1:{free_port()}/medianest"
    failed = run(backend_settings, "plugins", "list", MEDIANEST_DATABASE_URL=nowhere)
    assert failed.exit_code == 1
    assert failed.stdout == ""
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith(
        "Error: PostgreSQL at 127.0.0.1:"
    )
    assert "Traceback" not in failed.stderr


def test_an_unexpected_error_is_one_line_unless_debugging(backend_settings, tmp_path):
    broken = tmp_path / "not-a-folder"
    broken.write_text("")  # the data directory is a file: creating the key inside it fails
    failed = run(backend_settings, "plugins", "disable", "plex", MEDIANEST_DATA_DIR=str(broken))
    assert failed.exit_code == 1
    assert failed.stderr.count("\n") == 1 and "run with --debug" in failed.stderr, failed.stderr
    debugging = run(
        backend_settings, "--debug", "plugins", "disable", "plex", MEDIANEST_DATA_DIR=str(broken)
    )
    assert debugging.exit_code == 1
    assert isinstance(debugging.exception, OSError)  # raised with its traceback, not reworded


# ---- health checks --------------------------------------------------------------------------


def test_worker_check_reads_the_heartbeat(backend_settings, tmp_path):
    beat = tmp_path / "beat.json"
    missing = run(backend_settings, "worker", "--check", MEDIANEST_WORKER_HEARTBEAT_FILE=str(beat))
    assert missing.exit_code == 1 and "no worker heartbeat" in missing.stderr

    beat.write_text(json.dumps({"pid": 1, "worker": "w1", "at": time.time()}))
    fresh = run(backend_settings, "worker", "--check", MEDIANEST_WORKER_HEARTBEAT_FILE=str(beat))
    assert fresh.exit_code == 0 and "worker w1 is healthy" in fresh.stdout

    beat.write_text(json.dumps({"pid": 1, "worker": "w1", "at": time.time() - 3600}))
    stale = run(backend_settings, "worker", "--check", MEDIANEST_WORKER_HEARTBEAT_FILE=str(beat))
    assert stale.exit_code == 1 and "3600 s old" in stale.stderr


def test_serve_check_without_a_server_fails_in_one_line(backend_settings):
    failed = run(backend_settings, "serve", "--check", MEDIANEST_PORT=str(free_port()))
    assert failed.exit_code == 1
    assert (
        failed.stderr.startswith("Error: no answer from http://127.0.0.1:")
        and failed.stderr.count("\n") == 1
    )


def test_the_heartbeat_file_defaults_to_the_data_dir(backend_settings):
    from medianest.settings import Settings

    settings = Settings(**backend_settings)
    assert (
        settings.resolved_heartbeat_file == Path(backend_settings["data_dir"]) / "worker.heartbeat"
    )
