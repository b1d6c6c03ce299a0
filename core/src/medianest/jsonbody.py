"""Reading JSON that strangers send: UTF-8 only, and never nested deeper than any real body.

Every JSON body of every route (`request.get_json`, which quart-schema's `validate_request`
calls) and the first message of a websocket go through `parse`, so a body that is not UTF-8 or
nests `[` a thousand deep is a plain `ValueError` (→ 400 in the envelope), never a
`UnicodeDecodeError` or a `RecursionError` escaping as a 500. Neither may any text in it hold
what no database column can store: a NUL character (PostgreSQL refuses it) or half of a
surrogate pair (`"\ud800"`, which is not UTF-8 at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 64  # objects and arrays inside each other; MediaNest's own bodies use a handful


def parse(
    body: bytes | str, loads: Callable[[str], Any] = json.loads, *, max_depth: int = MAX_DEPTH
) -> Any:
    """The decoded JSON value; ValueError with a short reason when the body is unusable."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None  # RFC 8259 §8.1
    try:
        value = loads(text)
    except RecursionError:
        raise ValueError(f"the body is nested more than {max_depth} levels deep") from None
    _check(value, max_depth)
    return value


def storable(text: str) -> bool:
    """Whether every database MediaNest runs on can store `text` as it is."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _check(value: Any, max_depth: int) -> None:
    """Walk the value (without recursing ourselves): depth, and every key and string."""
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, str):
            if not storable(item):
                raise ValueError("the body holds a NUL character or half of a surrogate pair")
            continue
        if isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > max_depth:
            raise ValueError(f"the body is nested more than {max_depth} levels deep")
        pending.extend((child, level + 1) for child in children)
