"""The Plex stand-in's routes: access checks, paging and the PMS endpoints."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from quart import Quart, Response, g, request

from medianest_plex.testing._catalog import (
    LEVELS,
    SEARCH_TYPES,
    Collection,
    MediaItem,
    Section,
    SortError,
    parse_sort,
)
from medianest_plex.testing._pms_elements import ElementBuilder
from medianest_plex.testing._wire import (
    Element,
    batched_text,
    colour_for,
    render,
    solid_png,
    wants_json,
)

if TYPE_CHECKING:
    from medianest_plex.testing.pms import FakePlexServer

LIBRARY_ID = "com.plexapp.plugins.library"
URI_PATTERN = re.compile(
    rf"^server://(?P<machine>[^/]+)/{re.escape(LIBRARY_ID)}/library/metadata/(?P<keys>\d+(?:,\d+)*)$"
)
IMAGE_PATH = re.compile(
    r"^/(?:library/metadata/(?P<item>\d+)/(?:thumb|art)|library/collections/(?P<collection>\d+)/composite)"
    r"/\d+$|^/:/resources/[\w.-]+$"
)
UNAUTHORIZED_HTML = (
    "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)
ALL_TITLES = {"movie": "All Movies", "show": "All Shows", "artist": "All Artists"}
MAX_IMAGE_SIDE = 2000
STREAM_THRESHOLD = 500  # an unpaged listing longer than this is streamed


class BadRequest(Exception):
    """Answered as 400 with the message as body."""


@dataclass(frozen=True)
class Paging:
    start: int
    size: int | None
    requested: bool


def _int_param(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        raw = request.headers.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if value < 0:
        raise BadRequest(f"{name} must not be negative")
    return value


def _paging() -> Paging:
    start = _int_param("X-Plex-Container-Start")
    size = _int_param("X-Plex-Container-Size")
    return Paging(start=start or 0, size=size, requested=start is not None or size is not None)


def _respond(
    root: Element, *, status: int = 200, headers: dict[str, str] | None = None, stream: bool = False
) -> Response:
    as_json = wants_json(request.headers.get("Accept"))
    content_type = "application/json" if as_json else "text/xml;charset=utf-8"
    headers = {"X-Plex-Protocol": "1.0", **(headers or {})}
    if stream:

        async def body() -> AsyncIterator[bytes]:
            for chunk in batched_text(render(root, as_json)):
                yield chunk

        return Response(body(), status=status, content_type=content_type, headers=headers)
    return Response(
        "".join(render(root, as_json)), status=status, content_type=content_type, headers=headers
    )


def _container(children: Iterable[Element] = (), **attrs) -> Element:
    return Element("MediaContainer", attrs, list(children))


def _page_response(
    items: Sequence, to_element, *, lead: Sequence[Element] = (), limit: int | None = None, **attrs
) -> Response:
    """A MediaContainer with one page of `items` after the `lead` elements (Plex's `Meta`).

    Paging comes from `X-Plex-Container-Start`/`-Size`; when either was sent, the container
    carries `totalSize` and `offset` and the response the matching headers. An unpaged request
    gets everything, streamed when it is long.
    """
    paging = _paging()
    total = len(items) if limit is None else min(len(items), limit)
    start = min(paging.start, total)
    end = total if paging.size is None else min(total, start + paging.size)
    stream = paging.size is None and end - start > STREAM_THRESHOLD
    page = (to_element(items[i]) for i in range(start, end))
    attrs = {"size": end - start, **attrs}
    headers = {}
    if paging.requested:
        attrs.update(totalSize=total, offset=start)
        headers = {"X-Plex-Container-Start": str(start), "X-Plex-Container-Total-Size": str(total)}
    children = chain(lead, page) if stream else [*lead, *page]
    return _respond(Element("MediaContainer", attrs, children), headers=headers, stream=stream)


class PmsRoutes:
    """The PMS routes, bound to one `FakePlexServer`."""

    def __init__(self, server: FakePlexServer) -> None:
        self.server = server
        self.library = server.library
        self.elements = ElementBuilder(server.library)

    # ----- registration --------------------------------------------------------------------
    def register(self, app: Quart) -> None:
        app.before_request(self._authenticate)
        app.errorhandler(BadRequest)(self._bad_request)
        routes: list[tuple[str, list[str], Callable[..., Awaitable[Any]]]] = [
            ("/identity", ["GET"], self.identity),
            ("/", ["GET"], self.root),
            ("/library", ["GET"], self.library_root),
            ("/library/sections", ["GET"], self.sections),
            ("/library/sections/<int:section_id>", ["GET"], self.section_root),
            ("/library/sections/<int:section_id>/all", ["GET"], self.section_all),
            ("/library/sections/<int:section_id>/collections", ["GET"], self.section_collections),
            (
                "/library/sections/<int:section_id>/recentlyAdded",
                ["GET"],
                self.section_recently_added,
            ),
            ("/library/sections/<int:section_id>/refresh", ["GET", "POST", "DELETE"], self.refresh),
            ("/library/recentlyAdded", ["GET"], self.recently_added),
            ("/library/metadata/<keys>", ["GET"], self.metadata),
            ("/library/metadata/<int:rating_key>", ["DELETE"], self.delete_metadata),
            ("/library/metadata/<int:rating_key>/children", ["GET"], self.children),
            ("/library/metadata/<int:rating_key>/allLeaves", ["GET"], self.all_leaves),
            (
                "/library/metadata/<int:rating_key>/<any(thumb,art):kind>/<int:stamp>",
                ["GET"],
                self.item_image,
            ),
            ("/library/collections", ["POST"], self.create_collection),
            ("/library/collections/<int:rating_key>", ["GET"], self.collection),
            ("/library/collections/<int:rating_key>", ["DELETE"], self.delete_collection),
            (
                "/library/collections/<int:rating_key>/<any(children,items):_kind>",
                ["GET"],
                self.collection_items,
            ),
            ("/library/collections/<int:rating_key>/items", ["PUT"], self.add_collection_items),
            (
                "/library/collections/<int:rating_key>/items/<int:item_key>",
                ["DELETE"],
                self.remove_collection_item,
            ),
            (
                "/library/collections/<int:rating_key>/composite/<int:stamp>",
                ["GET"],
                self.collection_image,
            ),
            ("/:/resources/<name>", ["GET"], self.resource_image),
            ("/photo/:/transcode", ["GET"], self.transcode),
        ]
        for rule, methods, view in routes:
            app.add_url_rule(rule, view.__name__ + "_" + "_".join(methods), view, methods=methods)

    # ----- access --------------------------------------------------------------------------
    async def _authenticate(self):
        if request.path == "/identity":
            return None
        token = request.headers.get("X-Plex-Token") or request.args.get("X-Plex-Token")
        access = self.server.access_for(token)
        if access is None:
            return Response(UNAUTHORIZED_HTML, status=401, content_type="text/html")
        g.access = access
        return None

    async def _bad_request(self, error: BadRequest):
        return Response(str(error), status=400, content_type="text/plain")

    @staticmethod
    def _not_found() -> Response:
        return Response("Not Found", status=404, content_type="text/plain")

    @staticmethod
    def _owner_only() -> Response:
        # Shared users may browse but not change the library; PMS answers them 401.
        return Response(UNAUTHORIZED_HTML, status=401, content_type="text/html")

    def _visible_section(self, section_id: int) -> Section | None:
        section = self.library.sections.get(section_id)
        return section if section is not None and g.access.sees(section_id) else None

    def _visible_sections(self) -> list[Section]:
        return [s for s in self.library.sections.values() if g.access.sees(s.id)]

    def _visible_item(self, rating_key: int) -> MediaItem | None:
        item = self.library.item(rating_key)
        return item if item is not None and g.access.sees(item.section_id) else None

    def _visible_collection(self, rating_key: int) -> Collection | None:
        collection = self.library.collections.get(rating_key)
        return (
            collection if collection is not None and g.access.sees(collection.section_id) else None
        )

    # ----- server ----------------------------------------------------------------------------
    async def identity(self):
        return _respond(
            _container(
                size=0,
                claimed=True,
                machineIdentifier=self.server.machine_identifier,
                version=self.server.version,
            )
        )

    async def root(self):
        directories = [
            Element("Directory", {"count": 1, "key": key, "title": key})
            for key in ("library", "identity")
        ]
        return _respond(
            _container(
                directories,
                size=len(directories),
                allowSync=True,
                friendlyName=self.server.name,
                machineIdentifier=self.server.machine_identifier,
                version=self.server.version,
                myPlex=True,
                myPlexUsername=self.server.owner_username,
                myPlexSigninState="ok",
                multiuser=True,
                platform="Linux",
                platformVersion="6.1",
                transcoderPhoto=True,
                transcoderVideo=True,
                updatedAt=int(time.time()),
            )
        )

    async def library_root(self):
        directories = [
            Element("Directory", {"key": key, "title": title})
            for key, title in (
                ("sections", "Library Sections"),
                ("recentlyAdded", "Recently Added Content"),
            )
        ]
        return _respond(
            _container(
                directories,
                size=len(directories),
                allowSync=False,
                identifier=LIBRARY_ID,
                title1="Plex Library",
            )
        )

    async def sections(self):
        sections = [self.elements.section(s) for s in self._visible_sections()]
        return _respond(
            _container(sections, size=len(sections), allowSync=False, title1="Plex Library")
        )

    async def section_root(self, section_id: int):
        section = self._visible_section(section_id)
        if section is None:
            return self._not_found()
        directories = [
            Element("Directory", {"key": key, "title": title})
            for key, title in (
                ("all", ALL_TITLES[section.type]),
                ("recentlyAdded", "Recently Added"),
                ("collections", "Collections"),
            )
        ]
        return _respond(
            _container(
                directories,
                size=len(directories),
                allowSync=False,
                librarySectionID=section.id,
                librarySectionTitle=section.title,
                title1=section.title,
                viewGroup="secondary",
            )
        )

    def _section_attrs(self, section: Section, title2: str) -> dict:
        return {
            "allowSync": True,
            "art": f"/:/resources/{section.type}-fanart.jpg",
            "identifier": LIBRARY_ID,
            "librarySectionID": section.id,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            "mediaTagPrefix": "/system/bundle/media/flags/",
            "mediaTagVersion": section.created_at,
            "thumb": f"/:/resources/{section.type}.png",
            "title1": section.title,
            "title2": title2,
            "viewGroup": section.type,
        }

    async def section_all(self, section_id: int):
        section = self._visible_section(section_id)
        if section is None:
            return self._not_found()
        levels = LEVELS[section.type]
        type_code = _int_param("type")
        if type_code == SEARCH_TYPES["collection"]:
            return self._collections_page(section)
        libtype = (
            next((t for t in levels if SEARCH_TYPES[t] == type_code), None)
            if type_code
            else levels[0]
        )
        if libtype is None:
            raise BadRequest(f"type {type_code} does not belong to a {section.type} section")
        try:
            sort, descending = parse_sort(request.args.get("sort"))
        except SortError as error:
            raise BadRequest(str(error)) from None
        title = request.args.get("title")
        depth = levels.index(libtype)
        if depth == 0:
            items: Sequence[MediaItem] = self.library.top_level(
                section, sort=sort, descending=descending, title=title
            )
        else:
            items = self.library.level(section, depth)
        attrs = self._section_attrs(section, ALL_TITLES[section.type])
        meta = (
            [self.elements.meta(section, levels)] if request.args.get("includeMeta") == "1" else []
        )
        return self._items_page(items, attrs, meta)

    def _items_page(
        self, items: Sequence[MediaItem], attrs: dict, meta: Sequence[Element] = ()
    ) -> Response:
        return _page_response(
            items, self.elements.item, lead=meta, limit=_int_param("limit"), **attrs
        )

    def _collections_page(self, section: Section) -> Response:
        collections = self.library.section_collections(section, request.args.get("title"))
        attrs = self._section_attrs(section, "All Collections")
        meta = (
            [self.elements.meta(section, ["collection"])]
            if request.args.get("includeMeta") == "1"
            else []
        )
        return _page_response(collections, self.elements.collection, lead=meta, **attrs)

    async def section_collections(self, section_id: int):
        section = self._visible_section(section_id)
        if section is None:
            return self._not_found()
        return self._collections_page(section)

    async def section_recently_added(self, section_id: int):
        section = self._visible_section(section_id)
        if section is None:
            return self._not_found()
        items = self.library.top_level(section, sort="addedAt", descending=True)
        return self._items_page(items, self._section_attrs(section, "Recently Added"))

    async def recently_added(self):
        sections = self._visible_sections()
        paging = _paging()
        size = 50 if paging.size is None else paging.size
        merged = islice(self.library.recently_added(sections), paging.start, paging.start + size)
        page = [self.elements.item(item, detail=True) for item in merged]
        attrs: dict = {
            "size": len(page),
            "allowSync": False,
            "identifier": LIBRARY_ID,
            "title1": "Recently Added",
        }
        if paging.requested:
            total = sum(section.item_count for section in sections)
            attrs.update(totalSize=total, offset=paging.start)
        return _respond(_container(page, **attrs))

    async def refresh(self, section_id: int):
        section = self._visible_section(section_id)
        if section is None:
            return self._not_found()
        if not g.access.owner:
            return self._owner_only()
        if request.method == "DELETE":
            section.refreshing = False
            return Response("", status=200)
        path = request.args.get("path") or None
        self.server._request_scan(section, path, request.args.get("force") == "1", request.method)
        return Response("", status=200)

    # ----- metadata ----------------------------------------------------------------------------
    async def metadata(self, keys: str):
        try:
            rating_keys = [int(key) for key in keys.split(",")]
        except ValueError:
            return self._not_found()
        elements = []
        section_ids = set()
        for rating_key in rating_keys:
            if (item := self._visible_item(rating_key)) is not None:
                elements.append(self.elements.item(item, detail=True))
                section_ids.add(item.section_id)
            elif (collection := self._visible_collection(rating_key)) is not None:
                elements.append(self.elements.collection(collection))
                section_ids.add(collection.section_id)
        if not elements:
            return self._not_found()
        attrs: dict = {"size": len(elements), "allowSync": True, "identifier": LIBRARY_ID}
        if len(section_ids) == 1:
            section = self.library.sections[section_ids.pop()]
            attrs.update(
                librarySectionID=section.id,
                librarySectionTitle=section.title,
                librarySectionUUID=section.uuid,
            )
        return _respond(_container(elements, **attrs))

    async def delete_metadata(self, rating_key: int):
        if not g.access.owner:
            return self._owner_only()
        if self.library.collections.pop(rating_key, None) is None:
            return self._not_found()
        return Response("", status=200)

    async def children(self, rating_key: int):
        return self._descendants(rating_key, self.library.children)

    async def all_leaves(self, rating_key: int):
        return self._descendants(rating_key, self.library.leaves)

    def _descendants(self, rating_key: int, select):
        item = self._visible_item(rating_key)
        if item is None:
            return self._not_found()
        section = self.library.sections[item.section_id]
        attrs = {
            "allowSync": True,
            "identifier": LIBRARY_ID,
            "key": str(item.rating_key),
            "librarySectionID": section.id,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            "parentTitle": item.title,
            "title1": section.title,
            "title2": item.title,
        }
        return self._items_page(select(item), attrs)

    # ----- collections -----------------------------------------------------------------------
    def _rating_keys_from_uri(self) -> list[int]:
        uri = request.args.get("uri", "")
        match = URI_PATTERN.match(uri)
        if match is None:
            raise BadRequest(
                "uri must be server://{machineIdentifier}/com.plexapp.plugins.library/library/metadata/{ids}"
            )
        if match["machine"] != self.server.machine_identifier:
            raise BadRequest("uri names another server")
        return [int(key) for key in match["keys"].split(",")]

    async def create_collection(self):
        if not g.access.owner:
            return self._owner_only()
        if request.args.get("smart", "0") != "0":
            raise BadRequest("smart collections are not supported by this stand-in")
        title = (request.args.get("title") or "").strip()
        if not title:
            raise BadRequest("title is required")
        section_id = _int_param("sectionId")
        section = self.library.sections.get(section_id) if section_id is not None else None
        if section is None:
            raise BadRequest("sectionId must name a library section")
        type_code = _int_param("type")
        if type_code is not None and type_code not in {
            SEARCH_TYPES[t] for t in LEVELS[section.type]
        }:
            raise BadRequest(f"type {type_code} does not belong to a {section.type} section")
        keys = self._keys_in_section(section, self._rating_keys_from_uri())
        collection = self.library.create_collection(section, title, keys)
        return _respond(_container([self.elements.collection(collection)], size=1))

    def _keys_in_section(self, section: Section, keys: list[int]) -> list[int]:
        # Like Plex, items that do not exist (or live in another section) are skipped quietly.
        return [
            key
            for key in keys
            if (item := self.library.item(key)) is not None and item.section_id == section.id
        ]

    async def collection(self, rating_key: int):
        collection = self._visible_collection(rating_key)
        if collection is None:
            return self._not_found()
        return _respond(
            _container([self.elements.collection(collection)], size=1, identifier=LIBRARY_ID)
        )

    async def delete_collection(self, rating_key: int):
        return await self.delete_metadata(rating_key)

    async def collection_items(self, rating_key: int, _kind: str):
        collection = self._visible_collection(rating_key)
        if collection is None:
            return self._not_found()
        section = self.library.sections[collection.section_id]
        attrs = {
            "identifier": LIBRARY_ID,
            "librarySectionID": section.id,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            "title1": section.title,
            "title2": collection.title,
        }
        return self._items_page(self.library.collection_items(collection), attrs)

    async def add_collection_items(self, rating_key: int):
        if not g.access.owner:
            return self._owner_only()
        collection = self.library.collections.get(rating_key)
        if collection is None:
            return self._not_found()
        section = self.library.sections[collection.section_id]
        self.library.add_to_collection(
            collection, self._keys_in_section(section, self._rating_keys_from_uri())
        )
        return _respond(_container([self.elements.collection(collection)], size=1))

    async def remove_collection_item(self, rating_key: int, item_key: int):
        if not g.access.owner:
            return self._owner_only()
        collection = self.library.collections.get(rating_key)
        if collection is None or item_key not in collection.item_keys:
            return self._not_found()
        collection.item_keys.remove(item_key)
        collection.updated_at = int(time.time())
        return _respond(_container([self.elements.collection(collection)], size=1))

    # ----- images ------------------------------------------------------------------------------
    @staticmethod
    def _png(seed: int, width: int, height: int) -> Response:
        return Response(
            solid_png(width, height, colour_for(seed)),
            content_type="image/png",
            headers={"Cache-Control": "max-age=3600"},
        )

    async def item_image(self, rating_key: int, kind: str, stamp: int):
        if self._visible_item(rating_key) is None:
            return self._not_found()
        width, height = (200, 300) if kind == "thumb" else (320, 180)
        return self._png(rating_key, width, height)

    async def collection_image(self, rating_key: int, stamp: int):
        if self._visible_collection(rating_key) is None:
            return self._not_found()
        return self._png(rating_key, 200, 300)

    async def resource_image(self, name: str):
        return self._png(sum(name.encode()), 64, 64)

    async def transcode(self):
        url = (request.args.get("url") or "").split("?", 1)[0]
        if not url:
            raise BadRequest("url is required")
        match = IMAGE_PATH.match(url)
        if match is None:
            return self._not_found()
        if match["item"] and self._visible_item(int(match["item"])) is None:
            return self._not_found()
        if match["collection"] and self._visible_collection(int(match["collection"])) is None:
            return self._not_found()
        width = _int_param("width") or 240
        height = _int_param("height") or 360
        if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
            raise BadRequest(f"width and height must be between 1 and {MAX_IMAGE_SIDE}")
        seed = int(match["item"] or match["collection"] or sum(url.encode()))
        return self._png(seed, width, height)
