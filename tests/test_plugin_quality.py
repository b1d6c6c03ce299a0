"""Every plugin under plugins/ and contrib/ states its quality level, and meets what it states.

The levels and their rules are in docs/plugins/quality.md; this checks the part of each rule
a program can check (files, fixtures, hooks), for the level the README's `## Quality` section
claims, and every level below it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins"
LEVELS = ("bronze", "silver", "gold")
QUALITY_SECTION = re.compile(
    r"^## Quality\n+Level: (?P<level>\S+)\n(?P<body>.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL
)
CHECKBOX = re.compile(r"^- \[[ x]\] ", re.MULTILINE)
SECRET_WORD = re.compile(r"key|token|secret|canary", re.IGNORECASE)
FAILURE_DRILL = re.compile(
    r"\.hang\(|\.fail\(|def test_\w*(?:down|fail|broken|offline|unreachable|hang)", re.IGNORECASE
)


@dataclass
class Package:
    folder: Path
    project: dict

    @property
    def label(self) -> str:
        return str(self.folder.relative_to(ROOT))

    @property
    def entry_points(self) -> dict[str, str]:
        return self.project.get("entry-points", {}).get("medianest.plugins", {})

    @property
    def plugin_id(self) -> str:
        return next(iter(self.entry_points))

    @property
    def source(self) -> Path:
        module = self.entry_points[self.plugin_id].split(":")[0].split(".")[0]
        return self.folder / "src" / module

    def texts(self, where: Path) -> dict[Path, str]:
        return {path: path.read_text() for path in sorted(where.rglob("*.py"))}


def packages() -> list[Package]:
    found = []
    for group in ("plugins", "contrib"):
        for pyproject in sorted((ROOT / group).glob("*/pyproject.toml")):
            project = tomllib.loads(pyproject.read_text()).get("project", {})
            found.append(Package(pyproject.parent, project))
    return found


PACKAGES = packages()


def stated_level(package: Package) -> tuple[str, str]:
    readme = package.folder / "README.md"
    assert readme.is_file(), f"{package.label} has no README.md"
    section = QUALITY_SECTION.search(readme.read_text())
    assert section, f"{package.label}/README.md has no '## Quality' section with 'Level: …'"
    level = section["level"]
    assert level in LEVELS, f"{package.label}: level {level!r} is not one of {LEVELS}"
    assert CHECKBOX.search(section["body"]), f"{package.label}: no checklist under ## Quality"
    return level, section["body"]


def claims(package: Package, level: str) -> bool:
    return LEVELS.index(stated_level(package)[0]) >= LEVELS.index(level)


def test_the_first_party_plugins_are_found():
    assert len([p for p in PACKAGES if p.folder.parent.name == "plugins"]) >= 4


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.label)
def test_bronze(package: Package):
    stated_level(package)
    assert len(package.entry_points) == 1, f"{package.label}: one medianest.plugins entry point"
    assert package.source.is_dir(), f"{package.label}: no package at {package.source}"
    core = [
        Requirement(line)
        for line in package.project.get("dependencies", [])
        if Requirement(line).name == "medianest"
    ]
    assert core, f"{package.label} does not require medianest"
    assert any(spec.operator in ("<", "<=", "~=", "==") for spec in core[0].specifier), (
        f"{package.label}: give the medianest requirement an upper bound (medianest>=0.1,<1)"
    )
    assert package.project.get("authors"), f"{package.label}: no authors in pyproject.toml"
    assert list((package.folder / "tests").glob("test_*.py")), f"{package.label}: no tests/"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.label)
def test_silver(package: Package):
    if not claims(package, "silver"):
        pytest.skip(f"{package.label} does not claim silver")
    plugin_id = package.plugin_id
    pages = [DOCS / f"{plugin_id}.md", DOCS / f"{plugin_id.replace('_', '-')}.md"]
    assert any(page.is_file() for page in pages), f"{package.label}: no {pages[-1]}"

    tests = package.texts(package.folder / "tests")
    everything = "\n".join(tests.values())
    assert "app_factory" in everything, f"{package.label}: no test runs on both backends"
    pinned = [path.name for path, text in tests.items() if "MEDIANEST_TEST_BACKENDS" in text]
    assert not pinned, f"{package.label}: {pinned} pin the tests to one backend"

    source = "\n".join(package.texts(package.source).values())
    if "ServiceSpec(" in source or "SecretStr" in source:
        leak_checks = [
            line
            for line in everything.splitlines()
            if ("not in" in line and SECRET_WORD.search(line)) or "canary" in line.lower()
        ]
        assert leak_checks, f"{package.label} holds secrets but no test checks they stay out"
    assert FAILURE_DRILL.search(everything), f"{package.label}: no test makes its service fail"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.label)
def test_gold(package: Package):
    if not claims(package, "gold"):
        pytest.skip(f"{package.label} does not claim gold")
    standin = package.source / "testing.py", package.source / "testing"
    assert any(path.exists() for path in standin), f"{package.label}: no stand-in module"
    assert list((package.folder / "tests").glob("test_standin*.py")), (
        f"{package.label}: no tests/test_standin*.py checks the stand-in against the service"
    )
    source = "\n".join(package.texts(package.source).values())
    assert re.search(r"def register_demo_services\(", source), f"{package.label}: no demo"


def test_the_template_readme_has_the_quality_section():
    readme = (ROOT / "plugin-template" / "template" / "README.md.jinja").read_text()
    section = QUALITY_SECTION.search(readme)
    assert section and CHECKBOX.search(section["body"])
    assert all(level in section["body"] for level in LEVELS)
