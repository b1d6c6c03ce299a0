"""The plugin API's boundary, enforced: who may import what.

- The packages: `lint-imports` checks the contracts in pyproject.toml's `[tool.importlinter]`
  (the core imports neither the web nor any plugin, the web no plugin, a plugin only
  `medianest.sdk` of MediaNest, plugins not one another).
- Plugin tests live outside their packages, so import-linter does not see them: they are read
  here with `ast`. A plugin's tests may import from MediaNest `medianest.sdk` and
  `medianest.testing`, and besides that their own plugin, never the web; of another plugin
  only the plugin object (to load it beside, for a capability it offers) and its stand-ins.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_IN_PLUGIN_TESTS = ("medianest.sdk", "medianest.testing")
PLUGIN_ROOTS = ("plugins", "contrib")  # first-party plugins, and contrib ones: the same rules
PLUGIN_PACKAGES = frozenset(
    path.name for root in PLUGIN_ROOTS for path in ROOT.glob(f"{root}/*/src/medianest_*")
)


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for each absolute import; `from a import b` counts as `a.b`, since `b` may
    be a module (`from medianest import audit`)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def refused_imports(source: str, own_package: str) -> list[str]:
    """The imports a test of the plugin `own_package` must not make."""
    refused = []
    for line, module in imported_modules(source):
        top = module.partition(".")[0]
        if top == "medianest":
            allowed = any(
                module == ok or module.startswith(f"{ok}.") for ok in ALLOWED_IN_PLUGIN_TESTS
            )
        elif top in PLUGIN_PACKAGES and top != own_package:
            # Another plugin loaded whole into a test app (it offers a capability the plugin
            # under test uses) and its stand-ins; never its internals.
            allowed = module == top or module.startswith(f"{top}.testing")
        elif top == "medianest_web" or top in PLUGIN_PACKAGES:
            allowed = top == own_package
        else:
            allowed = True  # the standard library, pytest, the plugin's own dependencies
        if not allowed:
            refused.append(f"line {line}: {module}")
    return refused


def plugin_test_files() -> list[tuple[Path, str]]:
    files = []
    for tests in sorted(t for root in PLUGIN_ROOTS for t in ROOT.glob(f"{root}/*/tests")):
        (package,) = [path.name for path in tests.parent.glob("src/medianest_*")]
        files += [(path, package) for path in sorted(tests.rglob("*.py"))]
    return files


@pytest.mark.parametrize(
    ("path", "package"), plugin_test_files(), ids=lambda value: getattr(value, "name", value)
)
def test_plugin_tests_import_only_the_sdk_and_testing_of_medianest(
    path: Path, package: str
) -> None:
    assert refused_imports(path.read_text(encoding="utf-8"), package) == []


@pytest.mark.parametrize(
    "source",
    [
        "from medianest.auth.models import User",
        "import medianest.ratelimit",
        "from medianest import audit",
        "from medianest_web.rendering import page",
        "from medianest_uptime_kuma.probes import check",
        "from medianest_youtube import jobs",
        "import medianest_youtube.routes",
        "def later():\n    from medianest.security.crypto import KeyRing",
    ],
)
def test_the_check_refuses_imports_past_the_sdk(source: str) -> None:
    assert refused_imports(source, "medianest_plex") != []


@pytest.mark.parametrize(
    "source",
    [
        "from medianest.sdk import Connection, ServiceDown",
        "from medianest import sdk",
        "from medianest.testing.clients import ApiClient",
        "from medianest_plex.testing import demo_household",
        "import medianest_plex",
        "from . import helpers",
        "import medianest_youtube",
        "from medianest_youtube.testing import PlaylistServer",
    ],
)
def test_the_check_allows_the_sdk_testing_and_the_plugin_itself(source: str) -> None:
    assert refused_imports(source, "medianest_plex") == []
