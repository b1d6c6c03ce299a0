"""The plugin's two service connections, `sonarr` and `radarr`, and their options.

Each is what an admin enters under Admin → Services: the app's URL, its API key (Settings →
General → Security → API Key in Sonarr and Radarr), and `ArrConfig`. The key travels only in
the `X-Api-Key` header and is stored encrypted like every service key.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

PLUGIN_ID = "arr"


@dataclass(frozen=True)
class App:
    """One of the two apps: its connection's name, its title and what it downloads."""

    service: str
    title: str
    default_url: str
    media_type: str  # Overseerr's word: "tv" or "movie"
    include: str  # the queue's flag that embeds the title (`includeSeries`, `includeMovie`)
    embedded: str  # the key it embeds it under (`series`, `movie`)


SONARR = App("sonarr", "Sonarr", "http://sonarr:8989", "tv", "includeSeries", "series")
RADARR = App("radarr", "Radarr", "http://radarr:7878", "movie", "includeMovie", "movie")
APPS = (SONARR, RADARR)


class ArrConfig(BaseModel):
    """`config` of the `sonarr` and `radarr` connections."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    queue_size: int = Field(
        default=20, ge=1, le=100, title="Queue", description="How many downloads to read"
    )
    upcoming_days: int = Field(
        default=7, ge=1, le=60, title="Upcoming", description="How many days ahead to show"
    )
    timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for the app before giving up"
    )
