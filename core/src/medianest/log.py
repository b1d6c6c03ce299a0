"""Structured logging: every line carries the request id; secrets registered here never print."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("medianest_request_id", default=None)

_secrets: set[str] = set()
# Token-shaped values that must never reach a log even when nobody registered them.
_TOKEN_PATTERNS = re.compile(
    r"(?i)(x-[a-z]+-token[=:]\s*|authorization[=:]\s*bearer\s+|x-api-key[=:]\s*|api_key[=:]\s*|token=)([^\s&\"',;]+)"
)


def register_secret(value: str | None) -> None:
    """Redact this exact value from every log line from now on (keys, tokens, passwords)."""
    if value and len(value) >= 6:
        _secrets.add(value)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return _TOKEN_PATTERNS.sub(lambda m: m.group(1) + "[redacted]", text)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)  # structured extras (`extra={"fields": {...}}`)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in entry})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Install one handler on the root logger; idempotent so tests can build many apps."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_medianest", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._medianest = True  # type: ignore[attr-defined]
    handler.addFilter(_ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            _RedactingFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("tortoise", "aiosqlite", "asyncio", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
