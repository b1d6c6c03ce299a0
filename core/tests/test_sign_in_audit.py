"""A failed sign-in is audited without what was typed as the username when no such account
exists: people type passwords in that field. A known account is named by its id."""

from __future__ import annotations

import json

from medianest.audit import AuditEntry
from medianest.auth.models import User
from medianest.testing.clients import ApiClient, create_user

TYPED_BY_MISTAKE = "my secret Passphrase 42"


async def entries(action: str) -> list[AuditEntry]:
    return await AuditEntry.filter(action=action).order_by("id")


async def test_an_unknown_username_is_not_written_to_the_audit_log(app):
    response = await ApiClient(app).post(
        "/api/auth/admin", json={"username": TYPED_BY_MISTAKE, "password": "x"}
    )
    assert response.status_code == 401
    [entry] = await entries("auth.sign_in_failed")
    stored = json.dumps(
        {"details": entry.details, "target": entry.target, "actor": entry.actor_name}
    )
    assert TYPED_BY_MISTAKE not in stored and "Passphrase" not in stored
    assert entry.details.get("reason") == "unknown_user" and entry.ip


async def test_a_known_username_is_audited_by_its_account(app):
    await create_user(app, "bob")
    await ApiClient(app).post(
        "/api/auth/admin", json={"username": "bob", "password": "not bob's password"}
    )
    [entry] = await entries("auth.sign_in_failed")
    bob = await User.get(username="bob")
    assert entry.target == f"user:{bob.id}" and entry.details.get("reason") == "wrong_password"
