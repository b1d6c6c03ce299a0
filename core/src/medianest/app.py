"""The application factory. Nothing is built at import time."""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any

from quart import Blueprint, Quart, Request, current_app, g, request, websocket
from quart_schema import Info, QuartSchema, RequestSchemaValidationError, hide, tag_blueprint
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from medianest import __version__, accesslog, jsonbody, metrics, startup
from medianest.api import admin as admin_api
from medianest.api import auth as auth_api
from medianest.api import dashboard, health, media, realtime
from medianest.auth.policy import ATTRIBUTE as POLICY_ATTRIBUTE
from medianest.auth.policy import Policy, policy_of, uncounted
from medianest.core import Core
from medianest.errors import (
    ApiError,
    BadRequest,
    InternalError,
    PluginDisabled,
    ServiceUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
    error_response,
)
from medianest.log import configure_logging, request_id_var
from medianest.openapi import EnvelopeOpenAPIProvider
from medianest.plugins.contributions import AuthProvider, Shell
from medianest.plugins.host import PluginHost, PluginState
from medianest.settings import Settings, load_settings

log = logging.getLogger("medianest")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
}


class ApiRequest(Request):
    """Malformed or non-JSON bodies become envelope errors instead of bare 400s."""

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Quart's `get_json`, reading through `jsonbody.parse`: a body that is not UTF-8 or nests
        too deep is a 400 like any malformed JSON, on every route (quart-schema reads here too)."""
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            return None
        body = await self.get_data(cache=cache, as_text=False)
        try:
            result = jsonbody.parse(body, self.json_module.loads)
        except ValueError as error:
            result = None if silent else self.on_json_loading_failed(error)
        if cache:
            self._cached_json[silent] = result
        return result

    def on_json_loading_failed(self, error: Exception | None) -> Any:
        if error is None:
            raise UnsupportedMediaType()
        raise BadRequest("The request body is not valid JSON", details={"reason": str(error)[:200]})


def create_app(settings: Settings | None = None, plugins: Sequence[Any] | None = None) -> Quart:
    """Build a MediaNest app; `plugins` (objects) replaces entry-point discovery."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = Quart("medianest", static_folder=None)  # the shell plugin serves its own assets
    app.request_class = ApiRequest
    startup.quiet_start_failures(app)  # a failed start is one line, not a traceback
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, BODY_TIMEOUT=30)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    QuartSchema(
        app,
        info=Info(title="MediaNest", version=__version__),
        swagger_ui_path=None,  # the bundled doc UIs load scripts from CDNs
        redoc_ui_path=None,
        scalar_ui_path=None,
        openapi_provider_class=EnvelopeOpenAPIProvider,
    )
    _make_public(app, "openapi")

    host = PluginHost(
        allow=settings.plugins,
        block=settings.block_plugins,
        autoload=not settings.disable_plugin_autoload,
        timeout=settings.plugin_hook_timeout,
    )
    core = Core(app, settings, host)
    app.extensions["medianest"] = core
    _install_error_handlers(app)
    metrics.Metrics(core).install(app)  # first, so that requests the pipeline refuses are timed too
    accesslog.install(app, settings)  # likewise logged, with the final status
    _install_pipeline(app, core)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(auth_api.blueprint)
    app.register_blueprint(admin_api.blueprint)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(media.blueprint)
    app.register_blueprint(realtime.blueprint)
    app.register_blueprint(metrics.blueprint)

    host.discover(plugins)
    app.before_serving(core.start)
    app.after_serving(core.stop)
    return app


def _hide_from_openapi(app: Quart, endpoint: str, view: Any) -> None:
    try:
        hide(view)
    except AttributeError:  # a bound method: wrap it
        app.view_functions[endpoint] = hide(functools.wraps(view)(lambda *a, **k: view(*a, **k)))


def _make_public(app: Quart, endpoint: str) -> None:
    """Give a route a library registered (quart-schema's /openapi.json) the public policy, and no
    budget (a document, like a probe)."""
    view = app.ensure_async(app.view_functions[endpoint])

    @functools.wraps(view)
    async def public_view(*args: Any, **kwargs: Any) -> Any:
        return await view(*args, **kwargs)

    setattr(public_view, POLICY_ATTRIBUTE, Policy("public"))
    uncounted(public_view)
    app.view_functions[endpoint] = public_view


# ---- request pipeline: request id → policy (actor) → plugin gate → (route) → headers ----


def _install_pipeline(app: Quart, core: Core) -> None:
    @app.before_request
    async def _before_request() -> None:
        _bind_request_id(request.headers.get("X-Request-ID"))
        _refuse_unstorable_url()
        await _enforce_policy(core)
        _gate_plugin(core, request.blueprints)
        _require_json_body()

    @app.before_websocket
    async def _before_websocket() -> None:
        _bind_request_id(websocket.headers.get("X-Request-ID"))
        _gate_plugin(core, websocket.blueprints)

    @app.after_request
    async def _after_request(response):
        response.headers["X-Request-ID"] = g.get("request_id") or _bind_request_id(None)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _bind_request_id(incoming: str | None) -> str:
    request_id = incoming if incoming and REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_id = request_id
    request_id_var.set(request_id)
    return request_id


