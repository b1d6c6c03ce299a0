"""A plugin that implements every hook, so the core's tests exercise each of them."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import validate_request

from medianest.auth.policy import public
from medianest.errors import Conflict, NotFound, ok
from medianest.plugins import (
    AuthProvider,
    Capability,
    JobSpec,
    ModelSpec,
    Permission,
    PluginSpec,
    ProbeResult,
    RateLimit,
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
        self.plugin = PluginSpec(
            id=plugin_id, title="Everything", description="Implements every hook"
        )
        self.calls: list[str] = []
        self.events: list[object] = []
        self.requests = MemoryRequests()

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

        return [
            StatusProbe(service=self.plugin.id, check=check, interval=60, needs_connection=False)
        ]

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
        return [self.requests.provider(self.plugin.id)]

    @hookimpl
    def register_rate_limits(self, core):
        return [RateLimit(f"{self.plugin.id}_echoes", "Echoes per person", limit=3, window=60)]

    @hookimpl
    def register_capabilities(self, core):
        return [Capability(f"{self.plugin.id}_greeter", provider=self)]

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


class MemoryRequests:
    """A request provider over a tiny in-memory catalogue: what the core's /api/media drives."""

    CATALOGUE: ClassVar[dict[int, tuple[str, str]]] = {
        101: ("movie", "Alpha"),
        102: ("movie", "Beta"),
        201: ("tv", "Gamma"),
    }

    def __init__(self) -> None:
        self.made: list[dict] = []

    def provider(self, plugin_id: str) -> RequestProvider:
        return RequestProvider(
            id=plugin_id,
            title="Memory",
            search=self.search,
            request=self.request,
            list_requests=self.list_requests,
            get_request=self.get_request,
        )

    async def search(self, core, actor, query, media_type, page):
        items = [
            {"tmdb_id": tmdb_id, "type": kind, "title": title}
            for tmdb_id, (kind, title) in self.CATALOGUE.items()
            if query.lower() in title.lower() and media_type in ("all", kind)
        ]
        return {"items": items, "total": len(items), "page": page, "pages": 1}

    async def request(self, core, actor, media_type, tmdb_id, seasons):
        if tmdb_id not in self.CATALOGUE:
            raise NotFound("No such title")
        existing = next((made for made in self.made if made["tmdb_id"] == tmdb_id), None)
        if existing is not None:
            raise Conflict("Requested already", details={"request": existing})
        made = {
            "id": len(self.made) + 1,
            "tmdb_id": tmdb_id,
            "media_type": media_type,
            "seasons": seasons,
            "user_id": actor.user_id,
            "status": "pending",
        }
        self.made.append(made)
        return made

    async def list_requests(self, core, actor, everyone, offset, limit):
        mine = [made for made in self.made if everyone or made["user_id"] == actor.user_id]
        return {"items": mine[offset : offset + limit], "total": len(mine)}

    async def get_request(self, core, actor, request_id):
        for made in self.made:
            if made["id"] == request_id and (actor.is_admin or made["user_id"] == actor.user_id):
                return made
        raise NotFound("No such request")
