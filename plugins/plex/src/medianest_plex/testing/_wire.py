"""Plex's two wire forms of one tree: XML (the default) and JSON (`Accept: application/json`).

A response is built once as a tree of `Element`s and rendered either way, so the two forms
cannot drift apart. The XML form writes booleans as "1"/"0"; the JSON form keeps numbers and
booleans typed and groups children under their tag (or `json_key`: items are `Metadata` in JSON
whatever their XML tag). Rendering is a generator of text chunks, so a container with a lazy
child iterator can be streamed without holding the whole listing in memory.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

Scalar = str | int | float | bool | None

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass
class Element:
    """One XML element; `children` may be a lazy iterable (only for a response's root)."""

    tag: str
    attrs: dict[str, Scalar] = field(default_factory=dict)
    children: Iterable[Element] = field(default_factory=list)
    json_key: str | None = None
    json_list: bool = True  # False: rendered as one JSON object (Plex's `Meta`)

    @property
    def group(self) -> str:
        return self.json_key or self.tag


def wants_json(accept: str | None) -> bool:
    return "application/json" in (accept or "")


def _xml_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _xml_attrs(attrs: dict[str, Scalar]) -> str:
    return "".join(
        f" {name}={quoteattr(_xml_value(value))}"
        for name, value in attrs.items()
        if value is not None
    )


def iter_xml(element: Element, *, declaration: bool = True) -> Iterator[str]:
    if declaration:
        yield XML_DECLARATION
    opening = f"<{element.tag}{_xml_attrs(element.attrs)}"
    children = iter(element.children)
    first = next(children, None)
    if first is None:
        yield opening + " />\n"
        return
    yield opening + ">\n"
    yield from iter_xml(first, declaration=False)
    for child in children:
        yield from iter_xml(child, declaration=False)
    yield f"</{element.tag}>\n"


def _json_object(element: Element) -> dict:
    """The JSON form of an element whose children are a small, finite list."""
    body: dict = {name: value for name, value in element.attrs.items() if value is not None}
    for child in element.children:
        if child.json_list:
            body.setdefault(child.group, []).append(_json_object(child))
        else:
            body[child.group] = _json_object(child)
    return body


def iter_json(element: Element, *, wrap: bool = True) -> Iterator[str]:
    """Stream `{"MediaContainer": {...}}`; consecutive children of one group share a list."""
    attrs = {name: value for name, value in element.attrs.items() if value is not None}
    head = json.dumps(attrs)[:-1]  # the attributes, object left open
    yield (f'{{"{element.tag}": ' if wrap else "") + head
    separator = ", " if attrs else ""
    open_group: str | None = None
    first_in_group = True
    for child in element.children:
        if not child.json_list:
            if open_group is not None:
                yield "]"
                open_group = None
            yield f"{separator}{json.dumps(child.group)}: {json.dumps(_json_object(child))}"
            separator = ", "
            continue
        if child.group != open_group:
            if open_group is not None:
                yield "]"
            yield f"{separator}{json.dumps(child.group)}: ["
            separator, open_group, first_in_group = ", ", child.group, True
        yield ("" if first_in_group else ", ") + json.dumps(_json_object(child))
        first_in_group = False
    if open_group is not None:
        yield "]"
    yield "}}" if wrap else "}"


def render(element: Element, as_json: bool) -> Iterator[str]:
    return iter_json(element) if as_json else iter_xml(element)


def batched_text(chunks: Iterable[str], batch: int = 256) -> Iterator[bytes]:
    """Join small chunks into fewer, larger writes for a streamed body."""
    pending: list[str] = []
    for chunk in chunks:
        pending.append(chunk)
        if len(pending) >= batch:
            yield "".join(pending).encode()
            pending.clear()
    if pending:
        yield "".join(pending).encode()


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour: what a thumbnail endpoint serves (no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 6))
        + chunk(b"IEND", b"")
    )


def colour_for(seed: int) -> tuple[int, int, int]:
    """A stable, pleasant colour per object, so demo thumbnails are told apart at a glance."""
    hue = (seed * 47) % 360
    sector, rest = divmod(hue, 60)
    rising, falling = 60 + rest * 3, 240 - rest * 3
    return [
        (240, rising, 60),
        (falling, 240, 60),
        (60, 240, rising),
        (60, falling, 240),
        (rising, 60, 240),
        (240, 60, falling),
    ][sector]
