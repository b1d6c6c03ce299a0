"""Websockets: `WS /ws/status`, and `core.realtime.topic_socket` for the plugins' own channels.

Every socket goes the same way (`Sockets.serve`):

1. Origin: a browser's cross-site handshake is refused with a 403 before it completes
   (cross-site websocket hijacking); clients that send no Origin (scripts) pass.
2. Caps (`medianest.socket_limits`): sockets per address, then, for a socket without a
   session cookie, sockets still waiting for their token per address, and once known, sockets
   per account. Over a cap → accept, then close with 4429 and the reason.
3. Identity: the session cookie of the handshake, or, when there is none, a first message
   `{"token": "<personal API token>"}` within 5 s. Nobody → accept, then close with 4401 (a
   browser cannot read the HTTP status of a failed handshake, but it can read a close code).
4. `authorize(actor)` for per-object channels (the owner of a download, …): refused → 4404,
   as an HTTP route answers NOT_FOUND for another user's object.
5. A `ready` message, then the hub's events for this client until the client leaves, the hub
   drops it (1013 when it stopped reading, 4401 when the user's sessions were revoked), its
   session ends (`session:ended`), or the periodic re-check finds the session gone (4401).

An open socket costs two tasks besides its route: the sender (a short stack to resume for each
message) and the reader that drops what the client sends. Keep-alives and session re-checks are
one task for all of them (`Sockets._housekeeping`), which re-checks each session or token once
however many sockets share it.

Websocket handshakes do not run the HTTP pipeline's policy check: the routes carry a policy
marker for the start-up check and their documentation, and authenticate here.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from quart import Blueprint, current_app, websocket

from medianest import jsonbody
from medianest.auth.actor import Actor
from medianest.auth.policy import signed_in
from medianest.auth.service import SESSION_COOKIE
from medianest.errors import ApiError, Forbidden
from medianest.events import Event
from medianest.net import client_ip
from medianest.realtime import CLOSE_UNAUTHENTICATED, PUSHED_EVENTS, Client, ClientClosed
from medianest.socket_limits import CLOSE_TOO_MANY, SocketLimits, TooManySockets

if TYPE_CHECKING:
    from medianest.core import Core

log = logging.getLogger("medianest.realtime")

CLOSE_FORBIDDEN = 4403  # signed in, but may not use this socket (a password change is due)
CLOSE_NOT_FOUND = 4404  # no such object, or another user's
STATUS_EVENTS = frozenset({"service:status", "notification", "plugins:changed"})
READY = json.dumps({"event": "ready", "data": {}})
# Sent after a quiet spell: proxies keep an idle socket open and a dead peer is found. The
# server's own pings are off (see medianest.server), so this is the socket's only keep-alive.
HEARTBEAT = json.dumps({"event": "ping", "data": {}})

Authorize = Callable[[Actor], Awaitable[bool] | bool]
StillValid = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class Credential:
    """What an open socket signed in with, re-checked while it stays open."""

    key: str  # the session id or the token: sockets that share it are re-checked once
    session_id: str | None  # a sign-out of this session closes the socket at once
    still_valid: StillValid


blueprint = Blueprint("realtime", __name__)


@blueprint.websocket("/ws/status")
@signed_in
async def status_socket() -> None:
    """Service status changes and the signed-in user's notifications, as they happen.

    Messages are `{"event": "service:status" | "notification" | "plugins:changed" | "ready" |
    "ping", "data": {…}}` (`ping` after 20–40 s of silence: a keep-alive, nothing to do);
    `plugins:changed` says `{plugin, enabled}` when an admin turns a plugin on or off (or it
    fails), so dashboards reload their widgets.
    """
    core: Core = current_app.extensions["medianest"]
    await core.realtime.serve(names=STATUS_EVENTS)


class Sockets:
    """`core.realtime`: serves websockets from inside websocket routes (the core's and plugins')."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self.first_message_timeout = 5.0  # seconds a cookie-less socket has to send its token
        self.recheck_interval = 45.0  # seconds between checks that the session still stands
        self.heartbeat_interval = 20.0  # seconds between passes that `ping` the quiet sockets
        self._open: dict[Client, Credential] = {}
        self._housekeeper: asyncio.Task[None] | None = None
        self._forwarded: set[str] = set(PUSHED_EVENTS)  # the names the bus hands to the hub
        settings = core.settings
        self.limits = SocketLimits(
            per_user=settings.ws_max_per_user,
            per_address=settings.ws_max_per_address,
            pending=settings.ws_max_pending,
        )
        core.events.subscribe(self._on_session_ended, names=("session:ended",))
        core.on_shutdown(self.stop)

    async def topic_socket(
        self, topic: str, *, names: Iterable[str], authorize: Authorize | None = None
    ) -> None:
        """Serve the current websocket with the events published for `topic`.

        Call it from a plugin's `@bp.websocket(...)` route; it returns when the socket is done.
        Only events named in `names` are sent, and only those published with this `topic` (or
        to no topic), for this user (or for everyone). `authorize(actor)` (sync or async) says
        whether this user may follow the topic.
        """
        wanted = frozenset(names)
        self.forward(wanted)
        await self.serve(names=wanted, topics=(topic,), authorize=authorize)

    def forward(self, names: Iterable[str]) -> None:
        """Have the hub receive these events from the bus too (beyond the browser events it
        always gets), so that sockets which ask for them can be sent them."""
        missing = set(names) - self._forwarded
        if missing:
            self._core.hub.attach(self._core.events, names=missing)
            self._forwarded |= missing

    async def serve(
        self,
        *,
        names: Iterable[str],
        topics: Iterable[str] = (),
        authorize: Authorize | None = None,
    ) -> None:
        """Authenticate the current websocket, then forward the hub's events until it ends."""
        self._check_origin()
        address = self._address()
        try:
            with self.limits.per_address.hold(address):
                await self._serve(address, names=names, topics=topics, authorize=authorize)
        except TooManySockets as busy:
            await websocket.accept()
            await websocket.close(CLOSE_TOO_MANY, busy.reason)

    async def _serve(
        self,
        address: str,
        *,
        names: Iterable[str],
        topics: Iterable[str],
        authorize: Authorize | None,
    ) -> None:
        identity = await self._identify(address)
        if identity is None:
            await websocket.close(CLOSE_UNAUTHENTICATED)
            return
        actor, credential = identity
        refusal = await self._refusal(actor, authorize)
        if refusal is not None:
            await websocket.close(refusal)
            return
        with self.limits.per_user.hold(actor.user_id):
            client = self._core.hub.connect(user_id=actor.user_id, topics=topics, names=names)
            self._keep(client, credential)
            try:
                await websocket.send(READY)
                code = await self._forward(client)
            finally:
                self._release(client)
        await websocket.close(code)

    # ---- the handshake ----------------------------------------------------------------------

    def _check_origin(self) -> None:
        """Refuse a browser's cross-site handshake (raised before `accept`: an HTTP 403)."""
        origin = websocket.headers.get("Origin")
        if origin is None:
            return
        scheme = "https" if websocket.scheme == "wss" else "http"
        allowed = {f"{scheme}://{websocket.host}"}
        if public_url := self._core.settings.public_url:
            parts = urlsplit(public_url)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        if origin not in allowed:
            raise Forbidden("Cross-site websockets are refused", details={"origin": origin[:100]})

    def _address(self) -> str:
        forwarded = websocket.headers.get("X-Forwarded-For")
        return client_ip(websocket.remote_addr, forwarded, self._core.settings.trusted_proxies)

    async def _identify(self, address: str) -> tuple[Actor, Credential] | None:
        """The actor and how to re-check them; accepts the socket either way."""
        auth = self._core.auth
        cookie_sent = any(name.endswith(SESSION_COOKIE) for name in websocket.cookies)
        if cookie_sent:
            actor = await auth.actor_from_cookies(websocket.cookies, tls=websocket.scheme == "wss")
            await websocket.accept()
            if actor is None or actor.session_id is None:
                return None
            session_id = actor.session_id
            return actor, Credential(session_id, session_id, lambda: auth.session_alive(session_id))
        with self.limits.pending.hold(address):  # a socket that has not said who it is yet
            await websocket.accept()
            token = await self._first_message_token()
        if not token:
            return None
        actor = await auth.actor_from_token(token)
        if actor is None:
            return None
        return actor, Credential(token, None, lambda: self._token_still_valid(token))

    async def _first_message_token(self) -> str | None:
        try:
            async with asyncio.timeout(self.first_message_timeout):
                raw = await websocket.receive()
        except TimeoutError:
            return None
        try:
            message = jsonbody.parse(raw)
        except (TypeError, ValueError):
            return None
        token = message.get("token") if isinstance(message, dict) else None
        return token if isinstance(token, str) and token else None

    async def _token_still_valid(self, token: str) -> bool:
        return await self._core.auth.actor_from_token(token) is not None

    @staticmethod
    async def _refusal(actor: Actor, authorize: Authorize | None) -> int | None:
        """The close code that refuses this actor, or None to go on."""
        if actor.must_change_password:
            return CLOSE_FORBIDDEN
        if authorize is None:
            return None
        try:
            allowed = authorize(actor)
            if inspect.isawaitable(allowed):
                allowed = await allowed
        except ApiError as refused:  # Forbidden → 4403, NotFound → 4404, as the HTTP status
            return 4000 + refused.status
        return None if allowed else CLOSE_NOT_FOUND

    # ---- while open ---------------------------------------------------------------------------

    async def _forward(self, client: Client) -> int:
        """Send the client's messages until the hub closes it; return the close code. Quart
        cancels the route when the peer goes away.

        The sending runs in a task of its own: each message then resumes a stack of two frames
        instead of the route's whole chain (Quart's dispatch, `serve`, `_serve`), a cost paid
        per message and socket (decision 0018).
        """
        sender = asyncio.create_task(self._send_each(client, websocket.send))
        reader = asyncio.create_task(self._discard_incoming())
        try:
            return await sender
        finally:
            for task in (sender, reader):
                task.cancel()
            await asyncio.gather(sender, reader, return_exceptions=True)

    @staticmethod
    async def _send_each(client: Client, send: Callable[[str], Awaitable[None]]) -> int:
        while True:
            try:
                message = await client.next_message()
            except ClientClosed as closed:
                return closed.code
            await send(message)

    @staticmethod
    async def _discard_incoming() -> None:
        """Read (and drop) what the client sends, so that nothing piles up."""
        while True:
            await websocket.receive()

    def _keep(self, client: Client, credential: Credential) -> None:
        self._open[client] = credential
        if self._housekeeper is None or self._housekeeper.done():  # runs while sockets are open
            self._housekeeper = asyncio.create_task(
                self._housekeeping(),
                name="medianest-socket-housekeeping",
                context=contextvars.Context(),  # not this socket's request context
            )

    def _release(self, client: Client) -> None:
        self._core.hub.disconnect(client)
        self._open.pop(client, None)
        if not self._open and self._housekeeper is not None:
            self._housekeeper.cancel()
            self._housekeeper = None

    async def stop(self) -> None:
        """Stop the housekeeping (the app is stopping; its sockets are going)."""
        if self._housekeeper is not None:
            self._housekeeper.cancel()
            await asyncio.gather(self._housekeeper, return_exceptions=True)
            self._housekeeper = None

    async def _housekeeping(self) -> None:
        """While sockets are open: a `ping` to each that got nothing for a heartbeat interval,
        and every recheck interval, the sessions and tokens they stand on checked again."""
        loop = asyncio.get_running_loop()
        ping_at = loop.time() + self.heartbeat_interval
        check_at = loop.time() + self.recheck_interval
        while True:
            await asyncio.sleep(max(0.0, min(ping_at, check_at) - loop.time()))
            if loop.time() >= ping_at:
                self._core.hub.ping_quiet(HEARTBEAT)
                ping_at = loop.time() + self.heartbeat_interval
            if loop.time() >= check_at:
                await self._recheck()
                check_at = loop.time() + self.recheck_interval

    async def _recheck(self) -> None:
        """Close (4401) the sockets whose session or token no longer stands."""
        sharing: dict[str, tuple[Credential, list[Client]]] = {}
        for client, credential in list(self._open.items()):
            sharing.setdefault(credential.key, (credential, []))[1].append(client)
        for credential, clients in sharing.values():
            try:
                alive = await credential.still_valid()
            except Exception:  # a database hiccup must not sign anyone out
                log.warning(
                    "could not re-check a websocket's session; keeping it open", exc_info=True
                )
                continue
            if not alive:
                for client in clients:
                    self._core.hub.close(client, CLOSE_UNAUTHENTICATED)

    async def _on_session_ended(self, event: Event) -> None:
        """A sign-out (here or on another instance) closes that session's sockets at once."""
        session_id = str(event.data.get("session_id", ""))
        ended = [c for c, credential in self._open.items() if credential.session_id == session_id]
        for client in ended:  # sign-outs are rare: a pass over the open sockets is cheap
            self._core.hub.close(client, CLOSE_UNAUTHENTICATED)
