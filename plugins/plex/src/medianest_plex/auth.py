"""Sign in with Plex: the PIN flow, which the core mounts at `/api/auth/plex`.

1. `POST /api/auth/plex/pin` asks plex.tv for a strong PIN and answers its code and the link
   where the person approves it. A cookie binds the PIN to this browser: HttpOnly, SameSite
   Strict, naming the PIN and its expiry under this install's signature. A PIN id seen anywhere
   else is worthless.
2. The page then polls `POST /api/auth/plex {pin_id, remember_me}`: 202 while plex.tv holds no
   token for the PIN; once it does, the account is checked against the configured server, the
   local user found or created, and the person signed in. Each PIN signs in once.

Refusals: a PIN this browser did not make, or one already used → 404 (as if it never existed);
an expired one → 410 `PIN_EXPIRED`; an account the server is not shared with → 403; too many
attempts from one address → 429. When the rate limiter cannot answer, sign-in fails closed (503).

`POST /api/auth/plex/link {pin_id}` runs the same flow for someone already signed in, and
links the Plex account to their MediaNest account instead (how the local admin becomes the
Plex owner's account).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from quart import Blueprint, after_this_request, request
from quart.typing import ResponseTypes
from quart_schema import validate_request

from medianest.sdk import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    PluginCore,
    current_actor,
    current_core,
    ok,
    public,
    signed_in,
)
from medianest_plex.access import api_errors, connection, runtime
from medianest_plex.accounts import (
    PROVIDER,
    PlexIdentity,
    RegistrationClosed,
    identify,
    remember,
    user_for,
)

blueprint = Blueprint("plex_auth", __name__)

PIN_COOKIE = "medianest_plex_pin"
PIN_BINDING_PURPOSE = "plex/pin-binding"  # the install's subkey that seals PIN cookies
PIN_LIMIT = (20, 600)  # PINs per address per 10 minutes: a person needs one or two
POLL_LIMIT = (120, 60)  # polls per address per minute: the sign-in page polls about once a second
CLAIM_GRACE = 60  # seconds a used PIN stays remembered beyond its expiry


class PinExpired(ApiError):
    status, code, message = 410, "PIN_EXPIRED", "This Plex code has expired; start again"


class PinCheck(BaseModel):
    pin_id: int = Field(ge=1, le=2**62)
    remember_me: bool = False


class PinLink(BaseModel):
    pin_id: int = Field(ge=1, le=2**62)


class PinBinding:
    """Seals "this browser asked for PIN n, which expires at t" with a key of this install."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def of(cls, core: PluginCore) -> PinBinding:
        return cls(core.secrets.subkey(PIN_BINDING_PURPOSE))

    def seal(self, pin_id: int, expires_at: datetime) -> str:
        payload = f"{pin_id}.{int(expires_at.timestamp())}"
        return f"{payload}.{self._mac(payload)}"

    def open(self, sealed: str | None, pin_id: int) -> datetime | None:
        """The PIN's expiry when `sealed` is this install's seal for `pin_id`, else None."""
        payload, _, mac = (sealed or "").rpartition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        sealed_id, _, expires = payload.partition(".")
        if sealed_id != str(pin_id) or not expires.isdigit():
            return None
        return datetime.fromtimestamp(int(expires), UTC)

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()