def _gate_plugin(core: Core, blueprints: list[str]) -> None:
    owner = core.blueprint_owner.get(blueprints[-1]) if blueprints else None
    if owner is None:
        return
    record = core.host.get(owner)
    if record is None or record.state in (PluginState.DISABLED, PluginState.INCOMPATIBLE):
        raise PluginDisabled(details={"plugin": owner})
    if record.state is PluginState.FAILED:
        raise ServiceUnavailable(owner, "This plugin failed; an admin can see why", plugin=owner)


def _refuse_unstorable_url() -> None:
    """A path or query that decodes to a NUL character (`%00`) reaches no route's database
    query: PostgreSQL refuses it, so it would be a 500. JSON bodies: see `jsonbody`."""
    args = request.args.items(multi=True)
    if not jsonbody.storable(request.path) or any(not jsonbody.storable(k + v) for k, v in args):
        raise BadRequest("The URL holds a NUL character", details={"reason": "nul"})


BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _require_json_body() -> None:
    """The API takes JSON only: a form or text/plain body (the CSRF-able kinds) is refused."""
    if request.method not in BODY_METHODS or not request.path.startswith("/api/"):
        return
    declares_body = (request.content_length or 0) > 0 or "Content-Type" in request.headers
    if declares_body and not request.is_json:
        raise UnsupportedMediaType()


async def _enforce_policy(core: Core) -> None:
    if request.endpoint is None or _is_static(request.endpoint):
        return  # no route matched (the 404/405 handler answers), or a static file
    policy = policy_of(current_app.view_functions.get(request.endpoint))
    if policy is None:
        raise InternalError()
    authorize = getattr(core, "authorize", None)
    if authorize is not None:
        await authorize(policy)
    elif policy.kind != "public":
        raise Unauthenticated()


# ---- errors → envelope ----------------------------------------------------------------


def _install_error_handlers(app: Quart) -> None:
    @app.errorhandler(ApiError)
    async def _api_error(error: ApiError):
        return error_response(error)

    @app.errorhandler(RequestSchemaValidationError)
    async def _validation(error: RequestSchemaValidationError):
        return error_response(
            ValidationFailed(details={"fields": _field_errors(error.validation_error)})
        )

    @app.errorhandler(HTTPException)
    async def _http(error: HTTPException):
        status = error.code or 500
        api_error = ApiError(error.description or error.name)
        api_error.status, api_error.code = (
            status,
            HTTP_CODES.get(status, re.sub(r"\W+", "_", error.name).upper()),
        )
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            api_error.headers = {"Allow": ", ".join(error.valid_methods)}
        return error_response(api_error)

    @app.errorhandler(Exception)
    async def _uncaught(error: Exception):
        log.exception("unhandled error")
        return error_response(InternalError())


