"""docs/plugins/hooks.md documents every hook under its exact signature."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from medianest.plugins import hookspecs
from medianest.plugins.host import HOOK_NAMES

HOOKS_DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins" / "hooks.md"


def documented() -> dict[str, str]:
    headings = re.findall(r"^## (\w+)\((.*)\)\s*$", HOOKS_DOC.read_text(), flags=re.MULTILINE)
    return {name: args for name, args in headings}


def test_every_hook_has_a_section_with_its_exact_signature():
    sections = documented()
    for name in HOOK_NAMES:
        args = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert name in sections, f"docs/plugins/hooks.md has no section for {name}"
        assert sections[name] == args, f"{name}: documented ({sections[name]}), actual ({args})"


def test_no_section_documents_a_hook_that_does_not_exist():
    assert set(documented()) <= set(HOOK_NAMES)


def test_the_hook_list_is_what_the_host_knows():
    assert {
        "register_routes",
        "register_permissions",
        "register_status_probes",
        "register_widgets",
        "register_jobs",
        "register_models",
        "register_auth_providers",
        "register_request_providers",
        "register_commands",
        "on_event",
        "startup",
        "shutdown",
        "setup",
        "teardown",
    } <= set(HOOK_NAMES)
