"""Static assets under content-hashed URLs, so browsers may cache them for a year.

Every file under `static/` gets a URL like `/static/web/js/api.js?v=3f9c1a2b7d4e`. The hash
covers the bytes served, and a JavaScript module's relative imports are rewritten to carry
their own hashes, so changing `api.js` also changes the URL of every module that imports it:
ES modules need no bundler and no stale module survives a release.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

URL_PREFIX = "/static/web"
HASH_LENGTH = 12

# `from "./x.js"`, `import "./x.js"`, `import("./x.js")`: relative specifiers only.
IMPORT_SPECIFIER = re.compile(
    r"""(?P<lead>\bfrom\s*|\bimport\s*\(?\s*)(?P<quote>["'])(?P<spec>\.{1,2}/[^"'?#\s]+\.js)(?P=quote)"""
)
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}


@dataclass(frozen=True)
class Asset:
    name: str  # POSIX path relative to the static folder
    body: bytes
    digest: str
    content_type: str

    @property
    def url(self) -> str:
        return f"{URL_PREFIX}/{self.name}?v={self.digest}"


class AssetManifest:
    """The static folder read once: each file's served bytes, digest and URL."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._assets: dict[str, Asset] = {}
        self._visiting: set[str] = set()
        for name in sorted(self._names()):
            self._load(name)

    def get(self, name: str) -> Asset | None:
        return self._assets.get(name)

    def url(self, name: str) -> str:
        """The versioned URL of `name`; an unknown name is a template bug, so it raises."""
        asset = self._assets.get(name)
        if asset is None:
            raise KeyError(f"no static asset named {name!r}")
        return asset.url

    def __iter__(self) -> Iterator[Asset]:
        return iter(self._assets.values())

    def _names(self) -> Iterator[str]:
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()

    def _load(self, name: str) -> Asset:
        if name in self._assets:
            return self._assets[name]
        body = (self.root / name).read_bytes()
        if name.endswith(".js") and name not in self._visiting:
            self._visiting.add(name)
            try:
                body = self._rewrite_imports(name, body)
            finally:
                self._visiting.discard(name)
        asset = Asset(name, body, hashlib.sha256(body).hexdigest()[:HASH_LENGTH], _content_type(name))
        self._assets[name] = asset
        return asset

    def _rewrite_imports(self, name: str, body: bytes) -> bytes:
        base = PurePosixPath(name).parent

        def versioned(match: re.Match[str]) -> str:
            target = _normalise(base / match["spec"])
            if target is None or not (self.root / target).is_file() or target in self._visiting:
                return match[0]  # outside the folder, missing, or an import cycle: leave it be
            digest = self._load(target).digest
            return f'{match["lead"]}{match["quote"]}{match["spec"]}?v={digest}{match["quote"]}'

        return IMPORT_SPECIFIER.sub(versioned, body.decode("utf-8")).encode("utf-8")


def _normalise(path: PurePosixPath) -> str | None:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _content_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
