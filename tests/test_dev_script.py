"""`./dev` with uv installed outside PATH (where `pip install --user` puts it): what it runs finds
uv, and the user is told how to reach it. A stand-in `uv` records how it was called (no
download: tests stay off the network)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAND_IN = """#!/bin/sh
echo "uv $*"
echo "PATH=$PATH"
"""


def test_dev_runs_commands_with_a_uv_that_is_not_on_path(tmp_path):
    home = tmp_path / "home"
    user_bin = home / ".local" / "bin"
    user_bin.mkdir(parents=True)
    (user_bin / "uv").write_text(STAND_IN)
    (user_bin / "uv").chmod(0o755)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONUSERBASE": str(home / ".local")}
    assert subprocess.run(["sh", "-c", "command -v uv"], env=env).returncode != 0  # not on PATH

    done = subprocess.run(
        [str(REPO / "dev"), "run", "medianest", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "uv run --locked medianest demo"
    assert done.stdout.splitlines()[1].startswith(f"PATH={user_bin}:")  # what it runs finds uv too
    assert f'export PATH="{user_bin}:$PATH"' in done.stderr


def test_dev_without_a_command_shows_its_usage():
    done = subprocess.run(
        [str(REPO / "dev")], capture_output=True, text=True, env=dict(os.environ), timeout=60
    )
    assert done.returncode == 2 and "./dev run COMMAND" in done.stderr


def dev_with_stand_in_uv(tmp_path: Path, *args: str, **env: str) -> str:
    """What `./dev ARGS` asks uv to run (the stand-in echoes it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "uv").write_text(STAND_IN)
    (bin_dir / "uv").chmod(0o755)
    environment = {"HOME": str(tmp_path), "PATH": f"{bin_dir}:/usr/bin:/bin", **env}
    done = subprocess.run(
        [str(REPO / "dev"), *args], env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[0]


def test_the_suite_runs_on_three_workers_a_file_to_each(tmp_path):
    ran = dev_with_stand_in_uv(tmp_path, "test", "-q")
    assert ran == "uv run --locked pytest -n 3 --dist loadfile -q"


def test_workers_are_the_callers_choice(tmp_path):
    assert dev_with_stand_in_uv(tmp_path, "test", "-n", "0", "core/tests") == (
        "uv run --locked pytest -n 0 core/tests"
    )
    assert dev_with_stand_in_uv(tmp_path, "test", "-p", "no:xdist") == (
        "uv run --locked pytest -p no:xdist"
    )
    assert dev_with_stand_in_uv(tmp_path, "test", MEDIANEST_TEST_WORKERS="5") == (
        "uv run --locked pytest -n 5 --dist loadfile"
    )
