"""Permissions: `decide` against a set-based reference model, then grants through the admin API."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admin_support import Guarded, code, data
from medianest.auth.models import User
from medianest.auth.permissions import decide, effective
from medianest.testing.clients import create_user, signed_in

ROLES = st.sampled_from(["admin", "user", "guest", ""])
UNIVERSE = ("media.request", "youtube.download", "plex.browse", "guarded.use", "x.y", "admin")
NAMES = st.sampled_from(UNIVERSE)
DEFAULT_ROLES = st.lists(st.sampled_from(["admin", "user", "guest"]), max_size=3, unique=True).map(
    tuple
)
DECLARED = st.dictionaries(NAMES, DEFAULT_ROLES, max_size=5)
GRANTS = st.dictionaries(NAMES, st.booleans(), max_size=5)


def reference_holdings(
    role: str, declared: dict[str, tuple[str, ...]], grants: dict[str, bool]
) -> set[str] | None:
    """What a user holds, by set algebra: None means "everything" (an admin).

    (role defaults ∪ granted) − revoked, and only ever declared permissions.
    """
    if role == "admin":
        return None
    by_role = {name for name, roles in declared.items() if role in roles}
    granted = {name for name, on in grants.items() if on}
    revoked = {name for name, on in grants.items() if not on}
    return ((by_role | granted) - revoked) & set(declared)


@given(role=ROLES, declared=DECLARED, grants=GRANTS)
def test_decide_matches_the_reference_model(role, declared, grants):
    held = reference_holdings(role, declared, grants)
    for permission in UNIVERSE:
        assert decide(role, permission, declared, grants) is (held is None or permission in held), (
            permission
        )


@given(role=ROLES, declared=DECLARED, grants=GRANTS)
def test_effective_lists_exactly_the_declared_holdings(role, declared, grants):
    held = reference_holdings(role, declared, grants)
    assert effective(role, declared, grants) == sorted(declared if held is None else held)


@given(declared=DECLARED, grants=GRANTS, permission=st.text(max_size=20))
def test_an_undeclared_permission_is_held_by_admins_alone(declared, grants, permission):
    if permission in declared:
        return
    assert decide("admin", permission, declared, grants)
    assert not decide("user", permission, declared, {**grants, permission: True})


# ---- through the API ---------------------------------------------------------------------


@pytest.fixture
async def guarded(app_factory):
    app = await app_factory(plugins=[Guarded()])
    admin = await signed_in(app, "root", role="admin")
    user = await signed_in(app, "alice")
    alice_id = str((await User.get(username="alice")).id)
    return admin, user, alice_id


async def test_a_grant_opens_a_permission_route_and_a_revoke_closes_it(guarded):
    admin, user, alice_id = guarded
    path = "/api/guarded/thing"

    async def set_grant(value: bool | None) -> list[str]:
        response = await admin.put(
            f"/api/admin/users/{alice_id}", json={"permissions": {"guarded.use": value}}
        )
        assert response.status_code == 200
        return (await data(response))["permissions"]

    closed = await user.get(path)
    assert closed.status_code == 403 and await code(closed) == "FORBIDDEN"
    assert (await admin.get(path)).status_code == 200  # admins hold every permission

    assert "guarded.use" in await set_grant(True)
    assert (await user.get(path)).status_code == 200
    assert "guarded.use" in (await data(await user.get("/api/auth/session")))["user"]["permissions"]

    assert "guarded.use" not in await set_grant(False)
    assert (await user.get(path)).status_code == 403

    assert "guarded.use" in await set_grant(True)
    assert (await user.get(path)).status_code == 200
    assert "guarded.use" not in await set_grant(None)  # back to the role default: nobody
    assert (await user.get(path)).status_code == 403
    assert (
        "guarded.use"
        not in (await data(await user.get("/api/auth/session")))["user"]["permissions"]
    )


async def test_revoking_a_default_permission_from_one_user_only(guarded):
    admin, user, alice_id = guarded
    bob_id = str((await create_user(admin.app, "bob")).id)
    await admin.put(f"/api/admin/users/{alice_id}", json={"permissions": {"media.request": False}})
    alice = (await data(await user.get("/api/auth/session")))["user"]["permissions"]
    bob = await data(await admin.get(f"/api/admin/users/{bob_id}"))
    assert "media.request" not in alice
    assert "media.request" in bob["permissions"] and bob["grants"] == {}
