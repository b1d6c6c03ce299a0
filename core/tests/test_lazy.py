"""`hidden_modules`: a library imported inside it takes its "not installed" path; outside it,
and for modules already imported, nothing changes."""

from __future__ import annotations

import importlib
import sys

import pytest

from medianest.lazy import hidden_modules


@pytest.fixture
def forgotten():
    """`json.tool`, dropped from sys.modules for the test and put back after it."""
    name = "json.tool"
    saved = sys.modules.pop(name, None)
    yield name
    sys.modules.pop(name, None)
    if saved is not None:
        sys.modules[name] = saved


def test_a_hidden_module_cannot_be_imported_inside_the_block(forgotten):
    with hidden_modules(forgotten), pytest.raises(ImportError):
        importlib.import_module(forgotten)


def test_it_can_be_imported_again_after_the_block(forgotten):
    with hidden_modules(forgotten), pytest.raises(ImportError):
        importlib.import_module(forgotten)
    assert importlib.import_module(forgotten).__name__ == forgotten


def test_an_imported_module_is_never_hidden():
    with hidden_modules("json"):
        assert importlib.import_module("json") is sys.modules["json"]
    assert sys.modules["json"] is not None


def test_the_block_leaves_no_marker_behind_when_it_raises(forgotten):
    with pytest.raises(RuntimeError), hidden_modules(forgotten):
        raise RuntimeError("inside")
    assert forgotten not in sys.modules
