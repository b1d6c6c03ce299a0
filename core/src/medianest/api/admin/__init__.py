"""The admin API under `/api/admin`: users, service connections, plugins, system settings, audit.

Every route is `@admin_only`, enforced before the body is read (a plain user gets 403 and an
anonymous caller 401, whatever they send). Bodies are pydantic models that refuse unknown
fields, every change writes an audit entry, and no secret is ever echoed: keys are write-only
and shown masked.
"""

from medianest.api.admin import audit, plugins, services, system, users  # noqa: F401 - routes register on import
from medianest.api.admin._common import blueprint

__all__ = ["blueprint"]
