"""Keeping out of a process what it never uses.

A library that imports an optional dependency at import time "in case" (purgatory imports redis
for a type alias) costs every MediaNest process that memory and start time, even the embedded
default that never uses it. `hidden_modules` imports such a library with the dependency hidden,
so that it takes its own "not installed" path; the dependency is importable again afterwards,
for the code that really uses it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def hidden_modules(*names: str) -> Iterator[None]:
    """Within the block, importing any of `names` raises ImportError, unless it is already
    imported (then there is nothing left to save)."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # Python's "import halted" marker
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
