"""How the Plex stand-in writes sections, items and collections (one tree for XML and JSON)."""

from __future__ import annotations

from collections.abc import Sequence

from medianest_plex.testing._catalog import SEARCH_TYPES, Collection, Library, MediaItem, Section
from medianest_plex.testing._wire import Element

#: XML tag per item type (JSON puts them all under `Metadata`).
ITEM_TAGS = {"movie": "Video", "episode": "Video", "track": "Track"}
CONTAINER_TYPES = {"show", "season", "artist", "album"}


def _year_date(item: MediaItem) -> str | None:
    return f"{item.year}-01-01" if item.year else None


class ElementBuilder:
    """Builds the elements of one library's responses."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def section(self, section: Section) -> Element:
        kind = section.type
        return Element(
            "Directory",
            {
                "allowSync": True,
                "art": f"/:/resources/{kind}-fanart.jpg",
                "composite": f"/library/sections/{section.id}/composite/{section.created_at}",
                "filters": True,
                "refreshing": section.refreshing,
                "thumb": f"/:/resources/{kind}.png",
                "key": section.key,
                "type": kind,
                "title": section.title,
                "agent": section.agent,
                "scanner": section.scanner,
                "language": "en-US",
                "uuid": section.uuid,
                "updatedAt": section.created_at,
                "createdAt": section.created_at,
                "scannedAt": section.created_at,
                "content": True,
                "directory": True,
                "contentChangedAt": section.created_at,
                "hidden": 0,
            },
            [
                Element("Location", {"id": section.id * 100 + n, "path": path})
                for n, path in enumerate(section.locations)
            ],
        )

    def item(self, item: MediaItem, *, detail: bool = False) -> Element:
        section = self.library.sections[item.section_id]
        base = f"/library/metadata/{item.rating_key}"
        attrs: dict = {
            "ratingKey": str(item.rating_key),
            "key": f"{base}/children" if item.type in CONTAINER_TYPES else base,
            "guid": f"plex://{item.type}/{item.rating_key:024x}",
            "type": item.type,
            "title": item.title,
        }
        if item.parent_key is not None:
            parent = f"/library/metadata/{item.parent_key}"
            attrs.update(
                parentRatingKey=str(item.parent_key),
                parentKey=parent,
                parentTitle=item.parent_title,
            )
        if item.grandparent_key is not None:
            grandparent = f"/library/metadata/{item.grandparent_key}"
            attrs.update(
                grandparentRatingKey=str(item.grandparent_key),
                grandparentKey=grandparent,
                grandparentTitle=item.grandparent_title,
                parentIndex=item.parent_index,
            )
        if detail:
            attrs.update(
                librarySectionID=section.id,
                librarySectionKey=f"/library/sections/{section.id}",
                librarySectionTitle=section.title,
            )
        attrs.update(
            summary=item.summary,
            index=item.index,
            year=item.year if item.type in {"movie", "show"} else None,
            originallyAvailableAt=_year_date(item) if item.type in {"movie", "show"} else None,
            thumb=f"{base}/thumb/{item.added_at}",
            art=f"{base}/art/{item.added_at}",
            duration=item.duration,
            addedAt=item.added_at,
            updatedAt=item.added_at,
        )
        if item.child_count:
            attrs.update(childCount=item.child_count, leafCount=item.leaf_count, viewedLeafCount=0)
        children: list[Element] = []
        if item.file:
            children.append(self._media(item, section))
        if detail:
            children += [
                Element(
                    "Collection",
                    {"id": c.rating_key, "filter": f"collection={c.rating_key}", "tag": c.title},
                )
                for c in self.library.collections_of(item)
            ]
        return Element(ITEM_TAGS.get(item.type, "Directory"), attrs, children, json_key="Metadata")

    @staticmethod
    def _media(item: MediaItem, section: Section) -> Element:
        file = item.file or ""
        container = file.rsplit(".", 1)[-1].lower() if "." in file else "mkv"
        part = Element(
            "Part",
            {
                "id": item.rating_key,
                "key": f"/library/parts/{item.rating_key}/{item.added_at}/file.{container}",
                "duration": item.duration,
                "file": item.file,
                "size": 1_048_576 + item.rating_key % 997 * 4096,
                "container": container,
            },
        )
        media_attrs: dict = {
            "id": item.rating_key,
            "duration": item.duration,
            "container": container,
        }
        if section.type == "artist":
            media_attrs.update(audioCodec=container, audioChannels=2, bitrate=900)
        else:
            media_attrs.update(
                videoCodec="h264",
                audioCodec="aac",
                width=1920,
                height=1080,
                videoResolution="1080",
                bitrate=4000,
            )
        return Element("Media", media_attrs, [part])

    def collection(self, collection: Collection) -> Element:
        section = self.library.sections[collection.section_id]
        items = self.library.collection_items(collection)
        years = [item.year for item in items if item.year]
        return Element(
            "Directory",
            {
                "ratingKey": str(collection.rating_key),
                "key": f"/library/collections/{collection.rating_key}/children",
                "guid": f"collection://{collection.rating_key:032x}",
                "type": "collection",
                "title": collection.title,
                "subtype": collection.subtype,
                "summary": "",
                "smart": False,
                "librarySectionID": section.id,
                "librarySectionKey": f"/library/sections/{section.id}",
                "librarySectionTitle": section.title,
                "thumb": (
                    f"/library/collections/{collection.rating_key}/composite/{collection.updated_at}"
                ),
                "childCount": len(items),
                "minYear": min(years) if years else None,
                "maxYear": max(years) if years else None,
                "addedAt": collection.added_at,
                "updatedAt": collection.updated_at,
            },
            json_key="Metadata",
        )

    @staticmethod
    def meta(section: Section, libtypes: Sequence[str]) -> Element:
        """`<Meta>`: the sorts and fields python-plexapi validates `sort=` and filters against."""
        sorts = [
            ("titleSort", "asc", "Title"),
            ("addedAt", "desc", "Date Added"),
            ("year", "desc", "Year"),
        ]
        types = []
        for libtype in libtypes:
            type_key = f"/library/sections/{section.id}/all?type={SEARCH_TYPES[libtype]}"
            children = [
                Element(
                    "Sort",
                    {
                        "defaultDirection": direction,
                        "descKey": f"{key}:desc",
                        "key": key,
                        "title": title,
                    },
                )
                for key, direction, title in sorts
            ]
            children.append(Element("Field", {"key": "title", "title": "Title", "type": "string"}))
            types.append(
                Element(
                    "Type",
                    {"key": type_key, "type": libtype, "title": libtype.title(), "active": False},
                    children,
                )
            )
        field_type = Element(
            "FieldType",
            {"type": "string"},
            [
                Element("Operator", {"key": "=", "title": "contains"}),
                Element("Operator", {"key": "!=", "title": "does not contain"}),
            ],
        )
        return Element("Meta", {}, [*types, field_type], json_list=False)
