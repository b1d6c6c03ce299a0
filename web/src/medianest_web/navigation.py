"""Where pages send people: the `next` target after sign-in, and the links in the header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from quart import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from medianest.plugins.contributions import NavEntry
from medianest_web.assets import SiteAssets

MAX_NEXT_LENGTH = 2048
# Sending someone back to these after signing in would loop or sign them out again.
NOT_A_DESTINATION = ("/login", "/logout", "/password")


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default`: no open redirects.

    Browsers treat `\\` like `/` and drop tabs and newlines anywhere in a URL, so
    `/\\evil.example` or `/\\t/evil.example` would leave the site; any such character, a
    scheme or a host refuses the target.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if parts.path.rstrip("/") in NOT_A_DESTINATION:
        return default
    return target


def login_url(next_path: str | None = None) -> str:
    """The sign-in page, asked to send the visitor on to `next_path` (when that is safe)."""
    target = safe_next(next_path, default="")
    return f"/login?{urlencode({'next': target})}" if target else "/login"


@dataclass(frozen=True)
class NavLink:
    """A header link as the layout draws it: `icon_href` is a sprite symbol's URL."""

    label: str
    href: str
    icon_href: str


def available_nav(core: Any, actor: Any, assets: SiteAssets) -> list[NavLink]:
    """The header's links from every active plugin's `register_nav` (this one's included) that
    this person may follow and whose page exists now: a plugin that is not installed, failed
    or disabled leaves no dead link behind."""
    entries = sorted(
        core.host.contributed("register_nav"), key=lambda pair: (pair[1].order, pair[1].label)
    )
    return [
        NavLink(entry.label, entry.href, _icon_href(assets, plugin_id, entry.icon))
        for plugin_id, entry in entries
        if _may_see(actor, entry) and _page_is_served(core, entry.href)
    ]


def _may_see(actor: Any, entry: NavEntry) -> bool:
    if entry.admin and not actor.is_admin:
        return False
    return entry.permission is None or actor.can(entry.permission)


def _icon_href(assets: SiteAssets, plugin_id: str, icon: str) -> str:
    """`home` → the layout's own sprite; `img/icons.svg#i-x` → a symbol in the plugin's files."""
    path, hash_mark, symbol = icon.partition("#")
    if not hash_mark:
        return f"#i-{icon}"
    try:
        return f"{assets.url(path, plugin=plugin_id)}#{symbol}"
    except KeyError:
        return "#i-grid"  # the plugin's sprite is missing: a neutral icon, not a broken page


def _page_is_served(core: Any, path: str) -> bool:
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except RequestRedirect:
        return True  # `/x` → `/x/`: the page exists under its canonical path
    except HTTPException:
        return False
    owner = core.blueprint_owner.get(endpoint.rsplit(".", 1)[0]) if "." in endpoint else None
    if owner is None:
        return True
    record = core.host.get(owner)
    return record is not None and bool(getattr(record, "active", False))


def is_current(href: str) -> bool:
    """Whether the page being shown is `href` or one below it (for `aria-current`)."""
    path = request.path
    if href == "/":
        return path == "/"
    base = href.rstrip("/")
    return path == base or path.startswith(base + "/")
