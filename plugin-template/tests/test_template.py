"""The template renders a plugin whose own tests pass at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("plugin_id", ["weather", "home_notes"])
def test_rendered_plugin_passes_its_own_tests(tmp_path, plugin_id):
    from copier import run_copy

    target = tmp_path / plugin_id
    run_copy(
        str(TEMPLATE),
        target,
        data={"plugin_id": plugin_id, "author": "Tester"},
        defaults=True,
        unsafe=False,
        quiet=True,
        vcs_ref="HEAD",
    )
    assert (target / "src" / f"medianest_{plugin_id}" / "__init__.py").is_file()
    assert f'{plugin_id} = "medianest_{plugin_id}"' in (target / "pyproject.toml").read_text()

    env = {**os.environ, "PYTHONPATH": str(target / "src"), "MEDIANEST_TEST_BACKENDS": "embedded"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target / "tests")],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout


def test_invalid_ids_are_refused(tmp_path):
    from copier import run_copy

    with pytest.raises(ValueError, match="plugin_id"):
        run_copy(
            str(TEMPLATE),
            tmp_path / "bad",
            data={"plugin_id": "Bad-Id"},
            defaults=True,
            quiet=True,
            vcs_ref="HEAD",
        )
