"""Static assets under content-hashed URLs, so browsers may cache them for a year.

Every file under `static/` gets a URL like `/static/web/js/api.js?v=3f9c1a2b7d4e`. The hash
covers the bytes served, and a JavaScript module's relative imports are rewritten to carry
their own hashes, so changing `api.js` also changes the URL of every module that imports it:
ES modules need no bundler and no stale module survives a release.

Each plugin's `static/` folder gets a manifest of its own under `/static/plugins/<plugin id>`.
Its modules may import the shell's by absolute path (`/static/web/js/api.js`); those imports
are versioned too, so a plugin's module changes URL when the shell module it uses changes.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

URL_PREFIX = "/static/web"
PLUGIN_URL_PREFIX = "/static/plugins"
HASH_LENGTH = 12

# `from "./x.js"`, `import "./x.js"`, `import("./x.js")`: relative or absolute paths on this site.
IMPORT_SPECIFIER = re.compile(
    r"""(?P<lead>\bfrom\s*|\bimport\s*\(?\s*)"""
    r"""(?P<quote>["'])(?P<spec>(?:\.{1,2})?/[^"'?#\s]+\.js)(?P=quote)"""
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
    prefix: str = URL_PREFIX

    @property
    def url(self) -> str:
        return f"{self.prefix}/{self.name}?v={self.digest}"


class AssetManifest:
    """The static folder read once: each file's served bytes, digest and URL.

    `elsewhere(path)` gives the versioned URL of an absolute import (`/static/web/js/api.js`)
    outside this folder, or None to leave it as written.
    """

    def __init__(
        self,
        root: Path,
        prefix: str = URL_PREFIX,
        elsewhere: Callable[[str], str | None] | None = None,
    ) -> None:
        self.root = root
        self.prefix = prefix
        self._elsewhere = elsewhere
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
        digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
        asset = Asset(name, body, digest, _content_type(name), self.prefix)
        self._assets[name] = asset
        return asset

    def _rewrite_imports(self, name: str, body: bytes) -> bytes:
        base = PurePosixPath(name).parent

        def versioned(match: re.Match[str]) -> str:
            if match["spec"].startswith("/"):
                return self._absolute(match)
            target = _normalise(base / match["spec"])
            if target is None or not (self.root / target).is_file() or target in self._visiting:
                return match[0]  # outside the folder, missing, or an import cycle: leave it be
            digest = self._load(target).digest
            return f"{match['lead']}{match['quote']}{match['spec']}?v={digest}{match['quote']}"

        return IMPORT_SPECIFIER.sub(versioned, body.decode("utf-8")).encode("utf-8")

    def _absolute(self, match: re.Match[str]) -> str:
        url = self._elsewhere(match["spec"]) if self._elsewhere else None
        if url is None:
            return match[0]
        return f"{match['lead']}{match['quote']}{url}{match['quote']}"

    def url_of_path(self, path: str) -> str | None:
        """The versioned URL of `/static/…/<name>` when it is one of these files."""
        if not path.startswith(self.prefix + "/"):
            return None
        asset = self._assets.get(path[len(self.prefix) + 1 :])
        return asset.url if asset else None


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


class SiteAssets:
    """The shell's files and each plugin's, the latter read when first asked for."""

    def __init__(self, core: Any, shell: AssetManifest) -> None:
        self._core = core
        self.shell = shell
        self._plugins: dict[str, AssetManifest | None] = {}

    def plugin(self, plugin_id: str) -> AssetManifest | None:
        """The manifest of an installed plugin's `static/` folder. Served whatever the plugin's
        state: a disabled plugin's pages still answer (saying it is off) in its own styles."""
        record = self._core.host.get(plugin_id)
        if record is None or record.obj is None:
            return None
        if plugin_id not in self._plugins:
            folder = record.folder("static")
            self._plugins[plugin_id] = folder and AssetManifest(
                folder, f"{PLUGIN_URL_PREFIX}/{plugin_id}", elsewhere=self.shell.url_of_path
            )
        return self._plugins[plugin_id]

    def url(self, name: str, plugin: str | None = None) -> str:
        """`asset()` in templates: the versioned URL of the shell's file, or of a plugin's."""
        if plugin is None:
            return self.shell.url(name)
        manifest = self.plugin(plugin)
        if manifest is None:
            raise KeyError(f"plugin {plugin!r} has no static/ folder (or is not installed)")
        return manifest.url(name)
