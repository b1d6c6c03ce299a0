"""The Plex stand-in's library: sections, items, collections and scans.

Large sections are cheap by construction. A section made with `items=N` holds no items at
all: item `g` of it is computed from `g` alone (title, year, dates, file path, children), and
its rating keys are a contiguous range, so looking up `/library/metadata/{key}` is arithmetic.
Generated titles are built so that every sort the stand-in offers (title, date added, year) is
already in index order; a sorted page is therefore a merge of that index range with the few
explicit items (added by a test or found by a scan), located by binary search. Nothing builds
more items than the page it returns.
"""

from __future__ import annotations

import bisect
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

#: Plex's numeric item types (python-plexapi `utils.SEARCHTYPES`).
SEARCH_TYPES = {
    "movie": 1,
    "show": 2,
    "season": 3,
    "episode": 4,
    "artist": 8,
    "album": 9,
    "track": 10,
    "playlist": 15,
    "collection": 18,
}
#: The item types of each section type, top level first.
LEVELS = {
    "movie": ("movie",),
    "show": ("show", "season", "episode"),
    "artist": ("artist", "album", "track"),
}
#: Children per generated parent at each level below the top (seasons per show, episodes per
#: season…).
FANOUT = {"movie": (), "show": (2, 3), "artist": (2, 4)}
MEDIA_EXTENSIONS = {
    "movie": frozenset({".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v"}),
    "show": frozenset({".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v"}),
    "artist": frozenset({".mp3", ".flac", ".m4a", ".ogg", ".opus", ".wav"}),
}
SECTION_DEFAULTS = {
    "movie": ("tv.plex.agents.movie", "Plex Movie"),
    "show": ("tv.plex.agents.series", "Plex TV Series"),
    "artist": ("tv.plex.agents.music", "Plex Music"),
}


def _words(text: str) -> list[str]:
    """Sorted, so that titles built from them sort in the order they are generated."""
    return sorted(text.split())


ADJECTIVES = _words(
    "Amber Ancient Autumn Bitter Blue Brave Bright Broken Burning Calm Clever Crimson "
    "Crystal Dancing Dark Distant Dusty Electric Emerald Endless Fading Fierce Forgotten "
    "Frozen Gentle Golden Hidden Hollow Iron Jade Last Lonely Lucky Midnight Misty "
    "Northern Painted Quiet Restless Rusty Scarlet Secret Silent Silver Sleeping Stormy "
    "Summer Velvet Wandering Wild"
)
NOUNS = _words(
    "Anchor Arrow Badger Beacon Bell Bridge Candle Castle Comet Compass Crown Dragon "
    "Engine Falcon Feather Fox Garden Ghost Giant Harbor Hawk Heart Horizon Island Jewel "
    "Key Lantern Letter Lion Machine Mirror Moon Orchard Owl Pilot Raven River Rose Sailor "
    "Shadow Signal Sparrow Star Stone Storm Tiger Tower Voyage Wolf Wrench"
)
PLACES = _words(
    "Alder Ashford Avalon Bayside Birchwood Blackmoor Brightwater Cedarhurst Coldharbor "
    "Dunmore Eastvale Elmstead Fairhaven Fallowmere Glenrock Greystone Hartwell Highmoor "
    "Ironbridge Juniper Kestrel Kingsbury Lakeshore Larkspur Lindenfeld Marlow Meadowbrook "
    "Millbrook Northwood Oakridge Pinecrest Quarry Ravenscar Redwater Riverside Rosewood "
    "Saltmarsh Shadowfen Silverton Stonebridge Thornbury Umber Valewood Westmere Whitby "
    "Willowdale Wintermere Wyndham Yarrow Zenith"
)
TITLE_CAPACITY = len(ADJECTIVES) * len(NOUNS) * len(PLACES)
# Generated items were added over the years before any test ran, from 2011 on.
OLDEST_ADDED_AT = 1_300_000_000
ADDED_SPAN = 400_000_000
ARTICLES = ("the ", "a ", "an ")


