"""What a plugin needs to show itself in the web UI: header links, pages inside the shell, the
shell's sign-in redirect. Re-exported by `medianest.sdk`.

A plugin's pages are a blueprint returned from `register_pages`; its templates extend
`BASE_TEMPLATE` and import macros from `MACROS_TEMPLATE`, and a view answers with
`await render_page("<plugin id>/page.html", **context)`. The shell (the `medianest-web`
plugin, or another that provides one) does the rendering, so a plugin never imports it. Files in
the plugin's `static/` folder are served content-hashed at `/static/plugins/<plugin id>/…`;
templates get their URLs with `asset("js/page.js", plugin="<plugin id>")`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quart import current_app

from medianest.plugins.contributions import NavEntry, Shell

if TYPE_CHECKING:
    from quart import Response

__all__ = [
    "BASE_TEMPLATE",
    "MACROS_TEMPLATE",
    "NO_STORE",
    "NavEntry",
    "Shell",
    "has_shell",
    "login_url",
    "render_page",
]

BASE_TEMPLATE = "shell/base.html"  # the layout: header, theme, toasts; blocks title, head, main
MACROS_TEMPLATE = "shell/macros.html"  # icon(name, class="")
NO_STORE = "no-store"  # pages are personal and change with state: never cached


def has_shell(core: Any) -> bool:
    """Whether pages are served here (a shell is installed); without one, only the API is."""
    return getattr(core, "shell", None) is not None


async def render_page(template: str, *, status: int = 200, **context: Any) -> Response:
    """A page rendered inside the shell: `template` extends `BASE_TEMPLATE`; never cached."""
    return await _shell().render(template, status=status, **context)


def login_url(next_path: str | None = None) -> str:
    """The shell's sign-in page, asked to send the visitor on to `next_path` when that is safe."""
    return _shell().login_url(next_path)


def _shell() -> Shell:
    shell = current_app.extensions["medianest"].shell
    if shell is None:
        raise RuntimeError("no shell is installed: pages need one (the medianest-web plugin)")
    return shell
