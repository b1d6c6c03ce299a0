"""The OpenAPI document: quart-schema's, plus the envelope every operation answers with."""

from __future__ import annotations

from typing import Any

from quart_schema import OpenAPIProvider

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


class EnvelopeOpenAPIProvider(OpenAPIProvider):
    def schema(self) -> dict[str, Any]:
        document = super().schema()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorEnvelope"] = ERROR_ENVELOPE
        schemas["SuccessEnvelope"] = SUCCESS_ENVELOPE
        for path_item in document["paths"].values():
            for method in METHODS:
                if method in path_item:
                    _add_envelopes(path_item[method])
        return document


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def _add_envelopes(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if not any(code.startswith("2") for code in responses):
        responses["200"] = _json("#/components/schemas/SuccessEnvelope", "Success")
    responses.setdefault("default", _json("#/components/schemas/ErrorEnvelope", "Error"))
