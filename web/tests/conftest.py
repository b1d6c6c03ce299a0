"""Fixtures for the web package's tests (the app fixtures come from `medianest.testing`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import medianest_web

# The helpers beside the tests (html_scan) import by name under --import-mode=importlib.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
async def app(app_factory):
    """A started app with the web plugin (the shell) and no other plugin."""
    return await app_factory(plugins=[medianest_web])
