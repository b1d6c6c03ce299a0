"""`medianest keys rotate` on both backends: every kind of stored secret moves to the new key,
the old key leaves the key file, damaged values are reported and read as "enter it again"."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import medianest_plex
from admin_support import Watch, data
from medianest.auth.models import LinkedAccount, token_context
from medianest.cli import main
from medianest.config.models import ServiceConnection
from medianest.config.services import key_context
from medianest.plugins.models import PluginStateRow
from medianest.security.crypto import DEFAULT_KEY_FILE, KeyRing, SecretBox
from medianest.testing.clients import create_user, signed_in
from medianest.testing.processes import cli_env
from medianest_plex.models import PlexAccess

PLEX_TOKEN = "plex-user-token-for-rotation"
SERVER_TOKEN = "plex-server-token-for-rotation"
SERVICE_KEY = "service-key-for-rotation-0001"
OTHER_KEY = "service-key-for-rotation-0002"
HOOK_SECRET = "hook-secret-for-rotation"


async def invoke(args: list[str], env: dict[str, str | None], stdin: str | None = None) -> Any:
    """Run the command line in a thread (it runs its own event loop), as an admin's shell would."""
    return await asyncio.to_thread(CliRunner().invoke, main, args, input=stdin, env=env)


def key_file(settings: dict[str, Any]) -> Path:
    return Path(settings["data_dir"]) / DEFAULT_KEY_FILE


def random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


async def plant_secrets(app: Any, watch: Watch) -> dict[str, str]:
    """One secret of every kind, each encrypted under the app's current key."""
    core = app.extensions["medianest"]
    user = await create_user(app, "viewer")
    await core.accounts.link(user.id, "plex", "4242", username="viewer_p", token=PLEX_TOKEN)
    await PlexAccess.create(
        user_id=user.id,
        machine_identifier="machine-1",
        server_token=core.secrets.encrypt(
            SERVER_TOKEN, context=f"plex_access|server_token|{user.id}"
        ),
        checked_at=datetime.now(UTC),
    )
    await core.services.put(watch.id, url="http://kuma.lan", api_key=SERVICE_KEY)
    await core.services.put("plex", url="http://plex.lan:32400", api_key=OTHER_KEY)
    await core.plugin_settings_store.update(watch.id, {"webhook_secret": HOOK_SECRET})
    return {"user": str(user.id)}


async def stored_tokens(watch: Watch, user_id: str) -> dict[str, tuple[str, str]]:
    """(token, context) of every planted secret, read straight from the database."""
    linked = await LinkedAccount.get(user_id=user_id, provider="plex")
    access = await PlexAccess.get(user_id=user_id)
    settings = (await PluginStateRow.get(id=watch.id)).settings
    return {
        PLEX_TOKEN: (linked.token, token_context("plex", user_id)),
        SERVER_TOKEN: (access.server_token, f"plex_access|server_token|{user_id}"),
        SERVICE_KEY: ((await ServiceConnection.get(name=watch.id)).api_key, key_context(watch.id)),
        OTHER_KEY: ((await ServiceConnection.get(name="plex")).api_key, key_context("plex")),
        HOOK_SECRET: (
            settings["webhook_secret"]["$encrypted"],
            f"plugin_state|settings.webhook_secret|{watch.id}",
        ),
    }


def assert_all_under(box: SecretBox, tokens: dict[str, tuple[str, str]], key_id: int) -> None:
    for plaintext, (token, context) in tokens.items():
        assert box.key_id(token) == key_id, plaintext
        assert box.decrypt(token, context=context) == plaintext


async def test_rotation_with_the_data_dir_key_file(app_factory, backend_settings):
    watch = Watch()
    app = await app_factory(plugins=[watch, medianest_plex])
    planted = await plant_secrets(app, watch)
    await app_factory.stop(app)
    before = KeyRing.parse(key_file(backend_settings).read_text())
    assert list(before.keys) == [1]

    result = await invoke(["keys", "rotate"], cli_env(backend_settings))
    assert result.exit_code == 0, result.output
    assert "5 re-encrypted" in result.output and "removed retired key(s) 1" in result.output

    after = KeyRing.parse(key_file(backend_settings).read_text())
    assert list(after.keys) == [2] and after.keys[2] != before.keys[1]
    assert stat.S_IMODE(os.stat(key_file(backend_settings)).st_mode) == 0o600
    assert not list(
        key_file(backend_settings).parent.glob(".secret.key.*")
    )  # no temporary left behind

    app = await app_factory(plugins=[watch, medianest_plex])
    core = app.extensions["medianest"]
    assert_all_under(core.secrets, await stored_tokens(watch, planted["user"]), 2)
    assert (await core.services.get(watch.id)).api_key == SERVICE_KEY
    assert (await core.plugin_settings(watch.id)).webhook_secret.get_secret_value() == HOOK_SECRET


