"""`PluginCore`: what every hook receives as `core`, typed.

These protocols are the plugin API's promise (see `medianest.sdk`): what is here keeps working
across minor versions of MediaNest. The app's real `Core` has more; a plugin that reaches
past these protocols is on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from medianest.auth.accounts import LinkedAccount, UserInfo
from medianest.auth.actor import Actor
from medianest.events import Event
from medianest.http import ServiceClient
from medianest.plugins.contributions import Connection
from medianest.ratelimit import Decision


class PlatformSettings(Protocol):
    """The install's settings a plugin may read (never secrets)."""

    data_dir: Path
    download_dir: Path
    status_interval: float | None


class Users(Protocol):
    async def get(self, user_id: object) -> UserInfo | None: ...
    async def active_admin_exists(self) -> bool: ...
    async def view(self, user_id: object) -> dict[str, Any]:
        """The user as `/api/auth/session` shows them."""

    async def update_profile(
        self, user_id: object, *, email: str | None = None, thumb: str | None = None
    ) -> None: ...
    async def sign_out_everywhere(self, user_id: object) -> int:
        """End every session and API token of the user everywhere; how many ended."""


class Accounts(Protocol):
    """Each user's identity at an auth provider, its token encrypted, bound to (user, provider)."""

    async def find(self, provider: str, external_id: str) -> LinkedAccount | None: ...
    async def of_user(self, user_id: object, provider: str) -> LinkedAccount | None: ...
    async def due(
        self, provider: str, checked_before: datetime, limit: int = 100
    ) -> list[LinkedAccount]: ...
    async def link(
        self,
        user_id: object,
        provider: str,
        external_id: str,
        *,
        username: str | None = None,
        token: str | None = None,
        checked_at: datetime | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> LinkedAccount: ...
    async def token(self, provider: str, user_id: object) -> str | None: ...
    async def forget_token(self, provider: str, user_id: object) -> None: ...
    async def unlink(self, provider: str, user_id: object) -> None: ...
    async def sign_up(
        self,
        provider: str,
        external_id: str,
        *,
        wanted_username: str,
        username: str | None = None,
        email: str | None = None,
        thumb: str | None = None,
        role: str | None = None,
    ) -> tuple[UserInfo, bool]: ...
    def registration_open(self, provider: str) -> bool: ...


class SignIn(Protocol):
    """The parts of sign-in an auth provider's routes use."""

    @property
    def secure(self) -> bool:
        """Whether cookies must be `Secure` (the request came over TLS)."""

    def cookie_name(self, name: str) -> str:
        """The install's name for a cookie (`__Host-` prefixed behind TLS)."""

    def client_ip(self) -> str: ...
    async def sign_in_external(self, user: Any, *, method: str, remember: bool) -> dict[str, Any]:
        """Start a session for a user (id) the provider vouches for; the sign-in answer's body."""


class AuditLog(Protocol):
    async def record(
        self,
        action: str,
        *,
        actor: Any = None,
        target: str | None = None,
        ip: str | None = None,
        **details: Any,
    ) -> None: ...


class Secrets(Protocol):
    def encrypt(self, plaintext: str, *, context: str) -> str: ...
    def decrypt(self, token: str, *, context: str) -> str:
        """Raises `DecryptionError` when `token` is not authentic for `context`."""

    def subkey(self, purpose: str) -> bytes: ...
    def install_id(self, purpose: str) -> str: ...


class Limits(Protocol):
    async def spend(
        self, name: str, subject: str, *, fail_open: bool = False, message: str | None = None
    ) -> Decision:
        """One unit of the declared budget `rate_limits.<name>`; `RateLimited` when used up."""

    async def hit(
        self,
        key: str,
        *,
        limit: int,
        window: int,
        fail_open: bool = False,
        message: str | None = None,
    ) -> Decision: ...
    async def claim(self, key: str, *, window: int) -> bool:
        """True for exactly one caller per key within the window, across instances."""


class StatusReader(Protocol):
    def entry(self, service: str) -> dict[str, Any] | None:
        """The service's `/api/dashboard/status` entry, from cache."""

    def data(self, service: str) -> dict[str, Any]:
        """The last good `ProbeResult.data` of the service."""


class Capabilities(Protocol):
    def get(self, name: str) -> Any | None: ...


class Services(Protocol):
    async def get(self, name: str) -> Connection | None:
        """The admin's connection for `name`, key decrypted (never log or return it)."""


class Jobs(Protocol):
    async def enqueue(
        self,
        name: str,
        args: Mapping[str, Any] | None = None,
        *,
        user_id: Any = None,
        dedupe_key: str | None = None,
        max_attempts: int | None = None,
        delay: Any = None,
    ) -> Any: ...
    async def cancel(self, job_id: Any) -> Any: ...
    async def get(self, job_id: Any) -> Any: ...


class Realtime(Protocol):
    async def topic_socket(
        self, topic: str, *, names: Iterable[str], authorize: Callable[[Actor], Any] | None = None
    ) -> None:
        """Serve the current websocket with the events published on `topic`."""


class EventBus(Protocol):
    instance_id: str

    def subscribe(
        self, handler: Callable[[Event], Awaitable[None]], *, names: Iterable[str] | None = None
    ) -> Callable[[], None]: ...


@runtime_checkable
class PluginCore(Protocol):
    """The platform as a plugin sees it: every hook gets one as `core`."""

    settings: PlatformSettings
    users: Users
    accounts: Accounts
    auth: SignIn
    audit: AuditLog
    secrets: Secrets
    limits: Limits
    status: StatusReader
    capabilities: Capabilities
    services: Services
    jobs: Jobs
    realtime: Realtime
    events: EventBus
    http: ServiceClient

    def logger(self, plugin_id: str) -> logging.Logger: ...
    async def plugin_settings(self, plugin_id: str) -> BaseModel | None: ...
    async def publish(self, name: str, data: dict[str, Any], **routing: Any) -> None: ...
