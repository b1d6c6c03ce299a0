"""The plugin's settings (Admin → Plugins → YouTube), its permission and its quota."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .formats import DEFAULT_FORMAT
from .urls import YOUTUBE_HOSTS, UrlRefused, normalise_host

PLUGIN_ID = "youtube"
DOWNLOAD = "youtube.download"  # the permission to submit playlists
QUOTA = "youtube"  # the budget `rate_limits.youtube`: downloads per person per window
QUOTA_LIMIT, QUOTA_WINDOW = 5, 3600

#: The format choices an admin picks from; the value is yt-dlp's format selection. None of it
#: ever comes from a person submitting a playlist.
FORMATS = {
    "mp4_1080p": DEFAULT_FORMAT,
    "mp4_720p": DEFAULT_FORMAT.replace("1080", "720"),
    "mp4_480p": DEFAULT_FORMAT.replace("1080", "480"),
    "best": "bv*+ba/b",
}
FormatName = Literal["mp4_1080p", "mp4_720p", "mp4_480p", "best"]


class YoutubeSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    allowed_hosts: list[str] = Field(
        default_factory=lambda: sorted(YOUTUBE_HOSTS),
        max_length=50,
        description="Hosts playlists may come from. A host added beyond YouTube's may be on "
        "your network (a NAS) and is read with yt-dlp's generic extractor.",
    )
    max_concurrent: int = Field(
        default=2, ge=1, le=16, description="Downloads running at once (each person's one by one)"
    )
    format: FormatName = Field(
        default="mp4_1080p",
        description="mp4_1080p: best MP4 up to 1080p (video and audio merged by ffmpeg)",
    )
    max_items: int = Field(
        default=500, ge=1, le=5000, description="Items downloaded from one playlist at most"
    )
    plex_library: str | None = Field(
        default=None,
        max_length=200,
        description="The Plex library (id or title) whose folder holds the download folder; "
        "empty: downloads are not added to Plex",
    )
    plex_download_dir: str | None = Field(
        default=None,
        max_length=1000,
        description="The download folder as the Plex server sees it (when Plex runs elsewhere); "
        "empty: the same path as MediaNest's",
    )
    import_timeout: int = Field(
        default=300, ge=5, le=3600, description="Seconds to wait for Plex to list new files"
    )

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        normalised = []
        for host in hosts:
            try:
                normalised.append(normalise_host(host))
            except UrlRefused as exc:
                raise ValueError(f"{host!r}: {exc}") from None
        return sorted(set(normalised))

    @field_validator("plex_library", "plex_download_dir")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("plex_download_dir")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/") and ":" not in value[:3]:
            raise ValueError("must be an absolute path, as the Plex server sees it")
        return value

    @property
    def format_spec(self) -> str:
        return FORMATS[self.format]


async def youtube_settings(core: Any) -> YoutubeSettings:
    """The admin's settings, or the defaults."""
    settings = await core.plugin_settings(PLUGIN_ID)
    return settings if isinstance(settings, YoutubeSettings) else YoutubeSettings()
