"""`medianest.sdk`: the one namespace a plugin imports from MediaNest."""

from medianest.sdk.ui import *  # noqa: F403
from medianest.sdk.ui import __all__ as _ui_all

__all__ = [*_ui_all]