async def test_an_interrupted_rotation_is_finished_not_restarted(app_factory, backend_settings):
    watch = Watch()
    app = await app_factory(plugins=[watch, medianest_plex])
    planted = await plant_secrets(app, watch)
    await app_factory.stop(app)
    # As if a rotation stopped right after writing the new key: key 2 active, nothing moved yet.
    ring = KeyRing.parse(key_file(backend_settings).read_text()).with_new_key()
    key_file(backend_settings).write_text(ring.serialize())

    result = await invoke(["keys", "rotate"], cli_env(backend_settings))
    assert result.exit_code == 0, result.output
    assert "finishing that rotation under key 2" in result.output

    assert list(KeyRing.parse(key_file(backend_settings).read_text()).keys) == [2]
    app = await app_factory(plugins=[watch, medianest_plex])
    assert_all_under(
        app.extensions["medianest"].secrets, await stored_tokens(watch, planted["user"]), 2
    )


async def test_a_swapped_ciphertext_is_refused_and_reads_as_needing_reentry(
    app_factory, backend_settings
):
    watch = Watch()
    app = await app_factory(plugins=[watch, medianest_plex])
    await plant_secrets(app, watch)
    plex_token = (await ServiceConnection.get(name="plex")).api_key
    await ServiceConnection.filter(name=watch.id).update(
        api_key=plex_token
    )  # copied into another row
    core = app.extensions["medianest"]
    core.services.invalidate()

    assert (await core.services.get(watch.id)).api_key is None
    admin = await signed_in(app, "root", role="admin")
    listed = await admin.get("/api/admin/services")
    assert listed.status_code == 200
    entry = next(item for item in (await data(listed))["items"] if item["name"] == watch.id)
    assert (
        entry["has_api_key"] is True and entry["needs_reentry"] is True and entry["api_key"] is None
    )
    tested = await admin.post("/api/admin/services/test", json={"name": watch.id})
    assert tested.status_code == 200
    await app_factory.stop(app)

    result = await invoke(["keys", "rotate"], cli_env(backend_settings))
    assert result.exit_code == 0, result.output
    assert f"enter it again: service_connections.api_key[{watch.id}]" in result.output
    assert "4 re-encrypted" in result.output

    app = await app_factory(plugins=[watch, medianest_plex])
    core = app.extensions["medianest"]
    assert (await core.services.get("plex")).api_key == OTHER_KEY
    assert (await core.services.get(watch.id)).api_key is None


@pytest.mark.parametrize("source", ["env", "env_file"])
async def test_operator_managed_keys_are_used_but_never_rewritten(
    app_factory, backend_settings, tmp_path, source
):
    old, new = random_key(), random_key()
    secret_file = tmp_path / "secret-key"
    extra: dict[str, str | None]
    if source == "env":
        extra = {"MEDIANEST_SECRET_KEY": f"1:{old}"}
        app_settings: dict[str, Any] = {"secret_key": f"1:{old}"}
    else:
        secret_file.write_text(f"1:{old}\n")
        secret_file.chmod(0o600)
        extra = {"MEDIANEST_SECRET_KEY_FILE": str(secret_file)}
        app_settings = {"secret_key_file": secret_file}
    watch = Watch()
    app = await app_factory(plugins=[watch, medianest_plex], **app_settings)
    planted = await plant_secrets(app, watch)
    await app_factory.stop(app)

    ring_text = f"2:{new}\n1:{old}\n"  # the operator put a new key first
    if source == "env":
        extra["MEDIANEST_SECRET_KEY"] = ring_text.replace("\n", ",").rstrip(",")
        app_settings["secret_key"] = extra["MEDIANEST_SECRET_KEY"]
    else:
        secret_file.write_text(ring_text)
    result = await invoke(["keys", "rotate"], cli_env(backend_settings, **extra))
    assert result.exit_code == 0, result.output
    assert "remove key(s) 1" in result.output and "does not change" in result.output
    if source == "env_file":
        assert secret_file.read_text() == ring_text
    assert not key_file(backend_settings).exists()

    app = await app_factory(plugins=[watch, medianest_plex], **app_settings)
    assert_all_under(
        app.extensions["medianest"].secrets, await stored_tokens(watch, planted["user"]), 2
    )


async def test_a_weak_key_is_refused_with_a_clear_error(backend_settings):
    result = await invoke(
        ["keys", "rotate"], cli_env(backend_settings, MEDIANEST_SECRET_KEY="changeme")
    )
    assert result.exit_code != 0 and "MEDIANEST_SECRET_KEY" in result.output


@pytest.mark.parametrize("command", [["keys"], ["keys", "rotate"]])
def test_keys_commands_have_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
