"""The SPEC envelope: every response is `{"success": true, "data", "meta"}` or an error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from quart import Response, current_app

from medianest import __version__


class ApiError(Exception):
    """An error that reaches the client as an envelope; raise it from any layer."""

    status = 400
    code = "BAD_REQUEST"
    message = "The request could not be processed"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(ApiError):
    pass


class ValidationFailed(ApiError):
    status, code, message = 422, "VALIDATION_ERROR", "The request failed validation"


class Unauthenticated(ApiError):
    status, code, message = 401, "UNAUTHENTICATED", "Sign in first"


class PasswordChangeRequired(ApiError):
    status, code, message = 403, "PASSWORD_CHANGE_REQUIRED", "Change your password first"


class Forbidden(ApiError):
    status, code, message = 403, "FORBIDDEN", "You may not do that"


class NotFound(ApiError):
    status, code, message = 404, "NOT_FOUND", "Not found"


class PluginDisabled(ApiError):
    status, code, message = 404, "PLUGIN_DISABLED", "This plugin is disabled"


class Conflict(ApiError):
    status, code, message = 409, "CONFLICT", "That conflicts with the current state"


class UnsupportedMediaType(ApiError):
    status, code, message = 415, "UNSUPPORTED_MEDIA_TYPE", "Send JSON (application/json)"


class RateLimited(ApiError):
    status, code, message = 429, "RATE_LIMIT_EXCEEDED", "Too many requests"

    def __init__(self, *, limit: int, window: int, retry_after: int, message: str | None = None):
        retry_after = max(1, int(retry_after))
        super().__init__(
            message,
            details={"limit": limit, "window": window, "retryAfter": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class ServiceUnavailable(ApiError):
    status, code, message = (
        503,
        "SERVICE_UNAVAILABLE",
        "A service MediaNest depends on is unavailable",
    )

    def __init__(self, service: str, message: str | None = None, **details: Any) -> None:
        super().__init__(message, details={"service": service, **details})


class InternalError(ApiError):
    status, code, message = 500, "INTERNAL_ERROR", "Something went wrong on our side"


def meta() -> dict[str, str]:
    return {"timestamp": datetime.now(UTC).isoformat(), "version": __version__}


def ok(data: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A success envelope. Returning a Response skips quart-schema's per-dict conversion."""
    # quart's JSON provider answers with the app's Response; its stub names werkzeug's.
    response: Response = current_app.json.response(  # type: ignore[assignment]
        {"success": True, "data": data, "meta": meta()}
    )
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def listing(items: list[Any], total: int | None = None, **paging: int) -> Response:
    """The SPEC's list shape: `{items, total}` plus `offset`/`limit` when paged."""
    return ok({"items": items, "total": len(items) if total is None else total, **paging})


def error_response(error: ApiError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    body["details"] = error.details
    response: Response = current_app.json.response(  # type: ignore[assignment]
        {"success": False, "error": body}
    )
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


class ServiceNotConfigured(ServiceUnavailable):
    """The admin has not connected (or has turned off) the service a plugin needs."""

    def __init__(self, service: str, message: str | None = None) -> None:
        super().__init__(
            service,
            message or f"{service} is not set up: an admin can connect it in Admin → Services",
            reason="not_configured",
        )
