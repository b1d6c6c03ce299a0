"""Rendering a page: HTML is personal and changes with state, so it is never cached.

Templates come from this package's `templates/` and, for names starting `<plugin id>/`, from
that plugin's own `templates/` folder (the convention widget templates follow too), so a
plugin's page or sign-in button needs no template folder of its own declared anywhere.
"""

from __future__ import annotations

from typing import Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, TemplateNotFound
from quart import Response, render_template

NO_STORE = "no-store"


async def page(template: str, status: int = 200, **context: Any) -> Response:
    html = await render_template(template, **context)
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = NO_STORE
    return response


class PluginTemplates(BaseLoader):
    """`<plugin id>/name.html` from the plugin's `templates/` folder."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self._loaders: dict[str, FileSystemLoader | None] = {}

    def get_source(self, environment: Environment, template: str) -> Any:
        plugin_id = template.split("/", 1)[0]
        loader = self._loader(plugin_id)
        if loader is None:
            raise TemplateNotFound(template)
        return loader.get_source(environment, template)

    def _loader(self, plugin_id: str) -> FileSystemLoader | None:
        if plugin_id not in self._loaders:
            record = self._core.host.get(plugin_id)
            folder = record.folder("templates") if record is not None else None
            self._loaders[plugin_id] = FileSystemLoader(folder) if folder else None
        return self._loaders[plugin_id]
