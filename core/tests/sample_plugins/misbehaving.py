"""Plugins that fail in each way the host must contain."""

from __future__ import annotations

import asyncio

from quart import Blueprint

from medianest.auth.policy import public
from medianest.errors import ok
from medianest.plugins import Permission, PluginSpec, Widget, hookimpl


class Raising:
    plugin = PluginSpec(id="raising", title="Raising")

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint("raising", __name__)

        @bp.get("/hello")
        @public
        async def hello():
            return ok("raising")

        return [bp]

    @hookimpl
    def register_widgets(self, core):
        raise RuntimeError("widget registry exploded")


class Hanging:
    plugin = PluginSpec(id="hanging", title="Hanging")

    @hookimpl
    async def register_permissions(self, core):
        await asyncio.sleep(3600)


class WrongType:
    plugin = PluginSpec(id="wrongtype", title="Wrong type")

    @hookimpl
    def register_permissions(self, core):
        return ["not a Permission"]


class Good:
    plugin = PluginSpec(id="good", title="Good")

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint("good", __name__)

        @bp.get("/hello")
        @public
        async def hello():
            return ok("good")

        return [bp]

    @hookimpl
    def register_permissions(self, core):
        return [Permission("good.use", "Use the good plugin")]

    @hookimpl
    def register_widgets(self, core):
        async def data(core, actor):
            return {}

        return [Widget(id="good.widget", title="Good", data=data)]


class OutsideItsSpace:
    plugin = PluginSpec(id="squatter", title="Squatter")

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint("squatter", __name__, url_prefix="/api/auth")

        @bp.get("/session")
        @public
        async def session():
            return ok("mine")

        return [bp]


class Unpoliced:
    plugin = PluginSpec(id="unpoliced", title="Unpoliced")

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint("unpoliced", __name__)

        @bp.get("/open")
        async def open_route():
            return ok("anyone")

        return [bp]


class SelfColliding:
    plugin = PluginSpec(id="twice", title="Twice")

    @hookimpl
    def register_routes(self, core):
        blueprints = []
        for name in ("a", "b"):
            bp = Blueprint(name, __name__)

            @bp.get("/same")
            @public
            async def same():
                return ok("same")

            blueprints.append(bp)
        return blueprints


class TypoHook:
    plugin = PluginSpec(id="typo", title="Typo")

    @hookimpl
    def register_widget(self, core):  # singular: not a hook
        return []


class FailingStartup:
    plugin = PluginSpec(id="badstart", title="Bad start")

    @hookimpl
    def register_routes(self, core):
        bp = Blueprint("badstart", __name__)

        @bp.get("/hello")
        @public
        async def hello():
            return ok("badstart")

        return [bp]

    @hookimpl
    async def startup(self, core):
        raise ConnectionError("could not reach its service")
