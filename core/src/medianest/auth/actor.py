"""Who is asking: the signed-in user behind a request, however they proved it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Actor:
    user_id: str
    username: str
    role: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    via: Literal["session", "token"] = "session"
    session_id: str | None = None  # SHA-256 of the session cookie, when via == "session"
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, permission: str) -> bool:
        return self.is_admin or permission in self.permissions
