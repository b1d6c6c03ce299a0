"""The plex.tv stand-in's routes: PIN sign-in, accounts, resources and shared servers."""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from quart import Quart, Response, request

from medianest_plex.testing._wire import (
    Element,
    Scalar,
    colour_for,
    iter_xml,
    solid_png,
    wants_json,
)

if TYPE_CHECKING:
    from medianest_plex.testing.plextv import FakePlexTV, PlexAccount, ServerShare

#: plex.tv's v2 error codes for the refusals the stand-in makes.
ERROR_CODES = {400: 1000, 401: 1001, 404: 1020}
MYPLEX_ID = "com.plexapp.plugins.myplex"


class PlexTVError(Exception):
    """A refusal in plex.tv's error format."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def to_element(tag: str, data: dict) -> Element:
    """plex.tv's XML form of a v2 JSON object.

    Scalars become attributes, an object becomes a child element, and a list `xs` becomes
    `<xs><x …/>…</xs>` (a plain string `s` in the list becomes `<x id="s"/>`), which is how
    python-plexapi reads `roles`, `entitlements`, `subscription/features` and `connections`.
    """
    attrs: dict[str, Scalar] = {}
    children: list[Element] = []
    for key, value in data.items():
        if isinstance(value, dict):
            children.append(to_element(key, value))
        elif isinstance(value, list):
            singular = key.removesuffix("s")
            entries = [to_element(singular, v if isinstance(v, dict) else {"id": v}) for v in value]
            children.append(Element(key, {}, entries))
        else:
            attrs[key] = value
    return Element(tag, attrs, children)


def _v2(body: dict | list, root_tag: str, status: int = 200) -> Response:
    """A plex.tv v2 answer: JSON when asked for, else XML (a list is wrapped in `<root_tag>`)."""
    if wants_json(request.headers.get("Accept")):
        return Response(json.dumps(body), status=status, content_type="application/json")
    if isinstance(body, list):
        singular = root_tag[:-1]
        element = Element(
            root_tag, {"size": len(body)}, [to_element(singular, entry) for entry in body]
        )
    else:
        element = to_element(root_tag, body)
    return Response("".join(iter_xml(element)), status=status, content_type="application/xml")


def _v1_xml(element: Element, status: int = 200) -> Response:
    """plex.tv's v1 API (`/api/users`, `/api/servers/…`) answers XML whatever `Accept` says."""
    return Response("".join(iter_xml(element)), status=status, content_type="application/xml")


def _error(error: PlexTVError) -> Response:
    body = {
        "errors": [
            {
                "code": ERROR_CODES.get(error.status, 1000),
                "message": error.message,
                "status": error.status,
            }
        ]
    }
    if wants_json(request.headers.get("Accept")):
        return Response(json.dumps(body), status=error.status, content_type="application/json")
    element = Element("errors", {}, [to_element("error", entry) for entry in body["errors"]])
    return Response("".join(iter_xml(element)), status=error.status, content_type="application/xml")


def _client_identifier() -> str:
    client_id = request.headers.get("X-Plex-Client-Identifier") or request.args.get(
        "X-Plex-Client-Identifier"
    )
    if not client_id:
        raise PlexTVError(400, "X-Plex-Client-Identifier is missing")
    return client_id


