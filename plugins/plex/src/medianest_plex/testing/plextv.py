"""`FakePlexTV`: a plex.tv stand-in (PIN sign-in, accounts, resources, shared servers).

See the package docstring (`medianest_plex.testing`) for the routes and the control API.
"""

from __future__ import annotations

import secrets
import string
import time
import uuid as uuid_module
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

from quart import Quart

from medianest_plex.testing._plextv_routes import PlexTVRoutes
from medianest_plex.testing._server import StandinServer
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


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        """plex.tv forgets this account token (401 on `/api/v2/user`); servers keep their own."""
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
        """What the person does on plex.tv/link: approve the PIN (by id, code or object) as
        `account`."""
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
        """Register `server` as owned by `owner`, whose account token becomes its owner token."""
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
        PlexTVRoutes(self).register(app)
        return app
