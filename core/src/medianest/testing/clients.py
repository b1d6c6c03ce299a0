"""A test client that behaves like the web UI: it echoes the CSRF cookie on state changes."""

from __future__ import annotations

from typing import Any

from medianest.auth.models import LinkedAccount, User

DEFAULT_PASSWORD = "a long test password 1"


class ApiClient:
    """Wraps Quart's test client; one instance is one browser (its own cookie jar)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()

    def cookie(self, name: str) -> str | None:
        for cookie in self.client.cookie_jar or ():
            if cookie.name == name:
                return cookie.value
        return None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
    ) -> Any:
        headers = dict(headers or {})
        token = self.cookie("csrf_token")
        if csrf and token and method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers.setdefault("X-CSRF-Token", token)
        return await self.client.open(path, method=method.upper(), json=json, headers=headers)

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Any:
        return await self.request("DELETE", path, **kwargs)

    async def sign_in(
        self, username: str, password: str = DEFAULT_PASSWORD, *, remember: bool = False
    ) -> Any:
        response = await self.post(
            "/api/auth/admin",
            json={"username": username, "password": password, "remember_me": remember},
        )
        assert response.status_code == 200, await response.get_data()
        return response


async def create_user(
    app: Any,
    username: str,
    *,
    role: str = "user",
    password: str = DEFAULT_PASSWORD,
    status: str = "active",
    must_change_password: bool = False,
) -> User:
    """A user straight in the database (hashing with the app's own password service)."""
    core = app.extensions["medianest"]
    return await User.create(
        username=username,
        role=role,
        status=status,
        password_hash=await core.auth.passwords.hash(password),
        must_change_password=must_change_password,
    )


async def signed_in(
    app: Any, username: str, *, role: str = "user", remember: bool = False
) -> ApiClient:
    """A new browser signed in as a new user with that role."""
    await create_user(app, username, role=role)
    client = ApiClient(app)
    await client.sign_in(username, remember=remember)
    return client


async def disable_admins(app: Any) -> None:
    """Disable every admin of `app`'s install: a state the admin API refuses (it keeps one
    active admin), for tests of what happens without one."""
    await User.filter(role="admin").update(status="disabled")


async def stored_token(app: Any, provider: str, user_id: object) -> str | None:
    """A linked account's token as the database holds it (the ciphertext, never decrypted), for
    tests that check it is encrypted and bound to its user and provider."""
    account = await LinkedAccount.get_or_none(provider=provider, user_id=user_id)
    return account.token if account is not None else None