class PlexTVRoutes:
    """The plex.tv routes, bound to one `FakePlexTV`."""

    def __init__(self, plextv: FakePlexTV) -> None:
        self.plextv = plextv

    def register(self, app: Quart) -> None:
        app.errorhandler(PlexTVError)(self._on_error)
        routes: list[tuple[str, list[str], Callable[..., Awaitable[Any]]]] = [
            ("/api/v2/pins", ["POST"], self.create_pin),
            ("/api/v2/pins/<int:pin_id>", ["GET"], self.poll_pin),
            ("/api/v2/pins/link", ["PUT"], self.link),
            ("/api/v2/user", ["GET"], self.user),
            ("/api/v2/resources", ["GET"], self.resources),
            ("/api/users", ["GET"], self.users),
            ("/api/users/", ["GET"], self.users),
            ("/api/servers/<machine_identifier>/shared_servers", ["GET"], self.shared_servers),
            ("/users/account.json", ["GET"], self.legacy_account_json),
            ("/users/account", ["GET"], self.legacy_account_xml),
            ("/users/<account_uuid>/avatar", ["GET"], self.avatar),
            ("/link", ["GET"], self.link_page),
            ("/link", ["POST"], self.link_form),
        ]
        for rule, methods, view in routes:
            app.add_url_rule(rule, f"{view.__name__}_{rule}", view, methods=methods)

    async def _on_error(self, error: PlexTVError) -> Response:
        return _error(error)

    def _account(self) -> PlexAccount:
        token = request.headers.get("X-Plex-Token") or request.args.get("X-Plex-Token")
        account = self.plextv.account_for(token)
        if account is None:
            raise PlexTVError(401, "User could not be authenticated")
        return account

    # ----- PINs ----------------------------------------------------------------------------
    async def create_pin(self) -> Response:
        client_id = _client_identifier()
        strong = request.args.get("strong", "").lower() in {"true", "1"}
        pin = self.plextv._new_pin(client_id, request.headers.get("X-Plex-Product"), strong)
        return _v2(self.plextv.pin_json(pin), "pin", status=201)

    async def poll_pin(self, pin_id: int) -> Response:
        client_id = _client_identifier()
        pin = self.plextv._live_pin(self.plextv.pins.get(pin_id))
        if pin is None or pin.client_identifier != client_id:
            raise PlexTVError(404, "Not Found or Expired")
        return _v2(self.plextv.pin_json(pin), "pin")

    async def link(self) -> Response:
        account = self._account()
        form = await request.form
        code = form.get("code") or request.args.get("code") or ""
        try:
            pin = self.plextv._live_pin(self.plextv.pin_by_code(code))
        except KeyError:
            pin = None
        if pin is None:
            raise PlexTVError(404, "Code not found or expired")
        self.plextv.link_pin(pin, account)
        return Response("", status=204)

    # ----- accounts and servers --------------------------------------------------------------
    async def user(self) -> Response:
        return _v2(self.plextv.user_json(self._account()), "user")

    async def resources(self) -> Response:
        return _v2(self.plextv.resources_json(self._account()), "resources")

    async def users(self) -> Response:
        """Friends of the token's account: who has access to which of its servers (XML)."""
        owner = self._account()
        owned = {entry.server.machine_identifier for entry in self.plextv._owned_by(owner)}
        by_account: dict[int, list[ServerShare]] = {}
        for share in self.plextv.shares:
            if share.server.machine_identifier in owned:
                by_account.setdefault(share.account.id, []).append(share)
        users = [self._user_element(shares[0].account, shares) for shares in by_account.values()]
        return _v1_xml(
            Element(
                "MediaContainer",
                {
                    "friendlyName": "myPlex",
                    "identifier": MYPLEX_ID,
                    "size": len(users),
                    "totalSize": len(users),
                },
                users,
            )
        )

    def _user_element(self, account: PlexAccount, shares: list[ServerShare]) -> Element:
        servers = [
            Element(
                "Server",
                {
                    "id": share.id,
                    "serverId": share.id,
                    "machineIdentifier": share.server.machine_identifier,
                    "name": share.server.name,
                    "lastSeenAt": int(self.plextv.clock()),
                    "numLibraries": len(share.section_ids),
                    "allLibraries": len(share.section_ids) == len(share.server.sections),
                    "owned": False,
                    "pending": False,
                },
            )
            for share in shares
        ]
        attrs: dict[str, Scalar] = {
            "id": account.id,
            "title": account.title,
            "username": account.username,
            "email": account.email,
            "recommendationsPlaylistId": "",
            "thumb": f"{self.plextv._base_url()}/users/{account.uuid}/avatar",
            "protected": False,
            "home": account.home,
            "allowTuners": 0,
            "allowSync": False,
            "allowCameraUpload": False,
            "allowChannels": False,
            "allowSubtitleAdmin": False,
            "filterAll": "",
            "filterMovies": "",
            "filterMusic": "",
            "filterPhotos": "",
            "filterTelevision": "",
            "restricted": False,
        }
        return Element("User", attrs, servers)

    async def shared_servers(self, machine_identifier: str) -> Response:
        owner = self._account()
        entry = self.plextv._servers.get(machine_identifier)
        if entry is None or entry.owner.id != owner.id:
            raise PlexTVError(404, "Server not found")
        server = entry.server
        shared = [
            Element(
                "SharedServer",
                {
                    "id": share.id,
                    "username": share.account.username,
                    "email": share.account.email,
                    "userID": share.account.id,
                    "accessToken": share.access_token,
                    "name": server.name,
                    "acceptedAt": share.created_at,
                    "invitedAt": share.created_at,
                    "allowSync": False,
                    "allowCameraUpload": False,
                    "allowChannels": False,
                    "allowTuners": 0,
                    "allowSubtitleAdmin": False,
                    "owned": False,
                    "allLibraries": len(share.section_ids) == len(server.sections),
                    "numLibraries": len(share.section_ids),
                },
                [
                    Element(
                        "Section",
                        {
                            "id": s.id,
                            "key": s.id,
                            "title": s.title,
                            "type": s.type,
                            "shared": s.id in share.section_ids,
                        },
                    )
                    for s in server.sections
                ],
            )
            for share in self.plextv.shares
            if share.server is server
        ]
        return _v1_xml(
            Element(
                "MediaContainer",
                {
                    "friendlyName": "myPlex",
                    "identifier": MYPLEX_ID,
                    "machineIdentifier": machine_identifier,
                    "size": len(shared),
                },
                shared,
            )
        )

    async def legacy_account_json(self) -> Response:
        return Response(
            json.dumps({"user": self.plextv.user_json(self._account())}),
            content_type="application/json",
        )

    async def legacy_account_xml(self) -> Response:
        return _v1_xml(to_element("user", self.plextv.user_json(self._account())))

    async def avatar(self, account_uuid: str) -> Response:
        return Response(
            solid_png(64, 64, colour_for(sum(account_uuid.encode()))), content_type="image/png"
        )

    # ----- the person's side of linking (demo and browser tests; not a plex.tv API) ------------
    async def link_page(self) -> Response:
        code = html.escape(request.args.get("code", ""))
        options = "".join(
            f'<option value="{a.id}">{html.escape(a.title)} ({html.escape(a.email)})</option>'
            for a in self.plextv.accounts.values()
        )
        body = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<title>Link a device (stand-in)</title></head><body>"
            "<h1>Link a device</h1><form method='post' action='/link'>"
            f"<label>Code <input name='code' value='{code}' autocomplete='off'></label> "
            f"<label>Account <select name='account'>{options}</select></label> "
            "<button type='submit'>Link</button></form></body></html>"
        )
        return Response(body, content_type="text/html; charset=utf-8")

    async def link_form(self) -> Response:
        form = await request.form
        try:
            account = self.plextv.accounts[int(form.get("account", ""))]
            pin = self.plextv._live_pin(self.plextv.pin_by_code(form.get("code", "")))
        except (KeyError, ValueError):
            pin = None
        if pin is None:
            return Response(
                "<!doctype html><p>That code is unknown or has expired.</p>",
                status=404,
                content_type="text/html",
            )
        self.plextv.link_pin(pin, account)
        return Response(
            f"<!doctype html><p>Linked as {html.escape(account.title)}. "
            "You can close this page.</p>",
            content_type="text/html",
        )