def _field_errors(error: Any) -> dict[str, str]:
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return {"body": str(error)}
    fields: dict[str, str] = {}
    for item in errors(include_url=False, include_context=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"]) or "body"
        fields.setdefault(path, item["msg"])
    return fields


# ---- plugin routes --------------------------------------------------------------------


def mount_plugin_routes(core: Core, collected: dict[str, list[Blueprint]]) -> None:
    """Mount each plugin's blueprints inside its own URL space, refusing collisions."""
    for plugin_id, blueprints in collected.items():
        try:
            for index, blueprint in enumerate(blueprints):
                _mount_one(
                    core, plugin_id, blueprint, plugin_id if index == 0 else f"{plugin_id}_{index}"
                )
        except _MountError as exc:
            core.host.fail(plugin_id, f"register_routes: {exc}")
    core.app.url_map.update()


class _MountError(Exception):
    pass


def mount_shell(core: Core, collected: dict[str, list[Shell]]) -> None:
    """Take the site's front end from one plugin and mount its pages at the root.

    The shell owns every page path but the API's (`/api`, `/ws`) and other plugins' spaces
    (`/<plugin id>`). A second plugin offering a shell fails: two front ends cannot share `/`.
    """
    for plugin_id, shells in collected.items():
        try:
            if len(shells) > 1:
                raise _MountError("a plugin provides at most one shell")
            if not shells:
                continue
            if core.shell is not None:
                raise _MountError(f"the shell is already provided by {core.shell_owner!r}")
            others = tuple(f"/{other}" for other in core.host.records if other != plugin_id)
            _mount_one(
                core,
                plugin_id,
                shells[0].blueprint,
                plugin_id,
                allowed=("",),
                default="",
                outside=("/api", "/ws", *others),
                page=True,
            )
            core.shell, core.shell_owner = shells[0], plugin_id
        except _MountError as exc:
            core.host.fail(plugin_id, f"register_shell: {exc}")
    core.app.url_map.update()


def mount_pages(core: Core, collected: dict[str, list[Blueprint]]) -> None:
    """Mount each plugin's page blueprints at `/<plugin id>`, once a shell renders them."""
    for plugin_id, blueprints in collected.items():
        if blueprints and core.shell is None:
            log.info("plugin %s's pages are not served: no shell is installed", plugin_id)
            continue
        try:
            for index, blueprint in enumerate(blueprints):
                if core.shell is not None and core.shell.adopt is not None:
                    core.shell.adopt(blueprint)  # errors on its pages become the shell's pages
                name = f"{plugin_id}_pages" if index == 0 else f"{plugin_id}_pages_{index}"
                prefix = f"/{plugin_id}"
                _mount_one(
                    core, plugin_id, blueprint, name, allowed=(prefix,), default=prefix, page=True
                )
        except _MountError as exc:
            core.host.fail(plugin_id, f"register_pages: {exc}")
    core.app.url_map.update()


def mount_auth_routes(core: Core, collected: dict[str, list[AuthProvider]]) -> None:
    """Mount each auth provider's blueprint at `/api/auth/<provider id>` (the sign-in space)."""
    for plugin_id, providers in collected.items():
        try:
            for provider in providers:
                if provider.blueprint is None:
                    continue
                if provider.id != plugin_id and not provider.id.startswith(f"{plugin_id}_"):
                    raise _MountError(
                        f"auth provider id {provider.id!r} must be {plugin_id!r} or start with "
                        f"'{plugin_id}_'"
                    )
                prefix = f"/api/auth/{provider.id}"
                _mount_one(
                    core,
                    plugin_id,
                    provider.blueprint,
                    f"auth_{provider.id}",
                    allowed=(prefix,),
                    default=prefix,
                )
        except _MountError as exc:
            core.host.fail(plugin_id, f"register_auth_providers: {exc}")
    core.app.url_map.update()


def _mount_one(
    core: Core,
    plugin_id: str,
    blueprint: Blueprint,
    name: str,
    *,
    allowed: tuple[str, ...] | None = None,
    default: str | None = None,
    outside: tuple[str, ...] = (),
    page: bool = False,
) -> None:
    """Register one blueprint of a plugin after checking every route it brings.

    `page` blueprints serve HTML: their routes are left out of the OpenAPI document.
    """
    prefix = _first_set(blueprint.url_prefix, default, f"/api/{plugin_id}")
    allowed = allowed or (f"/api/{plugin_id}", f"/ws/{plugin_id}", f"/{plugin_id}")
    if not any(_under(prefix, base) for base in allowed):
        spaces = ", ".join(base or "/" for base in allowed)
        raise _MountError(f"url prefix {prefix!r} is outside {spaces}")
    scratch = Quart("medianest-route-check")
    scratch.register_blueprint(blueprint, url_prefix=prefix, name=name)
    existing = {
        (rule.rule, method)
        for rule in core.app.url_map.iter_rules()
        for method in rule.methods or ()
    }
    for rule in scratch.url_map.iter_rules():
        if _is_static(rule.endpoint):
            continue
        if policy_of(scratch.view_functions[rule.endpoint]) is None:
            raise _MountError(f"route {rule.rule} declares no policy (@public, @signed_in, …)")
        taken = next((base for base in outside if _under(rule.rule, base)), None)
        if taken is not None:
            raise _MountError(f"route {rule.rule} is inside {taken}, which is not this plugin's")
        clash = [
            m
            for m in rule.methods or ()
            if (rule.rule, m) in existing and m not in ("HEAD", "OPTIONS")
        ]
        if clash:
            owner = next(
                (r.endpoint for r in core.app.url_map.iter_rules() if r.rule == rule.rule), "?"
            )
            raise _MountError(f"route {' '.join(clash)} {rule.rule} collides with {owner}")
    if not page:
        tag_blueprint(blueprint, [plugin_id])
    core.app.register_blueprint(blueprint, url_prefix=prefix, name=name)
    core.blueprint_owner[name] = plugin_id
    if page:
        for endpoint, view in list(core.app.view_functions.items()):
            if endpoint.startswith(f"{name}."):
                _hide_from_openapi(core.app, endpoint, view)  # HTML pages are not part of the API


def _first_set(*values: str | None) -> str:
    return next(value for value in values if value is not None)


def _under(path: str, base: str) -> bool:
    return path == base or path.startswith(base + "/")


def _is_static(endpoint: str) -> bool:
    """Static files (the app's and each blueprint's) are public by nature."""
    return endpoint == "static" or endpoint.endswith(".static")


def check_route_policies(app: Quart) -> None:
    """Refuse to serve when a core route declares no policy (plugins are checked when mounted)."""
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if not _is_static(rule.endpoint) and policy_of(app.view_functions[rule.endpoint]) is None
    ]
    if missing:
        raise RuntimeError(f"routes without a policy: {', '.join(sorted(missing))}")
