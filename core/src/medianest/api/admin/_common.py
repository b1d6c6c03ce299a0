"""What the admin routes share: the blueprint, the caller, paging and partial-update models."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from quart import Blueprint, current_app, g

from medianest.auth.actor import Actor
from medianest.errors import ValidationFailed

if TYPE_CHECKING:
    from medianest.core import Core

blueprint = Blueprint("admin", __name__, url_prefix="/api/admin")


class Body(BaseModel):
    """A request body: unknown fields are refused (no mass assignment), types taken as sent."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Paging(BaseModel):
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=200)


def core() -> Core:
    return current_app.extensions["medianest"]


def actor() -> Actor:
    return g.actor


def client_ip() -> str:
    return core().auth.client_ip()


@functools.cache
def partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """The same shape with every field optional and unknown fields refused: a partial-update body.

    Only the shape is checked here; the merged result is validated by the full model, whose
    errors name the field paths.
    """
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation  # any type form pydantic accepts
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = partial_model(annotation)
        fields[name] = (annotation | None, Field(default=None, description=info.description))
    return create_model(
        f"{model.__name__}Patch", __config__=ConfigDict(extra="forbid", strict=True), **fields
    )


def field_errors(error: ValidationError, prefix: str = "") -> ValidationFailed:
    """A pydantic error as the envelope's 422, each message under its dotted field path."""
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        path = ".".join([*([prefix] if prefix else []), *(str(part) for part in item["loc"])])
        fields.setdefault(path or "body", item["msg"])
    return ValidationFailed(details={"fields": fields})