def sort_title(title: str) -> str:
    """Plex's `titleSort`: case-insensitive, leading article ignored."""
    folded = title.casefold()
    for article in ARTICLES:
        if folded.startswith(article):
            return folded[len(article) :]
    return folded


@dataclass(frozen=True)
class MediaItem:
    """One library item (movie, show, season, episode, artist, album or track)."""

    rating_key: int
    type: str
    title: str
    section_id: int
    added_at: int
    year: int | None = None
    index: int | None = None
    parent_key: int | None = None
    grandparent_key: int | None = None
    parent_title: str | None = None
    grandparent_title: str | None = None
    parent_index: int | None = None
    file: str | None = None
    duration: int | None = None
    summary: str = ""
    child_count: int = 0
    leaf_count: int = 0

    @property
    def key(self) -> str:
        return f"/library/metadata/{self.rating_key}"


@dataclass
class Collection:
    """A regular (non-smart) collection: an ordered list of rating keys in one section."""

    rating_key: int
    section_id: int
    title: str
    subtype: str
    item_keys: list[int]
    added_at: int
    updated_at: int

    @property
    def key(self) -> str:
        return f"/library/collections/{self.rating_key}"


@dataclass
class Section:
    """A library section. `generated` items are virtual; `extras` were added or scanned in."""

    id: int
    title: str
    type: str
    locations: list[str]
    uuid: str
    agent: str
    scanner: str
    created_at: int
    generated: int = 0
    first_key: int = 0
    extras: list[MediaItem] = field(default_factory=list)
    staged: dict[str, str] = field(
        default_factory=dict
    )  # file path -> title, found by the next scan
    refreshing: bool = False

    @property
    def key(self) -> str:
        return str(self.id)

    @property
    def block(self) -> int:
        """Rating keys used by one generated top-level item and its descendants."""
        size, width = 1, 1
        for fanout in FANOUT[self.type]:
            width *= fanout
            size += width
        return size

    @property
    def item_count(self) -> int:
        """Number of top-level items (what `totalSize` of `/all` reports)."""
        return self.generated + len(self.extras)

    @property
    def added_step(self) -> int:
        return max(1, min(1800, ADDED_SPAN // max(self.generated, 1)))


# ----- generated items --------------------------------------------------------------------
def generated_title(section: Section, g: int) -> str:
    """Title of generated item `g`: strictly increasing in `g` under `sort_title`."""
    volumes = -(-section.generated // TITLE_CAPACITY)  # ceil
    step = TITLE_CAPACITY * volumes // section.generated
    # Spread over the whole word space, with a jitter below `step` so small sections vary in
    # every word; g * step + jitter stays strictly increasing.
    combo, volume = divmod(g * step + g * 37 % step, volumes)
    rest, place = divmod(combo, len(PLACES))
    adjective, noun = divmod(rest, len(NOUNS))
    title = f"{ADJECTIVES[adjective]} {NOUNS[noun]} of {PLACES[place]}"
    if volumes > 1:
        title += f" {volume + 1:0{len(str(volumes))}d}"
    return title


def generated_year(section: Section, g: int) -> int:
    return 1950 + g * 75 // max(section.generated, 1)


def generated_added_at(section: Section, g: int) -> int:
    return OLDEST_ADDED_AT + g * section.added_step


def _summary(title: str) -> str:
    adjective, noun, _, place = title.split(" ")[:4]
    return f"A {adjective.lower()} story of a {noun.lower()} from {place}."


def generated_item(section: Section, offset: int) -> MediaItem:
    """The item at `offset` from the section's first generated rating key."""
    g, rest = divmod(offset, section.block)
    title = generated_title(section, g)
    top_key = section.first_key + g * section.block
    year, added_at = generated_year(section, g), generated_added_at(section, g)
    location = section.locations[0]
    common: dict[str, Any] = {"section_id": section.id, "added_at": added_at, "year": year}
    if section.type == "movie":
        return MediaItem(
            rating_key=top_key,
            type="movie",
            title=title,
            file=f"{location}/{title} ({year})/{title} ({year}).mkv",
            duration=5_400_000 + g % 7 * 600_000,
            summary=_summary(title),
            **common,
        )
    top_type, middle_type, leaf_type = LEVELS[section.type]
    middle_count, leaf_count = FANOUT[section.type]
    if rest == 0:
        return MediaItem(
            rating_key=top_key,
            type=top_type,
            title=title,
            summary=_summary(title),
            child_count=middle_count,
            leaf_count=middle_count * leaf_count,
            **common,
        )
    if rest <= middle_count:
        word = "Season" if section.type == "show" else "Album"
        return MediaItem(
            rating_key=top_key + rest,
            type=middle_type,
            title=f"{word} {rest}",
            index=rest,
            parent_key=top_key,
            parent_title=title,
            child_count=leaf_count,
            leaf_count=leaf_count,
            **common,
        )
    middle, leaf = divmod(rest - 1 - middle_count, leaf_count)
    middle, leaf = middle + 1, leaf + 1
    if section.type == "show":
        file = f"{location}/{title}/Season {middle:02d}/{title} - s{middle:02d}e{leaf:02d}.mkv"
        leaf_title, duration = f"Episode {leaf}", 2_400_000
    else:
        file = f"{location}/{title}/Album {middle}/{leaf:02d} - Track {leaf}.flac"
        leaf_title, duration = f"Track {leaf}", 200_000 + leaf * 10_000
    return MediaItem(
        rating_key=top_key + rest,
        type=leaf_type,
        title=leaf_title,
        index=leaf,
        parent_index=middle,
        parent_key=top_key + middle,
        grandparent_key=top_key,
        parent_title=f"{'Season' if section.type == 'show' else 'Album'} {middle}",
        grandparent_title=title,
        file=file,
        duration=duration,
        **common,
    )


# ----- sorting ----------------------------------------------------------------------------
SortKey = Callable[[MediaItem], Any]
IndexKey = Callable[[Section, int], Any]

#: sort field -> (key of an item, key of generated index g): both orders agree by construction.
SORTS: dict[str, tuple[SortKey, IndexKey]] = {
    "titleSort": (lambda i: sort_title(i.title), lambda s, g: sort_title(generated_title(s, g))),
    "addedAt": (lambda i: i.added_at, generated_added_at),
    "year": (
        lambda i: (i.year or 0, sort_title(i.title)),
        lambda s, g: (generated_year(s, g), sort_title(generated_title(s, g))),
    ),
}
SORT_ALIASES = {"title": "titleSort", "updatedAt": "addedAt", "originallyAvailableAt": "year"}
SORT_DIRECTIONS = {"", "asc", "desc", "nullsLast"}


class SortError(ValueError):
    """An unknown sort field or direction."""


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """`movie.addedAt:desc,titleSort` -> ("addedAt", True). Only the first field decides."""
    if not raw:
        return "titleSort", False
    first = raw.split(",")[0].strip()
    name, _, direction = first.partition(":")
    name = name.rsplit(".", 1)[-1]
    name = SORT_ALIASES.get(name, name)
    if name not in SORTS or direction not in SORT_DIRECTIONS:
        raise SortError(f"unknown sort: {first}")
    return name, direction == "desc"


class SortedItems(Sequence[MediaItem]):
    """Generated indices (already in sort order) merged with sorted explicit items, lazily."""

    def __init__(
        self,
        section: Section,
        indices: Sequence[int],
        explicit: Iterable[MediaItem],
        sort: str = "titleSort",
        descending: bool = False,
    ) -> None:
        item_key, index_key = SORTS[sort]
        self._section, self._indices, self._descending = section, indices, descending
        self._explicit = sorted(explicit, key=lambda item: (item_key(item), item.rating_key))
        self._positions = [
            j + bisect.bisect_right(indices, item_key(item), key=lambda g: index_key(section, g))
            for j, item in enumerate(self._explicit)
        ]

    def __len__(self) -> int:
        return len(self._indices) + len(self._explicit)

    def __getitem__(self, position: int | slice) -> Any:
        if isinstance(position, slice):  # a Sequence slices: `items(section)[99_950:]`
            return [self[i] for i in range(*position.indices(len(self)))]
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        position %= len(self)
        if self._descending:
            position = len(self) - 1 - position
        j = bisect.bisect_left(self._positions, position)
        if j < len(self._positions) and self._positions[j] == position:
            return self._explicit[j]
        g = self._indices[position - j]
        return generated_item(self._section, g * self._section.block)

    def __iter__(self) -> Iterator[MediaItem]:
        return (self[position] for position in range(len(self)))


class LazyItems(Sequence[MediaItem]):
    """A lazy sequence of `count` items made by `make(i)`."""

    def __init__(self, count: int, make: Callable[[int], MediaItem]) -> None:
        self._count, self._make = count, make

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, position: int | slice) -> Any:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self._count))]
        if not -self._count <= position < self._count:
            raise IndexError(position)
        return self._make(position % self._count)


