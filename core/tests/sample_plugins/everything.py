"""A plugin that implements every hook, so the core's tests exercise each of them."""

from __future__ import annotations

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import validate_request

from medianest.auth.policy import public
from medianest.errors import ok
from medianest.plugins import (
    AuthProvider,
    JobSpec,
    ModelSpec,
    Permission,
    PluginSpec,
    ProbeResult,
    RequestProvider,
    StatusProbe,
    Widget,
    hookimpl,
)


class Echo(BaseModel):
    message: str
    count: int = 1


class Everything:
    """Instantiate one per test: it records which lifecycle hooks ran."""

    def __init__(self, plugin_id: str = "everything") -> None:
        self.plugin = PluginSpec(id=plugin_id, title="Everything", description="Implements every hook")
        self.calls: list[str] = []
        self.events: list[object] = []

    def blueprint(self) -> Blueprint:
        bp = Blueprint(self.plugin.id, __name__)

        @bp.get("/hello")
        @public
        async def hello():
            """Say hello."""
            return ok({"hello": self.plugin.id})

        @bp.post("/echo")
        @public
        @validate_request(Echo)
        async def echo(data: Echo):
            """Echo a validated body."""
            return ok(data.model_dump())

        @bp.get("/boom")
        @public
        async def boom():
            raise RuntimeError("secret internal detail")

        return bp

    @hookimpl
    def register_routes(self, core):
        return [self.blueprint()]

    @hookimpl
    def register_permissions(self, core):
        return [Permission(f"{self.plugin.id}.use", "Use everything")]

    @hookimpl
    def register_status_probes(self, core):
        async def check(core, connection):
            return ProbeResult(status="online", response_time_ms=1.0)

        return [StatusProbe(service=self.plugin.id, check=check, interval=60, needs_connection=False)]

    @hookimpl
    def register_widgets(self, core):
        async def data(core, actor):
            return {"answer": 42}

        return [Widget(id=f"{self.plugin.id}.summary", title="Everything", data=data)]

    @hookimpl
    def register_jobs(self, core):
        async def tick(**kwargs):
            return "ticked"

        return [JobSpec(name="tick", func=tick)]

    @hookimpl
    def register_models(self, core):
        return []

    @hookimpl
    def register_auth_providers(self, core):
        return [AuthProvider(id=self.plugin.id, title="Everything sign-in")]

    @hookimpl
    def register_request_providers(self, core):
        async def search(**kwargs):
            return []

        async def request(**kwargs):
            return {}

        return [RequestProvider(id=self.plugin.id, title="Everything", search=search, request=request)]

    @hookimpl
    def register_commands(self, cli):
        self.calls.append("register_commands")

    @hookimpl
    async def on_event(self, core, event):
        self.events.append(event)

    @hookimpl
    async def startup(self, core):
        self.calls.append("startup")

    @hookimpl
    async def shutdown(self, core):
        self.calls.append("shutdown")

    @hookimpl
    async def setup(self, core):
        self.calls.append("setup")

    @hookimpl
    async def teardown(self, core):
        self.calls.append("teardown")


# ModelSpec is exercised by the first-party plugins that ship models.
__all__ = ["Echo", "Everything", "ModelSpec"]
