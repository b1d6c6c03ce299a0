"""Websockets are capped per account, per address and, while they have not said who they are,
per address again (MEDIANEST_WS_MAX_PER_USER, _PER_ADDRESS, _PENDING): one more is accepted
and closed at once with 4429 and a reason a browser can read."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from quart.testing.connections import WebsocketDisconnectError

from medianest.socket_limits import CLOSE_TOO_MANY
from medianest.testing.clients import signed_in

WAIT = 10.0  # guards against hanging forever; never an expectation about speed


async def opened(stack: contextlib.AsyncExitStack, client: Any) -> Any:
    """A socket of `client` that got its `ready` (it holds its place until the stack closes)."""
    ws = await stack.enter_async_context(client.websocket("/ws/status"))
    assert json.loads(await asyncio.wait_for(ws.receive(), WAIT))["event"] == "ready"
    return ws


async def refusal(client: Any) -> tuple[int, str]:
    """The close code of one more socket of `client`, which must not get in."""
    async with client.websocket("/ws/status") as ws:
        try:
            message = await asyncio.wait_for(ws.receive(), WAIT)
        except WebsocketDisconnectError as closed:
            return closed.args[0], ""
    raise AssertionError(f"the socket was let in: {message}")


async def test_one_account_holds_at_most_its_share(app_factory):
    app = await app_factory(ws_max_per_user=2)
    alice, bob = await signed_in(app, "alice"), await signed_in(app, "bob")
    async with contextlib.AsyncExitStack() as stack:
        first = await opened(stack, alice.client)
        await opened(stack, alice.client)
        assert (await refusal(alice.client))[0] == CLOSE_TOO_MANY
        await opened(stack, bob.client)  # another person is not affected
        await first.close(1000)
        await asyncio.sleep(0)
    async with contextlib.AsyncExitStack() as stack:  # closed sockets give their place back
        await opened(stack, alice.client)
        await opened(stack, alice.client)


async def test_one_address_holds_at_most_its_share(app_factory):
    app = await app_factory(ws_max_per_address=3)
    alice, bob, carol = [await signed_in(app, name) for name in ("alice", "bob", "carol")]
    async with contextlib.AsyncExitStack() as stack:
        await opened(stack, alice.client)
        await opened(stack, alice.client)
        await opened(stack, bob.client)
        assert (await refusal(carol.client))[0] == CLOSE_TOO_MANY


async def test_sockets_that_have_not_said_who_they_are_are_capped(app_factory):
    app = await app_factory(ws_max_pending=2)
    app.extensions["medianest"].realtime.first_message_timeout = 5
    anonymous = app.test_client()
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(2):  # hold their place while waiting for a token that never comes
            await stack.enter_async_context(anonymous.websocket("/ws/status"))
        await asyncio.sleep(0.1)
        assert (await refusal(anonymous))[0] == CLOSE_TOO_MANY
        alice = await signed_in(app, "alice")
        await opened(stack, alice.client)  # a browser with its session cookie is not waiting


async def test_the_caps_have_sensible_defaults(app):
    settings = app.extensions["medianest"].settings
    assert 10 <= settings.ws_max_per_user <= 100
    assert settings.ws_max_per_address >= settings.ws_max_per_user
    assert 1 <= settings.ws_max_pending <= 50
