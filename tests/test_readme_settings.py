"""The README documents every setting MediaNest reads, and `medianest worker`."""

from __future__ import annotations

import re
from pathlib import Path

from medianest.settings import ENV_PREFIX, Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_settings_table():
    table = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(MEDIANEST_[A-Z0-9_]+)`", table))
    missing = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} - documented
    assert not missing, f"README.md's settings table lacks {sorted(missing)}"


def test_the_command_list_has_the_worker_and_the_health_checks():
    commands = README.split("## Command line", 1)[1]
    for line in ("medianest worker [", "medianest worker --check", "medianest serve --check"):
        assert line in commands
