"""Entry-point discovery against real installed-distribution metadata on sys.path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from medianest.cli import main
from medianest.plugins.host import PluginHost, PluginState

GOOD_MODULE = """
from medianest.plugins import PluginSpec
plugin = PluginSpec(id="{id}", title="{id} title")
"""


def install(
    site: Path, dist: str, version: str, plugin_id: str, module_source: str, requires: str = ">=0.1"
) -> None:
    """Write a distribution's metadata and module the way pip would lay them out."""
    module = f"{dist.replace('-', '_')}_mod"
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\nRequires-Dist: "
        f"medianest{requires}\n"
    )
    (info / "entry_points.txt").write_text(f"[medianest.plugins]\n{plugin_id} = {module}\n")
    (site / f"{module}.py").write_text(textwrap.dedent(module_source))


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    install(site, "medianest-alpha", "1.2.3", "alpha", GOOD_MODULE.format(id="alpha"))
    install(
        site, "medianest-broken", "0.9.0", "broken", "raise ImportError('missing dependency foo')"
    )
    install(
        site,
        "medianest-future",
        "2.0.0",
        "future",
        GOOD_MODULE.format(id="future"),
        requires=">=99",
    )
    install(site, "medianest-liar", "1.0.0", "liar", GOOD_MODULE.format(id="someone_else"))
    return site


def ours(host: PluginHost) -> dict[str, object]:
    return {
        pid: record
        for pid, record in host.records.items()
        if pid in {"alpha", "broken", "future", "liar"}
    }


def test_discovery_records_version_state_and_errors(site):
    host = PluginHost()
    host.discover()
    records = ours(host)
    assert records["alpha"].state is PluginState.ENABLED
    assert (records["alpha"].distribution, records["alpha"].version) == ("medianest-alpha", "1.2.3")
    assert records["alpha"].requires_core == ">=0.1"
    assert records["broken"].state is PluginState.FAILED
    assert records["broken"].version == "0.9.0"
    assert "missing dependency foo" in records["broken"].error
    assert records["future"].state is PluginState.INCOMPATIBLE and ">=99" in records["future"].error
    assert (
        records["liar"].state is PluginState.FAILED
        and "differs from entry point" in records["liar"].error
    )


def test_block_allow_and_autoload_switches(site):
    blocked = PluginHost(block=["alpha"])
    blocked.discover()
    assert "alpha" not in blocked.records and "broken" in blocked.records

    allowed = PluginHost(allow=["alpha"])
    allowed.discover()
    assert set(allowed.records) == {"alpha"}

    off = PluginHost(autoload=False)
    off.discover()
    assert off.records == {}


def test_cli_plugins_list_and_toggle(site, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIANEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIANEST_PLUGINS", "alpha,broken,future")
    runner = CliRunner()

    listing = runner.invoke(main, ["plugins", "list", "--json"])
    assert listing.exit_code == 0, listing.output
    rows = {row["name"]: row for row in json.loads(listing.stdout)}
    assert rows["alpha"]["state"] == "enabled" and rows["alpha"]["version"] == "1.2.3"
    assert (
        rows["broken"]["state"] == "failed" and "missing dependency foo" in rows["broken"]["error"]
    )
    assert rows["future"]["state"] == "incompatible"

    disabled = runner.invoke(main, ["plugins", "disable", "alpha"])
    assert disabled.exit_code == 0 and "alpha: disabled" in disabled.output
    table = runner.invoke(main, ["plugins", "list"])
    assert (
        "alpha" in table.output and "disabled" in table.output and "medianest-alpha" in table.output
    )

    unknown = runner.invoke(main, ["plugins", "enable", "nope"])
    assert unknown.exit_code != 0 and "no plugin 'nope'" in unknown.output


def test_cli_names_a_bad_setting(monkeypatch):
    monkeypatch.setenv("MEDIANEST_PORT", "http")
    result = CliRunner().invoke(main, ["plugins", "list"])
    assert result.exit_code != 0
    assert "MEDIANEST_PORT" in result.output


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["plugins"],
        ["plugins", "list"],
        ["plugins", "enable"],
        ["plugins", "disable"],
    ],
)
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_plugins_add_cli_commands(site, monkeypatch):
    monkeypatch.setattr(main, "_plugins_loaded", False)  # `main` is the process-wide group
    monkeypatch.setattr(main, "commands", dict(main.commands))
    install(
        site,
        "medianest-greeter",
        "1.0.0",
        "greeter",
        """
        import click
        from medianest.plugins import PluginSpec, hookimpl
        plugin = PluginSpec(id="greeter", title="Greeter")

        @click.command()
        def greet():
            \"\"\"Say hello.\"\"\"
            click.echo("hello from a plugin")

        @hookimpl
        def register_commands(cli):
            cli.add_command(greet)
    """,
    )
    result = CliRunner().invoke(main, ["greet"])
    assert result.exit_code == 0 and "hello from a plugin" in result.stdout
    assert "greet" in CliRunner().invoke(main, ["--help"]).stdout


def test_plugin_switches_are_comma_separated_in_the_environment(monkeypatch):
    from medianest.settings import load_settings

    monkeypatch.setenv("MEDIANEST_BLOCK_PLUGINS", "alpha, broken")
    monkeypatch.setenv("MEDIANEST_PLUGINS", "alpha")
    monkeypatch.setenv("MEDIANEST_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1/32")
    settings = load_settings()
    assert settings.block_plugins == ["alpha", "broken"]
    assert settings.plugins == ["alpha"]
    assert settings.trusted_proxies == ["10.0.0.0/8", "127.0.0.1/32"]
