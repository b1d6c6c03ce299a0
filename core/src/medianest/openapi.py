"""The OpenAPI document: quart-schema's, plus what tools need to call the API for real.

- the envelope every operation answers with;
- the security schemes (the session cookie with its CSRF header, personal API tokens) and each
  operation's `security`, from the route's policy (`[]` for public routes);
- typed path parameters (UUIDs, non-negative integers, one path segment), so that generated
  clients and fuzzers reach past the router.
"""

from __future__ import annotations

import re
from typing import Any

from quart_schema import OpenAPIProvider
from werkzeug.routing import Rule
from werkzeug.routing.converters import (
    BaseConverter,
    IntegerConverter,
    UnicodeConverter,
    UUIDConverter,
)

from medianest.auth.policy import policy_of

ERROR_ENVELOPE = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["VALIDATION_ERROR"]},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        },
    },
}
SUCCESS_ENVELOPE = {
    "type": "object",
    "required": ["success", "data", "meta"],
    "properties": {
        "success": {"const": True},
        "data": {},
        "meta": {
            "type": "object",
            "properties": {"timestamp": {"type": "string"}, "version": {"type": "string"}},
        },
    },
}
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
SAFE_METHODS = frozenset({"get", "head", "options"})
SECURITY_SCHEMES = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "medianest_session",
        "description": "The browser's session (`__Host-medianest_session` over HTTPS), "
        "set by a sign-in.",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "With the session cookie, each POST, PUT, PATCH and DELETE repeats the "
        "`csrf_token` cookie's value here.",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token (`mn_…`, from `POST /api/auth/tokens`); "
        "needs no CSRF header.",
    },
    "metricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "`MEDIANEST_METRICS_TOKEN`, when set: what `/metrics` wants.",
    },
}
# quart-schema's own pattern lets `[^:]*` run across `>`, turning `/<a>/x/<uuid:b>` into `/{b}`.
RULE_PARAMETER = re.compile(r"<(?:[^<>:]*:)?([^<>]+)>")


class EnvelopeOpenAPIProvider(OpenAPIProvider):
    def schema(self) -> dict[str, Any]:
        document = super().schema()
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["ErrorEnvelope"] = ERROR_ENVELOPE
        schemas["SuccessEnvelope"] = SUCCESS_ENVELOPE
        declared = components.get("securitySchemes", {})
        components["securitySchemes"] = {**SECURITY_SCHEMES, **declared}
        for path_item in document["paths"].values():
            for method in METHODS:
                if method in path_item:
                    _add_envelopes(path_item[method])
        return document

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        policy = policy_of(self._app.view_functions[rule.endpoint])
        operations = next(iter(paths.values()))
        for method, operation in operations.items():
            operation.setdefault("security", _security(policy, method))
        return {RULE_PARAMETER.sub(r"{\1}", rule.rule): operations}, components

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, UUIDConverter):
            parameter["schema"] = {"type": "string", "format": "uuid"}
        elif isinstance(converter, IntegerConverter) and not converter.signed:
            parameter["schema"] = {"type": "integer", "minimum": max(converter.min or 0, 0)}
        elif isinstance(converter, UnicodeConverter):
            parameter["schema"] = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
        return parameter


def _security(policy: Any, method: str) -> list[dict[str, list]]:
    """Who may call: nobody in particular for public routes, else a session or a bearer token."""
    if policy is None or policy.kind == "public":
        return []
    session: dict[str, list[str]] = {"session": []}
    if method not in SAFE_METHODS:
        session["csrf"] = []
    return [session, {"bearer": []}]


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def _add_envelopes(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if not any(code.startswith("2") for code in responses):
        responses["200"] = _json("#/components/schemas/SuccessEnvelope", "Success")
    responses.setdefault("default", _json("#/components/schemas/ErrorEnvelope", "Error"))
