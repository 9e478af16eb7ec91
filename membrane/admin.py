"""Admin registrations of membrane, one module per domain."""

from membrane.decisions import admin as decisions_admin  # noqa: F401
from membrane.principles import admin as principles_admin  # noqa: F401