# ----- the library ------------------------------------------------------------------------
class Library:
    """All sections, items and collections of one stand-in server."""

    def __init__(self) -> None:
        self.sections: dict[int, Section] = {}
        self.collections: dict[int, Collection] = {}
        self._explicit: dict[int, MediaItem] = {}
        self._range_starts: list[int] = []
        self._range_sections: list[Section] = []
        self._next_key = 1
        self._next_section = 1

    def _allocate_keys(self, count: int) -> int:
        first, self._next_key = self._next_key, self._next_key + count
        return first

    # -- sections and items --
    def add_section(self, title: str, type: str, generated: int, locations: list[str]) -> Section:
        if type not in LEVELS:
            raise ValueError(f"section type must be one of {sorted(LEVELS)}, not {type!r}")
        if generated < 0:
            raise ValueError("items must not be negative")
        agent, scanner = SECTION_DEFAULTS[type]
        section = Section(
            id=self._next_section,
            title=title,
            type=type,
            locations=[location.rstrip("/") or "/" for location in locations],
            uuid=str(uuid.uuid4()),
            agent=agent,
            scanner=scanner,
            created_at=int(time.time()),
            generated=generated,
        )
        self._next_section += 1
        section.first_key = self._allocate_keys(generated * section.block)
        if generated:
            self._range_starts.append(section.first_key)
            self._range_sections.append(section)
        self.sections[section.id] = section
        return section

    def add_item(self, section: Section, title: str, file: str | None = None) -> MediaItem:
        item = MediaItem(
            rating_key=self._allocate_keys(1),
            type=LEVELS[section.type][0],
            title=title,
            section_id=section.id,
            added_at=int(time.time()),
            year=time.gmtime().tm_year,
            file=file,
            duration=60_000 if file else None,
        )
        section.extras.append(item)
        self._explicit[item.rating_key] = item
        return item

    def item(self, rating_key: int) -> MediaItem | None:
        if rating_key in self._explicit:
            return self._explicit[rating_key]
        slot = bisect.bisect_right(self._range_starts, rating_key) - 1
        if slot < 0:
            return None
        section = self._range_sections[slot]
        offset = rating_key - section.first_key
        if offset >= section.generated * section.block:
            return None
        return generated_item(section, offset)

    def children(self, item: MediaItem) -> Sequence[MediaItem]:
        section = self.sections[item.section_id]
        if item.rating_key in self._explicit or item.child_count == 0:
            return []
        offset = item.rating_key - section.first_key
        middle_count, leaf_count = FANOUT[section.type]
        if item.parent_key is None:  # a show or artist: its seasons or albums
            return LazyItems(middle_count, lambda i: generated_item(section, offset + 1 + i))
        assert item.index is not None  # a season or album: numbered in its parent
        first_leaf = offset - item.index + middle_count + 1 + (item.index - 1) * leaf_count
        return LazyItems(leaf_count, lambda i: generated_item(section, first_leaf + i))

    def leaves(self, item: MediaItem) -> Sequence[MediaItem]:
        """All episodes of a show (tracks of an artist, or of an album/season's own children)."""
        if item.parent_key is not None:
            return self.children(item)
        section = self.sections[item.section_id]
        if item.rating_key in self._explicit or item.child_count == 0:
            return []
        middle_count, leaf_count = FANOUT[section.type]
        first_leaf = item.rating_key - section.first_key + 1 + middle_count
        return LazyItems(
            middle_count * leaf_count, lambda i: generated_item(section, first_leaf + i)
        )

    def top_level(
        self,
        section: Section,
        *,
        sort: str = "titleSort",
        descending: bool = False,
        title: str | None = None,
    ) -> SortedItems:
        indices: Sequence[int] = range(section.generated)
        explicit: list[MediaItem] = section.extras
        if title:
            needle = title.casefold()
            indices = [g for g in indices if needle in generated_title(section, g).casefold()]
            explicit = [item for item in explicit if needle in item.title.casefold()]
        return SortedItems(section, indices, explicit, sort, descending)

    def level(self, section: Section, depth: int) -> Sequence[MediaItem]:
        """Every generated season/episode (depth 1/2) of a show section, album/track of music."""
        middle_count, leaf_count = FANOUT[section.type]
        block = section.block
        if depth == 1:
            return LazyItems(
                section.generated * middle_count,
                lambda i: generated_item(section, i // middle_count * block + 1 + i % middle_count),
            )
        per_top = middle_count * leaf_count
        return LazyItems(
            section.generated * per_top,
            lambda i: generated_item(
                section, i // per_top * block + 1 + middle_count + i % per_top
            ),
        )

    def recently_added(self, sections: Iterable[Section]) -> Iterator[MediaItem]:
        """Top-level items of `sections`, newest first, merged lazily."""
        import heapq

        streams = [self.top_level(section, sort="addedAt", descending=True) for section in sections]
        return heapq.merge(
            *streams, key=lambda item: (item.added_at, item.rating_key), reverse=True
        )

    # -- collections --
    def create_collection(self, section: Section, title: str, keys: list[int]) -> Collection:
        now = int(time.time())
        collection = Collection(
            rating_key=self._allocate_keys(1),
            section_id=section.id,
            title=title,
            subtype=LEVELS[section.type][0],
            item_keys=[],
            added_at=now,
            updated_at=now,
        )
        self.collections[collection.rating_key] = collection
        self.add_to_collection(collection, keys)
        return collection

    def add_to_collection(self, collection: Collection, keys: Iterable[int]) -> None:
        for key in keys:
            if key not in collection.item_keys:
                collection.item_keys.append(key)
        collection.updated_at = int(time.time())

    def collection_items(self, collection: Collection) -> list[MediaItem]:
        return [item for key in collection.item_keys if (item := self.item(key)) is not None]

    def section_collections(self, section: Section, title: str | None = None) -> list[Collection]:
        found = [c for c in self.collections.values() if c.section_id == section.id]
        if title:
            found = [c for c in found if title.casefold() in c.title.casefold()]
        return sorted(found, key=lambda c: (sort_title(c.title), c.rating_key))

    def collections_of(self, item: MediaItem) -> list[Collection]:
        return [c for c in self.collections.values() if item.rating_key in c.item_keys]

    # -- scans --
    def scan(self, section: Section, path: str | None) -> list[MediaItem]:
        """Index media files under `path` (or all locations): staged ones and real files on disk."""
        roots = [path.rstrip("/") or "/"] if path else section.locations
        roots = [root for root in roots if _inside_any(root, section.locations)]
        known = {item.file for item in section.extras}
        found: dict[str, str] = {}
        for root in roots:
            found.update(
                (file, title) for file, title in section.staged.items() if _inside(file, root)
            )
            found.update((file, PurePosixPath(file).stem) for file in _files_on_disk(root))
        added = []
        for file in sorted(found):
            if (
                file in known
                or PurePosixPath(file).suffix.lower() not in MEDIA_EXTENSIONS[section.type]
            ):
                continue
            section.staged.pop(file, None)
            added.append(self.add_item(section, found[file], file))
        return added


def _inside(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")


def _inside_any(path: str, roots: Iterable[str]) -> bool:
    return any(_inside(path, root) for root in roots)


def _files_on_disk(root: str) -> Iterator[str]:
    if os.path.isfile(root):
        yield root
        return
    for directory, _, files in os.walk(root):
        for name in files:
            yield os.path.join(directory, name)
