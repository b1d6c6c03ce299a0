"""The options an admin sets on the `uptime_kuma` service connection, besides its URL and key."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Where Uptime Kuma listens in the usual docker-compose setup.
DEFAULT_URL = "http://uptime-kuma:3001"

#: Kuma's own slug rule: lower-case letters, digits and hyphens.
SLUG_PATTERN = r"^[a-z0-9-]{1,64}$"


class KumaConfig(BaseModel):
    """`config` of the `uptime_kuma` connection: which status page MediaNest reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status_page: Annotated[
        str,
        Field(
            pattern=SLUG_PATTERN,
            title="Status page",
            description="The slug of a published status page: the last part of its address, "
            "e.g. `home` for http://uptime-kuma:3001/status/home.",
            examples=["home"],
        ),
    ]

    @field_validator("status_page", mode="before")
    @classmethod
    def _normalise_slug(cls, value: Any) -> Any:
        # Kuma lower-cases slugs and matches them case-insensitively; so do we.
        return value.strip().lower() if isinstance(value, str) else value
