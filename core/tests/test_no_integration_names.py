"""The core and the web name no integration: those live in their plugins.

Every source file under `core/src` and `web/src` is read without its comments and docstrings
(Python, JavaScript, CSS, Jinja/HTML, SVG); any `plex`, `youtube`, `overseerr` or `kuma` left,
in an identifier or a string, is a leak of a plugin into the platform.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCANNED = (REPO / "core" / "src", REPO / "web" / "src")
NAMES = re.compile(r"(?<!com)(?<!per)(?<!multi)(?<!du)plex|youtube|overseerr|kuma", re.IGNORECASE)
TEXT_SUFFIXES = {".py", ".js", ".css", ".html", ".svg", ".json", ".toml", ".txt", ".md"}

# Hits the sdk work removes (the lead's part of issue 11): the Plex columns of `users`, the
# plugins' rate limits and sign-in switch, PLEX_TV_URL, and what reads or writes them.
# removed by the sdk work
# Migrations are history: they describe the tables as they were (the Plex columns `users` held
# until 0004 moved them into linked_accounts), and are never edited.
ALLOWED: dict[str, tuple[str, ...]] = {
    "core/src/medianest/migrations/0002_identity.py": ("('plex_",),
    "core/src/medianest/migrations/0004_linked_accounts.py": ("plex",),
    "core/src/medianest/migrations/0005_users_without_identities.py": ("'plex_",),
}


def _blank(match: re.Match[str]) -> str:
    """A comment replaced by its newlines, so that line numbers stay true."""
    return "\n" * match.group(0).count("\n")


JS_CSS_COMMENT = re.compile(
    r"""("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|/\*.*?\*/|//[^\n]*""", re.S
)
MARKUP_COMMENT = re.compile(r"\{#.*?#\}|<!--.*?-->", re.S)


def js_or_css_without_comments(text: str) -> str:
    return JS_CSS_COMMENT.sub(lambda m: m.group(1) if m.group(1) is not None else _blank(m), text)


def markup_without_comments(text: str) -> str:
    return MARKUP_COMMENT.sub(_blank, text)


def python_without_comments(text: str) -> str:
    """The source with its comments and docstrings blanked (tokens elsewhere kept in place)."""
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
        ):
            first = body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.add((first.value.lineno, first.value.col_offset))
    lines = text.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        is_docstring = token.type == tokenize.STRING and token.start in docstrings
        if token.type == tokenize.COMMENT or is_docstring:
            (row, col), (end_row, end_col) = token.start, token.end
            for number in range(row, end_row + 1):
                line = lines[number - 1]
                start = col if number == row else 0
                stop = end_col if number == end_row else len(line.rstrip("\n"))
                lines[number - 1] = line[:start] + " " * (stop - start) + line[stop:]
    return "".join(lines)


def code_of(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return python_without_comments(text)
    if path.suffix in (".js", ".css"):
        return js_or_css_without_comments(text)
    if path.suffix in (".html", ".svg"):
        return markup_without_comments(text)
    return text


def hits() -> list[tuple[str, int, str]]:
    found = []
    for root in SCANNED:
        for path in sorted(root.rglob("*")):
            if (
                not path.is_file()
                or path.suffix not in TEXT_SUFFIXES
                or "__pycache__" in path.parts
            ):
                continue
            relative = path.relative_to(REPO).as_posix()
            for number, line in enumerate(code_of(path).splitlines(), 1):
                if NAMES.search(line):
                    found.append((relative, number, line.strip()))
    return found


def allowed(relative: str, line: str) -> bool:
    return any(fragment in line for fragment in ALLOWED.get(relative, ()))


def test_core_and_web_name_no_integration():
    leaks = [f"{path}:{number}: {line}" for path, number, line in hits() if not allowed(path, line)]
    assert leaks == [], "integration names outside their plugins:\n" + "\n".join(leaks)


def test_the_allow_list_has_no_stale_entries():
    """An entry that no longer matches anything goes (the lead's sdk work empties the list)."""
    used = {
        (path, fragment)
        for path, _, line in hits()
        for fragment in ALLOWED.get(path, ())
        if fragment in line
    }
    stale = [
        (path, fragment)
        for path, fragments in ALLOWED.items()
        for fragment in fragments
        if (path, fragment) not in used
    ]
    assert stale == []


def test_the_scanner_sees_code_and_skips_comments():
    python = (
        'def f():\n    """Plex in a docstring."""\n    # plex in a comment\n    return "youtube"\n'
    )
    assert [bool(NAMES.search(line)) for line in python_without_comments(python).splitlines()] == [
        False,
        False,
        False,
        True,
    ]
    script = 'const a = "https://plex.tv"; // plex\n/* kuma */ let overseerr = 1;\n'
    assert [
        bool(NAMES.search(line)) for line in js_or_css_without_comments(script).splitlines()
    ] == [True, True]
    assert not NAMES.search(js_or_css_without_comments("// plex only\n/* kuma\n */"))
    assert not NAMES.search(markup_without_comments("{# plex #}<!-- kuma -->"))
    assert not NAMES.search("a complex, perplexing multiplex")
    assert (
        NAMES.search("medianest_plex") and NAMES.search("PlexAccess") and NAMES.search("btn--plex")
    )
