"""Helpers shared by the core's tests."""

from __future__ import annotations

from typing import Any

from sample_plugins.everything import Everything


async def everything_app(app_factory: Any, **settings: Any) -> Any:
    return await app_factory(plugins=[Everything()], **settings)
