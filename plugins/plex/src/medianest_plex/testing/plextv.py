"""`FakePlexTV`: a plex.tv stand-in (PIN sign-in, accounts, resources, shared servers).

See the package docstring (`medianest_plex.testing`) for the routes and the control API.
"""

from __future__ import annotations

import html
import json
import secrets
import string
import time
import uuid as uuid_module
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

from quart import Quart, Response, request

from medianest_plex.testing._server import StandinServer
from medianest_plex.testing._wire import (
    Element,
    Scalar,
    colour_for,
    iter_xml,
    solid_png,
    wants_json,
)
from medianest_plex.testing.pms import FakePlexServer, SectionRef

DEFAULT_PIN_LIFETIME = 900.0
PIN_LOCATION = {
    "code": "US",
    "european_union_member": False,
    "continent_code": "NA",
    "country": "United States",
    "city": "Springfield",
    "time_zone": "America/Chicago",
    "postal_code": "62701",
    "in_privacy_restricted_country": False,
    "in_privacy_restricted_region": False,
    "subdivisions": "Illinois",
    "coordinates": "39.8,-89.6",
}
#: plex.tv's v2 error codes for the refusals the stand-in makes.
ERROR_CODES = {400: 1000, 401: 1001, 404: 1020}
MYPLEX_ID = "com.plexapp.plugins.myplex"


@dataclass
class PlexAccount:
    """A plex.tv account. `token` is what a signed-in client sends as `X-Plex-Token`."""

    id: int
    uuid: str
    username: str
    email: str
    token: str
    title: str = ""
    home: bool = False
    home_admin: bool = False
    guest: bool = False
    joined_at: int = 1_500_000_000

    def __post_init__(self) -> None:
        self.title = self.title or self.username


@dataclass
class Pin:
    """A sign-in PIN. `auth_token` is set once a person links it to their account."""

    id: int
    code: str
    client_identifier: str
    product: str | None
    strong: bool
    created_at: float
    expires_at: float
    auth_token: str | None = None


@dataclass
class ServerShare:
    """One account's access to one server: the sections and the server token plex.tv hands out."""

    id: int
    server: FakePlexServer
    account: PlexAccount
    access_token: str
    section_ids: frozenset[int]
    created_at: int


@dataclass
class _OwnedServer:
    server: FakePlexServer
    owner: PlexAccount
    created_at: int


