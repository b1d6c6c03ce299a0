"""Authentication and authorization for every request, and the sign-in operations.

Request flow (called by the app before any route body is read):
    cookie session | Bearer token | remember-me cookie  →  Actor (or None)
    → CSRF and Origin check for cookie-authenticated state changes
    → the route's policy (public / signed in / admin / permission)
    → the per-user API rate limit, or for HTML pages the `pages` budget (per user, or per
      address when signed out)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from quart import after_this_request, current_app, g, request
from quart.typing import ResponseTypes

from medianest import audit
from medianest.auth import usernames
from medianest.auth.actor import Actor
from medianest.auth.models import Session, User, UserPermission
from medianest.auth.permissions import CORE_PERMISSIONS, decide, effective
from medianest.auth.policy import OWN_CREDENTIALS, PENDING_OK, RATE_BUCKET, UNCOUNTED, Policy
from medianest.auth.sessions import Revoked, SessionStore, now
from medianest.auth.throttle import DEVICE_COOKIE, DEVICE_LIFETIME, SignInThrottle
from medianest.errors import Forbidden, PasswordChangeRequired, RateLimited, Unauthenticated
from medianest.net import client_ip
from medianest.plugins.contributions import Permission
from medianest.ratelimit import LimiterUnavailable
from medianest.security.passwords import PasswordService

if TYPE_CHECKING:
    from medianest.core import Core

log = logging.getLogger("medianest.auth")

SESSION_COOKIE = "medianest_session"
REMEMBER_COOKIE = "medianest_remember"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


Loaded = tuple[Actor, str | None, float | None]
"""What a credential lookup gives the cache: the actor, its CSRF binding, when it must expire."""


class ActorCache:
    """Recently resolved credentials → Actor, so a busy page does not hit the database per request.

    Entries live a few seconds at most and are dropped at once when a session ends or a user
    changes — on every instance, through the bus (`session:ended`, `session:revoked`,
    `user:changed`). The bus is at-most-once, so the TTL bounds how long a lost event matters.

    Lookups are single-flight: when an entry is missing or expired, the first request loads it
    and every other request for the same credential awaits that one load, instead of all of
    them queueing on the database at once (a busy dashboard's tail latency, every TTL).
    """

    TTL = 5.0
    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Actor, str | None]] = {}
        self._loading: dict[str, asyncio.Future[Loaded | None]] = {}
        self._epoch = 0  # bumped by every drop: a load that began before it must not be cached

    def get(self, key: str) -> tuple[Actor, str | None] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry[1], entry[2]

    async def get_or_load(
        self, key: str, load: Callable[[], Awaitable[Loaded | None]]
    ) -> tuple[Actor, str | None] | None:
        """The cached actor and binding, else what one shared `load()` finds (None: nobody).
        A caller that gives up (its client left) does not cancel the load for the others."""
        cached = self.get(key)
        if cached is not None:
            return cached
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(self._load(key, load))
            loading.add_done_callback(lambda done: self._finished(key, done))
        loaded = await asyncio.shield(loading)
        return None if loaded is None else (loaded[0], loaded[1])

    async def _load(self, key: str, load: Callable[[], Awaitable[Loaded | None]]) -> Loaded | None:
        epoch = self._epoch
        loaded = await load()
        if loaded is not None and epoch == self._epoch:
            self.put(key, *loaded)
        return loaded

    def _finished(self, key: str, done: asyncio.Future) -> None:
        if self._loading.get(key) is done:
            del self._loading[key]
        if not done.cancelled():
            done.exception()  # retrieved here too, for when every waiter has gone

    def put(
        self, key: str, actor: Actor, csrf_binding: str | None, expires_at: float | None = None
    ) -> None:
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        deadline = time.monotonic() + self.TTL
        self._entries[key] = (
            min(deadline, expires_at) if expires_at else deadline,
            actor,
            csrf_binding,
        )

    def drop(self, key: str) -> None:
        self._forget_loads()
        self._entries.pop(key, None)

    def drop_user(self, user_id: str) -> None:
        self._forget_loads()
        for key in [key for key, entry in self._entries.items() if entry[1].user_id == user_id]:
            self._entries.pop(key, None)

    def _forget_loads(self) -> None:
        """Loads under way may have read what was just revoked: later callers start afresh."""
        self._epoch += 1
        self._loading.clear()


class AuthService:
    def __init__(self, core: Core) -> None:
        settings = core.settings
        self.core = core
        self.passwords = PasswordService()
        self.sessions = SessionStore(
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(hours=settings.session_lifetime_hours),
        )
        self._csrf_key = core.keys.subkey("csrf")
        self.cache = ActorCache()
        self.throttle = SignInThrottle(core.limiter, core.keys.subkey("device"))

    # ---- permissions ------------------------------------------------------------------

    def declared_permissions(self) -> list[tuple[str, Permission]]:
        """Every declared permission, with who declares it: `core` or a loaded plugin's id."""
        declared = [("core", permission) for permission in CORE_PERMISSIONS]
        for record in self.core.host.records.values():
            declared.extend(
                (record.id, p) for p in record.contributions.get("register_permissions", [])
            )
        return declared

    def permission_defaults(self) -> dict[str, tuple[str, ...]]:
        """Every declared permission (core and loaded plugins) → roles holding it by default."""
        return {
            permission.name: permission.default_roles
            for _, permission in self.declared_permissions()
        }

    async def grants(self, user_id: object) -> dict[str, bool]:
        rows = await UserPermission.filter(user_id=user_id)
        return {row.permission: row.granted for row in rows}

    async def actor_for(
        self, user: User, *, via: str = "session", session_id: str | None = None
    ) -> Actor:
        permissions = effective(user.role, self.permission_defaults(), await self.grants(user.id))
        return Actor(
            user_id=str(user.id),
            username=user.username,
            role=user.role,
            permissions=frozenset(permissions),
            via=via,  # type: ignore[arg-type]
            session_id=session_id,
            must_change_password=user.must_change_password,
        )

    async def holds(self, user: User, permission: str) -> bool:
        return decide(user.role, permission, self.permission_defaults(), await self.grants(user.id))

    # ---- per request ------------------------------------------------------------------

    async def authorize(self, policy: Policy) -> None:
        """Resolve the actor into `g.actor`, then enforce CSRF, the policy and the API limit."""
        view = current_app.view_functions.get(request.endpoint or "")
        if policy.kind == "public" and getattr(view, OWN_CREDENTIALS, False):
            g.actor = None  # the route checks its own credentials
            return
        actor, via_cookie = await self._authenticate()
        g.actor = actor
        if request.method not in SAFE_METHODS:
            self._check_origin()
            if via_cookie:
                self._check_csrf(actor)
        if policy.kind == "public":
            if self._is_page(view):
                await self._limit_page(actor)
            return
        if actor is None:
            raise Unauthenticated()
        if actor.must_change_password and not getattr(view, PENDING_OK, False):
            raise PasswordChangeRequired()
        if policy.kind == "admin" and not actor.is_admin:
            raise Forbidden("Administrators only")
        if policy.permission and not actor.can(policy.permission):
            raise Forbidden(
                f"You need the {policy.permission} permission",
                details={"permission": policy.permission},
            )
        if request.path.startswith("/api/"):
            await self._limit_api(actor, getattr(view, RATE_BUCKET, "api"))
        elif self._is_page(view):
            await self._limit_page(actor)

    async def _authenticate(self) -> tuple[Actor | None, bool]:
        """(actor, whether a cookie proved it). Bearer tokens are never cookie-borne."""
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            return await self._bearer_actor(header[7:].strip()), False
        token = request.cookies.get(self.cookie_name(SESSION_COOKIE))
        if token:
            actor = await self._session_actor(token)
            if actor is not None:
                self._ensure_csrf_cookie()
                return actor, True
        remember = request.cookies.get(self.cookie_name(REMEMBER_COOKIE))
        if remember:
            actor = await self._sign_in_remembered(remember)
            return actor, actor is not None
        return None, False

    async def _bearer_actor(self, token: str) -> Actor:
        key = "t:" + hashlib.sha256(token.encode()).hexdigest()
        found = await self.cache.get_or_load(key, lambda: self._load_bearer(token))
        if found is None:
            raise Unauthenticated("The API token is not valid")
        return found[0]

    async def _load_bearer(self, token: str) -> Loaded | None:
        found = await self.sessions.resolve_api_token(token)
        return None if found is None else (await self.actor_for(found[1], via="token"), None, None)

    async def _session_actor(self, token: str) -> Actor | None:
        session_id = hashlib.sha256(token.encode()).hexdigest()
        found = await self.cache.get_or_load("s:" + session_id, lambda: self._load_session(token))
        if found is None:
            return None
        g.csrf_binding = found[1]
        return found[0]

    async def _load_session(self, token: str) -> Loaded | None:
        found = await self.sessions.resolve(token)
        if found is None:
            return None
        session, user = found
        remaining = (session.expires_at - now()).total_seconds()
        actor = await self.actor_for(user, session_id=session.id)
        return actor, session.remember_family or session.id, time.monotonic() + remaining

    def forget(self, event_name: str, data: dict[str, Any]) -> None:
        """Drop cached actors an event makes stale (called for bus events from every instance)."""
        if event_name == "session:ended":
            self.cache.drop("s:" + str(data["session_id"]))
        elif event_name in ("session:revoked", "user:changed"):
            self.cache.drop_user(str(data["user_id"]))

    async def invalidate_user(self, user_id: object) -> None:
        """A user's role, status or permissions changed: every instance re-reads them."""
        self.cache.drop_user(str(user_id))
        await self.core.publish("user:changed", {"user_id": str(user_id)})

    async def _sign_in_remembered(self, token: str) -> Actor | None:
        redeemed = await self.sessions.redeem_remember(token)
        if redeemed is None:
            after_this_request(self._clear_cookies)
            return None
        session_token = await self.sessions.create(
            redeemed.user,
            ip=self.client_ip(),
            user_agent=request.headers.get("User-Agent"),
            family=redeemed.family,
        )
        remember_token, _ = await self.sessions.issue_remember(redeemed.user, redeemed.family)
        after_this_request(self._cookie_setter(session_token, remember_token, redeemed.family))
        g.csrf_binding = redeemed.family
        session_id = hashlib.sha256(session_token.encode()).hexdigest()
        return await self.actor_for(redeemed.user, session_id=session_id)

    def _check_origin(self) -> None:
        """Refuse state changes a browser sends on behalf of another site."""
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            raise Forbidden("Cross-site requests are refused")
        origin = request.headers.get("Origin")
        if origin is None:
            return
        allowed = {f"{request.scheme}://{request.host}"}
        if self.core.settings.public_url:
            parts = urlsplit(self.core.settings.public_url)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        if origin not in allowed:
            raise Forbidden("Cross-site requests are refused", details={"origin": origin[:100]})

    def _check_csrf(self, actor: Actor | None) -> None:
        if actor is None:
            return
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, self.csrf_token(g.csrf_binding)):
            raise Forbidden(
                "The X-CSRF-Token header is missing or wrong", details={"reason": "csrf"}
            )

    async def _limit_api(self, actor: Actor, bucket: str) -> None:
        await self._spend(bucket, f"user:{actor.user_id}")

    @staticmethod
    def _is_page(view: Any) -> bool:
        """An HTML page: any route outside `/api/` and `/ws/` (the dashboard's, a plugin's) but a
        static file or a probe. Pages reach services too (a library search), so they count."""
        return (
            not request.path.startswith(("/api/", "/ws/"))
            and not (request.endpoint == "static" or (request.endpoint or "").endswith(".static"))
            and not getattr(view, UNCOUNTED, False)
        )

    async def _limit_page(self, actor: Actor | None) -> None:
        who = f"user:{actor.user_id}" if actor else f"address:{self.client_ip()}"
        await self._spend("pages", who)

    async def _spend(self, bucket: str, who: str) -> None:
        limit = self.core.system.current.rate_limits[bucket]
        try:
            decision = await self.core.limiter.hit(
                f"{bucket}:{who}", limit=limit.limit, window=limit.window
            )
        except LimiterUnavailable:
            return  # budgets fail open: a Redis outage must not lock the household out
        if not decision.allowed:
            raise RateLimited(
                limit=decision.limit, window=decision.window, retry_after=decision.retry_after
            )

    # ---- cookies ----------------------------------------------------------------------

    @property
    def secure(self) -> bool:
        public = self.core.settings.public_url or ""
        return public.startswith("https://") or request.scheme == "https"

    def cookie_name(self, name: str) -> str:
        """`__Host-` cookies (Secure, Path=/, no Domain) wherever the site is on TLS."""
        return f"__Host-{name}" if self.secure and name != CSRF_COOKIE else name

    def csrf_token(self, binding: str) -> str:
        return hmac.new(self._csrf_key, binding.encode(), hashlib.sha256).hexdigest()

    def _ensure_csrf_cookie(self) -> None:
        expected = self.csrf_token(g.csrf_binding)
        if request.cookies.get(CSRF_COOKIE) != expected:
            after_this_request(self._csrf_setter(expected))

    # The cookie setters are coroutines: Quart hands a plain function given to
    # `after_this_request` to its thread pool, a thread hop for every response that sets one.
    def _csrf_setter(self, value: str):
        async def set_cookie(response: ResponseTypes) -> ResponseTypes:
            response.set_cookie(
                CSRF_COOKIE, value, path="/", secure=self.secure, httponly=False, samesite="Lax"
            )
            return response

        return set_cookie

    def _cookie_setter(self, session_token: str, remember_token: str | None, family: str | None):
        binding = family or hashlib.sha256(session_token.encode()).hexdigest()
        csrf = self._csrf_setter(self.csrf_token(binding))

        async def set_cookies(response: ResponseTypes) -> ResponseTypes:
            common: dict[str, Any] = {"path": "/", "secure": self.secure, "httponly": True}
            response.set_cookie(
                self.cookie_name(SESSION_COOKIE), session_token, samesite="Lax", **common
            )
            if remember_token:
                max_age = int(timedelta(days=90).total_seconds())
                response.set_cookie(
                    self.cookie_name(REMEMBER_COOKIE),
                    remember_token,
                    max_age=max_age,
                    samesite="Strict",
                    **common,
                )
            return await csrf(response)

        return set_cookies

    def device_cookie(self) -> str | None:
        return request.cookies.get(self.cookie_name(DEVICE_COOKIE))

    def trust_this_device(self, username: str) -> None:
        """Give this browser a new device cookie for `username` (after a password sign-in):
        its later sign-ins there count against its own limit only. Kept across sign-outs."""
        value = self.throttle.device_cookie(username)

        async def set_cookie(response: ResponseTypes) -> ResponseTypes:
            response.set_cookie(
                self.cookie_name(DEVICE_COOKIE),
                value,
                max_age=int(DEVICE_LIFETIME.total_seconds()),
                path="/",
                secure=self.secure,
                httponly=True,
                samesite="Strict",
            )
            return response

        after_this_request(set_cookie)

    async def _clear_cookies(self, response: ResponseTypes) -> ResponseTypes:
        for name in (SESSION_COOKIE, REMEMBER_COOKIE):
            response.delete_cookie(
                self.cookie_name(name), path="/", secure=self.secure, httponly=True
            )
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    # ---- websockets: no request context, so the socket hands over what its handshake had ---

    async def actor_from_cookies(self, cookies: Mapping[str, str], *, tls: bool) -> Actor | None:
        """Who a websocket handshake's session cookie proves, or None. `tls`: the page is served
        over https, where only the `__Host-` cookie counts (as for requests). Remember-me is not
        honoured here: a socket cannot set the rotated cookies it would need."""
        secure = tls or (self.core.settings.public_url or "").startswith("https://")
        token = cookies.get(f"__Host-{SESSION_COOKIE}" if secure else SESSION_COOKIE)
        if not token:
            return None
        found = await self.sessions.resolve(token)
        if found is None:
            return None
        session, user = found
        return await self.actor_for(user, session_id=session.id)

    async def actor_from_token(self, token: str) -> Actor | None:
        """Whose personal API token this is (sent in a socket's first message), or None."""
        found = await self.sessions.resolve_api_token(token)
        return None if found is None else await self.actor_for(found[1], via="token")

    async def session_alive(self, session_id: str) -> bool:
        """Whether a session still stands (not ended, expired or idle too long; its user active),
        checked without counting as activity: an open socket alone keeps nobody signed in."""
        session = await Session.get_or_none(id=session_id).select_related("user")
        if session is None or not session.user.is_active:
            return False
        moment = now()
        return session.expires_at > moment and session.last_seen_at + self.sessions.idle > moment

    # ---- operations -------------------------------------------------------------------

    def client_ip(self) -> str:
        return client_ip(
            request.remote_addr,
            request.headers.get("X-Forwarded-For"),
            self.core.settings.trusted_proxies,
        )

    async def start_session(self, user: User, *, remember: bool) -> Actor:
        """Sign `user` in on this response: a new session id every time (no fixation)."""
        old = request.cookies.get(self.cookie_name(SESSION_COOKIE))
        if old:
            old_id = hashlib.sha256(old.encode()).hexdigest()
            await self.sessions.revoke(old_id)
            self.cache.drop("s:" + old_id)
            await self.core.publish(
                "session:ended", {"session_id": old_id, "user_id": str(user.id)}
            )
        family = None
        remember_token = None
        if remember:
            family = secrets.token_hex(16)
        session_token = await self.sessions.create(
            user, ip=self.client_ip(), user_agent=request.headers.get("User-Agent"), family=family
        )
        if remember:
            remember_token, _ = await self.sessions.issue_remember(user, family)
        after_this_request(self._cookie_setter(session_token, remember_token, family))
        await User.filter(id=user.id).update(last_login_at=now())
        session_id = hashlib.sha256(session_token.encode()).hexdigest()
        g.actor = await self.actor_for(user, session_id=session_id)
        return g.actor

    async def sign_in_external(
        self, user: User | str, *, method: str, remember: bool
    ) -> dict[str, Any]:
        """Sign in a user an auth provider has vouched for (Plex, …); the sign-in answer's body.

        The provider has proven who the person is; this refuses a disabled account, starts the
        session on this response, audits the sign-in, and answers exactly like the password
        sign-in: `{user, must_change_password}`.
        """
        from medianest.api.auth import user_view

        if not isinstance(user, User):
            user = await User.get(id=user)
        if not user.is_active:
            await audit.record(
                "auth.sign_in_refused",
                actor=user,
                ip=self.client_ip(),
                method=method,
                reason="disabled",
            )
            raise Forbidden("This account is disabled", details={"reason": "disabled"})
        actor = await self.start_session(user, remember=remember)
        await audit.record(
            "auth.sign_in", actor=actor, ip=self.client_ip(), method=method, remember=remember
        )
        return {
            "user": await user_view(user, actor.permissions),
            "must_change_password": user.must_change_password,
        }

    async def available_username(self, wanted: str) -> str:
        """`wanted` made a valid username that neither is nor looks like any existing one:
        "alice", else "alice-2", "alice-3", …

        For accounts an auth provider creates: a Plex user called "admin" (or "аdmin", with a
        Cyrillic а) must never become, or be mistaken for, the local "admin". The name is NFKC-
        normalised and compared by case and by its confusables skeleton (`auth.usernames`).
        """
        base = usernames.normalised(wanted)
        taken = usernames.taken_keys([name for (name,) in await User.all().values_list("username")])
        candidate, number = base, 1
        while usernames.keys(candidate) & taken:
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    async def end_session(self, actor: Actor | None) -> None:
        if actor is not None and actor.session_id:
            await self.sessions.revoke(actor.session_id)
            self.cache.drop("s:" + actor.session_id)
            await self.core.publish(
                "session:ended", {"session_id": actor.session_id, "user_id": actor.user_id}
            )
        after_this_request(self._clear_cookies)

    async def revoke_user(self, user_id: object, *, keep_session: str | None = None) -> Revoked:
        """End a user's sessions, remember-me and API tokens everywhere and close their sockets
        on every instance. Call it whenever the person's right to be signed in changed: a new
        password, a role or status change, access to an external service lost."""
        revoked = await self.sessions.revoke_user(user_id, keep_session=keep_session)
        self.cache.drop_user(str(user_id))
        await self.core.publish("session:revoked", {"user_id": str(user_id)})
        return revoked

    async def bootstrap_admin(self) -> None:
        """Create the first admin on a fresh install; print a random password when none is set."""
        if await User.filter(role="admin").exists():
            return
        settings = self.core.settings
        given = settings.admin_password.get_secret_value() if settings.admin_password else None
        generated = given is None
        password = secrets.token_urlsafe(12) if given is None else given
        user = await User.create(
            username=settings.admin_username,
            role="admin",
            password_hash=await self.passwords.hash(password),
            must_change_password=True,
        )
        await audit.record("user.bootstrap", target=f"user:{user.id}", username=user.username)
        if generated:
            # Printed once, to the console only (never to the log): it must be changed at first
            # sign-in.
            print(
                f"\n  MediaNest created the admin account {user.username!r} with the one-time "
                f"password:\n      {password}\n  Sign in and choose a new one.\n",
                file=sys.stderr,
                flush=True,
            )
