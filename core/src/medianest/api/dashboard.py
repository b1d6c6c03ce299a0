"""`/api/dashboard`: service status and widgets, from caches only.

Neither route ever waits on an external service: the status comes from the coordinators'
cache, and each widget's `data(core, actor)` gets half a second to read its plugin's cache.
A widget that raises, overruns or fails to render becomes that widget's `error`; the
request itself always succeeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from quart import Blueprint, current_app, g

from medianest.auth.policy import signed_in
from medianest.errors import listing
from medianest.plugins.contributions import Widget

if TYPE_CHECKING:
    from medianest.auth.actor import Actor
    from medianest.core import Core

log = logging.getLogger("medianest.dashboard")

WIDGET_TIMEOUT = 0.5  # seconds; widgets read caches, so this is generous
TIMED_OUT = "This widget did not answer in time."
FAILED = "This widget could not load its data."
NOT_RENDERED = "This widget could not be displayed."

blueprint = Blueprint("dashboard", __name__, url_prefix="/api/dashboard")


def _core() -> Core:
    return current_app.extensions["medianest"]


@blueprint.get("/status")
@signed_in
async def status():
    """Every enabled service's status, as last checked (never waits on a service)."""
    return listing(_core().status.entries())


@blueprint.get("/widgets")
@signed_in
async def widgets():
    """The widgets of enabled plugins this user may see, each with its data or its error."""
    return listing(await _board(current_app).items(_core(), g.actor))


def _board(app: Any) -> WidgetBoard:
    board = app.extensions.get("medianest.widgets")
    if board is None:
        board = app.extensions["medianest.widgets"] = WidgetBoard()
    return board


class WidgetBoard:
    """Collects the widgets' data concurrently and renders their templates."""

    def __init__(self, timeout: float = WIDGET_TIMEOUT) -> None:
        self.timeout = timeout
        self._environments: dict[str, Environment] = {}
        self._failing: set[str] = set()  # widgets whose failure was logged (once per episode)

    async def items(self, core: Core, actor: Actor) -> list[dict[str, Any]]:
        visible = [
            (plugin_id, widget)
            for plugin_id, widget in core.host.contributed("register_widgets")
            if widget.permission is None or actor.can(widget.permission)
        ]
        visible.sort(key=lambda pair: (pair[1].order, pair[0], pair[1].id))
        return list(
            await asyncio.gather(*(self._item(core, actor, pid, widget) for pid, widget in visible))
        )

    async def _item(
        self, core: Core, actor: Actor, plugin_id: str, widget: Widget
    ) -> dict[str, Any]:
        record = core.host.get(plugin_id)
        item: dict[str, Any] = {
            "id": widget.id,
            "plugin": plugin_id,
            "plugin_title": record.title if record is not None else plugin_id,
            "title": widget.title,
            "order": widget.order,
        }
        try:
            async with asyncio.timeout(self.timeout):
                data = await widget.data(core, actor)
            data = _json_object(data)
        except TimeoutError:
            return self._failed(item, TIMED_OUT, f"took longer than {self.timeout:g} s")
        except Exception as exc:
            return self._failed(item, FAILED, "raised an exception", exc)
        if widget.template:
            try:
                item["html"] = await self._render(core, plugin_id, widget, data, actor)
            except Exception as exc:
                return self._failed(item, NOT_RENDERED, f"failed to render {widget.template}", exc)
        self._failing.discard(widget.id)
        return {**item, "data": data}

    def _failed(
        self, item: dict[str, Any], message: str, why: str, exc: BaseException | None = None
    ) -> dict[str, Any]:
        """The item with its error; logged when the widget starts failing, not on every load."""
        if item["id"] not in self._failing:
            self._failing.add(item["id"])
            log.warning("widget %s of plugin %s %s", item["id"], item["plugin"], why, exc_info=exc)
        return {key: value for key, value in item.items() if key != "html"} | {"error": message}

    async def _render(
        self, core: Core, plugin_id: str, widget: Widget, data: dict[str, Any], actor: Actor
    ) -> str:
        """Render `widget.template` from the plugin's `templates/` folder (or the app's loaders),
        with the same context processors as a page."""
        assert widget.template is not None  # rendered only for widgets with a template
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        template = self._environment(app, core, plugin_id).get_template(widget.template)
        context: dict[str, Any] = {"widget": widget, "data": data, "actor": actor}
        await app.update_template_context(context)
        return await template.render_async(context)

    def _environment(self, app: Any, core: Core, plugin_id: str) -> Environment:
        environment = self._environments.get(plugin_id)
        if environment is None:
            loaders = [app.jinja_env.loader]
            record = core.host.get(plugin_id)
            folder = record.folder("templates") if record is not None else None
            if folder is not None:
                loaders.insert(0, FileSystemLoader(folder))
            environment = app.jinja_env.overlay(loader=ChoiceLoader(loaders))
            self._environments[plugin_id] = environment
        return environment


def _json_object(data: object) -> dict[str, Any]:
    """The widget's data as a dict the response can carry; anything else is the widget's bug."""
    if not isinstance(data, Mapping):
        raise TypeError(f"data() returned {type(data).__name__}, not a dict")
    current_app.json.dumps(data)  # raises here, for this widget, not later for the whole page
    return dict(data)