class PlexTVError(Exception):
    """A refusal in plex.tv's error format."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


class FakePlexTV(StandinServer):
    """A plex.tv stand-in. See `medianest_plex.testing` for the full story."""

    label = "fake-plextv"

    def __init__(
        self,
        *,
        pin_lifetime: float = DEFAULT_PIN_LIFETIME,
        clock: Callable[[], float] = time.time,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.pin_lifetime = pin_lifetime
        self.clock = clock
        self.accounts: dict[int, PlexAccount] = {}
        self.pins: dict[int, Pin] = {}
        self.shares: list[ServerShare] = []
        self._servers: dict[str, _OwnedServer] = {}
        self._revoked: set[str] = set()
        self._account_ids = count(1001)
        self._pin_ids = count(7_100_000_001)
        self._share_ids = count(1)

    # ----- accounts ----------------------------------------------------------------------
    def add_account(
        self,
        username: str,
        *,
        email: str | None = None,
        token: str | None = None,
        home: bool = False,
        title: str | None = None,
    ) -> PlexAccount:
        account = PlexAccount(
            id=next(self._account_ids),
            uuid=uuid_module.uuid4().hex[:16],
            username=username,
            email=email or f"{username.lower()}@example.com",
            token=token or secrets.token_urlsafe(15),
            title=title or username,
            home=home,
        )
        self.accounts[account.id] = account
        return account

    def account_for(self, token: str | None) -> PlexAccount | None:
        """The account a token signs in, or None (unknown or revoked)."""
        if not token or token in self._revoked:
            return None
        return next(
            (a for a in self.accounts.values() if secrets.compare_digest(a.token, token)), None
        )

    def revoke_token(self, token: str) -> None:
        """plex.tv forgets this account token (401 on `/api/v2/user`). Servers keep their own tokens."""
        self._revoked.add(token)

    # ----- PINs ----------------------------------------------------------------------------
    def pin(self, pin_id: int) -> Pin:
        return self.pins[pin_id]

    def pin_by_code(self, code: str) -> Pin:
        for pin in self.pins.values():
            if pin.code.casefold() == code.casefold():
                return pin
        raise KeyError(code)

    def link_pin(self, pin: int | str | Pin, account: PlexAccount) -> None:
        """What the person does on plex.tv/link: approve the PIN (by id, code or object) as `account`."""
        found = (
            pin
            if isinstance(pin, Pin)
            else self.pins.get(pin)
            if isinstance(pin, int)
            else self.pin_by_code(pin)
        )
        if found is None:
            raise KeyError(pin)
        found.auth_token = account.token

    def expire_pin(self, pin_id: int) -> None:
        """End the PIN's life now: polls get 404 from here on."""
        self.pins[pin_id].expires_at = self.clock() - 1

    def _new_pin(self, client_identifier: str, product: str | None, strong: bool) -> Pin:
        alphabet = (
            string.ascii_lowercase + string.digits
            if strong
            else string.ascii_uppercase + string.digits
        )
        length = 25 if strong else 4
        now = self.clock()
        pin = Pin(
            id=next(self._pin_ids),
            code="".join(secrets.choice(alphabet) for _ in range(length)),
            client_identifier=client_identifier,
            product=product,
            strong=strong,
            created_at=now,
            expires_at=now + self.pin_lifetime,
        )
        self.pins[pin.id] = pin
        return pin

    def _live_pin(self, pin: Pin | None) -> Pin | None:
        return pin if pin is not None and pin.expires_at > self.clock() else None

    # ----- servers and shares ----------------------------------------------------------------
    def add_server(self, server: FakePlexServer, owner: PlexAccount) -> None:
        """Register `server` as owned by `owner`; the owner's account token becomes its owner token."""
        server.owner_token = owner.token
        server.owner_username = owner.username
        self._servers[server.machine_identifier] = _OwnedServer(server, owner, int(self.clock()))

    def share_server(
        self, server: FakePlexServer, account: PlexAccount, sections: Iterable[SectionRef]
    ) -> str:
        """Share `sections` of a registered server with `account`; returns its server access token.

        That token (not the account token) is what `/api/v2/resources` hands the account for
        this server, and what the server accepts from it.
        """
        if server.machine_identifier not in self._servers:
            raise ValueError("register the server with add_server() first")
        sections = list(sections)
        self.unshare_server(server, account)
        token = server.share(sections, with_token=secrets.token_urlsafe(15))
        section_ids = frozenset(server.section(ref).id for ref in sections)
        self.shares.append(
            ServerShare(
                next(self._share_ids), server, account, token, section_ids, int(self.clock())
            )
        )
        return token

    def unshare_server(self, server: FakePlexServer, account: PlexAccount) -> None:
        for share in [s for s in self.shares if s.server is server and s.account.id == account.id]:
            server.unshare(share.access_token)
            self.shares.remove(share)

    def _owned_by(self, account: PlexAccount) -> list[_OwnedServer]:
        return [entry for entry in self._servers.values() if entry.owner.id == account.id]

    # ----- wire forms ----------------------------------------------------------------------
    def _base_url(self) -> str:
        return self.url if self.running else "http://127.0.0.1"

    def pin_json(self, pin: Pin) -> dict:
        return {
            "id": pin.id,
            "code": pin.code,
            "product": pin.product,
            "trusted": False,
            "qr": f"{self._base_url()}/api/v2/pins/qr/{pin.code}",
            "clientIdentifier": pin.client_identifier,
            "location": PIN_LOCATION,
            "expiresIn": max(0, int(pin.expires_at - self.clock())),
            "createdAt": _iso(pin.created_at),
            "expiresAt": _iso(pin.expires_at),
            "authToken": pin.auth_token,
            "newRegistration": None,
        }

    def user_json(self, account: PlexAccount) -> dict:
        return {
            "id": account.id,
            "uuid": account.uuid,
            "username": account.username,
            "title": account.title,
            "email": account.email,
            "friendlyName": account.title,
            "locale": None,
            "confirmed": True,
            "joinedAt": account.joined_at,
            "emailOnlyAuth": False,
            "hasPassword": True,
            "protected": False,
            "thumb": f"{self._base_url()}/users/{account.uuid}/avatar",
            "authToken": account.token,
            "mailingListStatus": "unsubscribed",
            "mailingListActive": False,
            "scrobbleTypes": "",
            "country": "US",
            "subscription": {
                "active": False,
                "subscribedAt": None,
                "status": "Inactive",
                "paymentService": None,
                "plan": None,
                "features": [],
            },
            "subscriptionDescription": None,
            "restricted": False,
            "anonymous": None,
            "home": account.home,
            "guest": account.guest,
            "homeSize": 1,
            "homeAdmin": account.home_admin,
            "maxHomeSize": 15,
            "rememberExpiresAt": account.joined_at + 90 * 86400,
            "profile": {
                "autoSelectAudio": True,
                "defaultAudioLanguage": "en",
                "defaultSubtitleLanguage": "en",
                "autoSelectSubtitle": 0,
                "defaultSubtitleAccessibility": 0,
                "defaultSubtitleForces": 0,
            },
            "entitlements": [],
            "roles": [],
            "services": [],
            "adsConsent": None,
            "adsConsentSetAt": None,
            "adsConsentReminderAt": None,
            "experimentalFeatures": False,
            "twoFactorEnabled": False,
            "backupCodesCreated": False,
        }

    def resources_json(self, account: PlexAccount) -> list[dict]:
        entries = [
            self._resource(entry.server, entry.owner, account.token, None, entry.created_at)
            for entry in self._owned_by(account)
        ]
        for share in self.shares:
            if share.account.id == account.id and share.server.machine_identifier in self._servers:
                owner = self._servers[share.server.machine_identifier].owner
                entries.append(
                    self._resource(share.server, owner, share.access_token, owner, share.created_at)
                )
        return entries

    def _resource(
        self,
        server: FakePlexServer,
        owner: PlexAccount,
        token: str,
        shared_by: PlexAccount | None,
        created: int,
    ) -> dict:
        # Like plex.tv: a local and a remote address (both loopback here); python-plexapi only
        # tries the remote ones for a server it does not own.
        connections = []
        if server.running:
            port = int(server.url.rsplit(":", 1)[1])
            connections = [
                {
                    "protocol": "http",
                    "address": "127.0.0.1",
                    "port": port,
                    "uri": server.url,
                    "local": local,
                    "relay": False,
                    "IPv6": False,
                }
                for local in (True, False)
            ]
        return {
            "name": server.name,
            "product": "Plex Media Server",
            "productVersion": server.version,
            "platform": "Linux",
            "platformVersion": "6.1",
            "device": "PC",
            "clientIdentifier": server.machine_identifier,
            "createdAt": _iso(created),
            "lastSeenAt": _iso(self.clock()),
            "provides": "server",
            "ownerId": shared_by.id if shared_by else None,
            "sourceTitle": shared_by.username if shared_by else None,
            "publicAddress": "127.0.0.1",
            "accessToken": token,
            "owned": shared_by is None,
            "home": False,
            "synced": False,
            "relay": False,
            "presence": server.running,
            "httpsRequired": False,
            "publicAddressMatches": True,
            "dnsRebindingProtection": False,
            "natLoopbackSupported": False,
            "connections": connections,
        }

    # ----- app -----------------------------------------------------------------------------
    def _build_app(self) -> Quart:
        app = Quart(f"medianest_plex.testing.{self.label}")
        _PlexTVRoutes(self).register(app)
        return app


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


class _PlexTVRoutes:
    def __init__(self, plextv: FakePlexTV) -> None:
        self.plextv = plextv

    def register(self, app: Quart) -> None:
        app.errorhandler(PlexTVError)(self._on_error)
        routes = [
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

    # ----- the person's side of linking (demo and browser tests; not a plex.tv API) ----------------
    async def link_page(self) -> Response:
        code = html.escape(request.args.get("code", ""))
        options = "".join(
            f'<option value="{a.id}">{html.escape(a.title)} ({html.escape(a.email)})</option>'
            for a in self.plextv.accounts.values()
        )
        body = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Link a device (stand-in)</title></head><body>"
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
            f"<!doctype html><p>Linked as {html.escape(account.title)}. You can close this page.</p>",
            content_type="text/html",
        )
