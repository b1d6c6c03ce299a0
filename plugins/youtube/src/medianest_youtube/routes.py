"""The YouTube API, mounted at `/api/youtube`, and the progress socket at `/ws/youtube/<id>`.

    POST   /api/youtube/download {playlist_url, collection?}  → 202 {id, status: "queued"}
    GET    /api/youtube/downloads?offset=&limit=              → {items, total, offset, limit}
    GET    /api/youtube/downloads/<id>                        → one download, with progress
    DELETE /api/youtube/downloads/<id>                        → cancelled if running, files gone
    WS     /ws/youtube/<id>                                   → `download:progress` as it happens

A person sees and deletes only their own downloads: anyone else's answers 404 `NOT_FOUND`, as
one that does not exist (and its socket closes with 4404).
"""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from quart import Blueprint
from quart_schema import validate_querystring, validate_request
from tortoise.exceptions import IntegrityError

from medianest.sdk import (
    Actor,
    Conflict,
    NotFound,
    PluginCore,
    ValidationFailed,
    current_actor,
    current_core,
    listing,
    ok,
    requires,
    signed_in,
)

from . import jobs, records
from .config import DOWNLOAD, QUOTA, youtube_settings
from .files import folder_of, remove_owned
from .models import UNFINISHED, Download
from .paths import UnsafePath
from .urls import UrlRefused, check_playlist_url

blueprint = Blueprint("youtube", __name__)
sockets = Blueprint("youtube_ws", __name__, url_prefix="/ws/youtube")

MAX_LIMIT = 100
STOP_WAIT = 30.0  # seconds DELETE waits for a running download to stop (it takes a few)
STOP_POLL = 0.1


class DownloadRequest(BaseModel):
    playlist_url: str = Field(
        max_length=65_536, description="A playlist (or video) URL of an allowed host"
    )
    collection: str | None = Field(
        default=None,
        max_length=200,
        description="The Plex collection to add it to; default: the playlist's title",
    )

    @field_validator("collection")
    @classmethod
    def _collection_title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(unicodedata.category(char) in ("Cc", "Cf") for char in value):
            raise ValueError("must not contain control or invisible characters")
        return " ".join(value.split()) or None


class Paging(BaseModel):
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)


# ---- routes ---------------------------------------------------------------------------------


@blueprint.post("/download")
@requires(DOWNLOAD)
@validate_request(DownloadRequest)
async def submit(data: DownloadRequest):
    """Queue a playlist: it downloads into your folder, then into the Plex collection."""
    core, actor = current_core(), _actor()
    settings = await youtube_settings(core)
    try:  # may look the host up in DNS: never on the event loop
        checked = await asyncio.to_thread(
            check_playlist_url, data.playlist_url, settings.allowed_hosts
        )
    except UrlRefused as refused:
        raise ValidationFailed(
            str(refused), details={"fields": {"playlist_url": str(refused)}}
        ) from None
    key = active_key(actor.user_id, checked.url)
    if await Download.filter(active_key=key).exists():
        raise _already_queued()
    await core.limits.spend(QUOTA, actor.user_id)
    try:
        download = await Download.create(
            user_id=actor.user_id,
            playlist_url=checked.url,
            collection=data.collection,
            active_key=key,
        )
    except IntegrityError:  # the same playlist, submitted twice at once
        raise _already_queued() from None
    try:
        job = await jobs.enqueue(core, download)
    except BaseException:
        await download.delete()  # nothing half-written
        raise
    await Download.filter(id=download.id).update(job_id=job.id)
    return ok({"id": str(download.id), "status": download.status}, status=202)


@blueprint.get("/downloads")
@signed_in
@validate_querystring(Paging)
async def list_downloads(query_args: Paging):
    """Your downloads, newest first, with their progress."""
    mine = Download.filter(user_id=_actor().user_id)
    found = await mine.order_by("-created_at").offset(query_args.offset).limit(query_args.limit)
    return listing(
        [records.view(download) for download in found],
        await mine.count(),
        offset=query_args.offset,
        limit=query_args.limit,
    )


@blueprint.get("/downloads/<uuid:download_id>")
@signed_in
async def get_download(download_id: uuid.UUID):
    """One of your downloads, with its overall and per-item progress."""
    return ok(records.view(await _own(download_id, _actor())))


@blueprint.delete("/downloads/<uuid:download_id>")
@signed_in
async def delete_download(download_id: uuid.UUID):
    """Cancel the download if it runs (within seconds), remove its files, forget it."""
    core, download = current_core(), await _own(download_id, _actor())
    if download.unfinished:
        await _cancel(core, download)
    await download.refresh_from_db()  # what the stopped run recorded last
    folder = _folder(core, download)
    removed = await asyncio.to_thread(remove_owned, folder, download.items)
    await download.delete()
    return ok({"id": str(download.id), "deleted": True, "files_removed": len(removed)})


@sockets.websocket("/<uuid:download_id>")
@signed_in
async def progress_socket(download_id: uuid.UUID):
    """`download:progress` messages for one of your downloads: `{event, data}` where data is
    what `GET /api/youtube/downloads/<id>` answers."""

    async def owner(actor: Actor) -> bool:
        return await Download.filter(id=download_id, user_id=actor.user_id).exists()

    await current_core().realtime.topic_socket(
        records.topic(download_id), names=(records.EVENT,), authorize=owner
    )


# ---- helpers --------------------------------------------------------------------------------


def active_key(user_id: object, url: str) -> str:
    """What makes two unfinished downloads the same: one person, one (normalised) URL."""
    return f"{user_id}:{hashlib.sha256(url.encode()).hexdigest()[:64]}"


def _already_queued() -> Conflict:
    return Conflict(
        "This playlist is already being downloaded for you; wait for it to finish.",
        details={"reason": "already_queued"},
    )


def _actor() -> Actor:
    actor = current_actor()
    assert actor is not None  # every route here is for signed-in people
    return actor


async def _own(download_id: uuid.UUID, actor: Actor) -> Download:
    download = await Download.get_or_none(id=download_id, user_id=actor.user_id)
    if download is None:
        raise NotFound("No such download")
    return download


async def _cancel(core: PluginCore, download: Download) -> None:
    """Mark it cancelled (so no run goes on with it), cancel its job and, when a worker is
    running it, wait until that worker has stopped and cleaned up."""
    now = datetime.now(UTC)
    await Download.filter(id=download.id, status__in=UNFINISHED).update(
        status="cancelled", active_key=None, finished_at=now, updated_at=now
    )
    job = await core.jobs.get(download.job_id) if download.job_id else None
    running = job is not None and job.status == "running" and _lease_alive(job, now)
    if job is not None:
        await core.jobs.cancel(job.id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (STOP_WAIT if running else 0)
    while await Download.filter(id=download.id, slot__isnull=False).exists():
        if loop.time() >= deadline:
            break  # its worker is gone (or stuck): the files go anyway
        await asyncio.sleep(STOP_POLL)


def _lease_alive(job: Any, now: datetime) -> bool:
    expires = getattr(job, "lease_expires_at", None)
    return expires is not None and expires > now


def _folder(core: PluginCore, download: Download) -> Any:
    try:
        return folder_of(
            core.settings.download_dir.resolve(), str(download.user_id), download.folder
        )
    except UnsafePath:
        return None