@blueprint.post("/pin")
@public
async def start_pin():
    """Start signing in with Plex: a code to enter at plex.tv/link, and a link that fills it in."""
    core = current_core()
    await _throttle(core, "pin", *PIN_LIMIT)
    with api_errors():
        await connection(core)  # nothing to sign in to until an admin connects a server
        plextv = await runtime(core).plextv()
        pin = await plextv.create_pin()
    response = ok(
        {
            "pin_id": pin.id,
            "code": pin.code,
            "auth_url": plextv.auth_url(pin.code),
            "expires_at": pin.expires_at.isoformat(),
        }
    )
    lifetime = max(1, int((pin.expires_at - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        core.auth.cookie_name(PIN_COOKIE),
        PinBinding.of(core).seal(pin.id, pin.expires_at),
        max_age=lifetime,
        path="/",
        secure=core.auth.secure,
        httponly=True,
        samesite="Strict",
    )
    return response


@blueprint.post("")
@public
@validate_request(PinCheck)
async def finish_sign_in(data: PinCheck):
    """Poll a PIN: 202 `{status: "waiting"}` until it is approved, then the user and a session."""
    core = current_core()
    await _throttle(core, "poll", *POLL_LIMIT)
    approved = await _approved(core, data.pin_id)
    if approved is None:
        return ok({"status": "waiting"}, status=202)
    identity, token, expires_at = approved
    await _claim(core, data.pin_id, expires_at)
    try:
        user = await user_for(core, identity, token)
    except RegistrationClosed:
        raise Forbidden(
            "New accounts cannot sign in with Plex here; ask an admin",
            details={"reason": "registration_closed"},
        ) from None
    body = await core.auth.sign_in_external(user.id, method=PROVIDER, remember=data.remember_me)
    after_this_request(_clear_pin_cookie)
    return ok(body)


@blueprint.post("/link")
@signed_in
@validate_request(PinLink)
async def link_account(data: PinLink):
    """Link the Plex account that approves this PIN to your MediaNest account."""
    core, actor = current_core(), current_actor()
    assert actor is not None  # @signed_in
    approved = await _approved(core, data.pin_id)
    if approved is None:
        return ok({"status": "waiting"}, status=202)
    identity, token, expires_at = approved
    holder = await core.accounts.find(PROVIDER, identity.account.id)
    if holder is not None and holder.user_id != actor.user_id:
        raise Conflict("This Plex account already belongs to another MediaNest user")
    await _claim(core, data.pin_id, expires_at)
    await remember(core, actor.user_id, identity, token)
    await core.audit.record(
        "plex.linked", actor=actor, target=f"user:{actor.user_id}", owner=identity.owner
    )
    after_this_request(_clear_pin_cookie)
    return ok({"user": await core.users.view(actor.user_id)})


async def _approved(core: PluginCore, pin_id: int) -> tuple[PlexIdentity, str, datetime] | None:
    """The verified account behind an approved PIN this browser made; None while it waits."""
    expires_at = PinBinding.of(core).open(
        request.cookies.get(core.auth.cookie_name(PIN_COOKIE)), pin_id
    )
    if expires_at is None:
        raise NotFound("No such sign-in code")
    if expires_at <= datetime.now(UTC):
        raise PinExpired()
    with api_errors():
        conn = await connection(core)
        pin = await (await runtime(core).plextv()).pin(pin_id)
        if pin is None:
            raise PinExpired()  # plex.tv forgot it: it expired (we know we made it)
        if not pin.auth_token:
            return None
        return await identify(core, conn, pin.auth_token), pin.auth_token, expires_at


async def _claim(core: PluginCore, pin_id: int, expires_at: datetime) -> None:
    """Let each PIN sign in once, on every instance: of concurrent polls exactly one goes on.

    Without the rate limiter this fails closed (503), as `_throttle` does."""
    window = max(1, int((expires_at - datetime.now(UTC)).total_seconds())) + CLAIM_GRACE
    if not await core.limits.claim(f"plex:pin-used:{pin_id}", window=window):
        raise NotFound("No such sign-in code")


async def _throttle(core: PluginCore, action: str, limit: int, window: int) -> None:
    await core.limits.hit(
        f"plex:{action}:address:{core.auth.client_ip()}",
        limit=limit,
        window=window,
        message="Too many Plex sign-in attempts; wait before trying again",
    )


def _clear_pin_cookie(response: ResponseTypes) -> ResponseTypes:
    core = current_core()
    response.delete_cookie(
        core.auth.cookie_name(PIN_COOKIE),
        path="/",
        secure=core.auth.secure,
        httponly=True,
        samesite="Strict",
    )
    return response
