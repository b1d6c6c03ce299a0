"""The one place that decides whether a user holds a permission.

Plugins (and the core) declare permissions with default roles; admins grant or revoke
them per user. Admins hold every permission. Nothing else decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from medianest.plugins.contributions import Permission

# Permissions the core itself declares (its request facade and its websocket channels).
CORE_PERMISSIONS = (
    Permission("media.request", "Search for and request movies and shows", default_roles=("user",)),
)


def decide(
    role: str, permission: str, defaults: Mapping[str, Iterable[str]], grants: Mapping[str, bool]
) -> bool:
    """True when a user with `role` and per-user `grants` holds `permission`.

    `defaults` maps each declared permission to the roles that hold it by default; an
    undeclared permission is held by nobody but admins, whatever the grants say.
    """
    if role == "admin":
        return True
    if permission not in defaults:
        return False
    if permission in grants:
        return grants[permission]
    return role in defaults[permission]


def effective(
    role: str, defaults: Mapping[str, Iterable[str]], grants: Mapping[str, bool]
) -> list[str]:
    """Every declared permission the user holds, sorted."""
    return sorted(name for name in defaults if decide(role, name, defaults, grants))
