"""Test helpers for MediaNest and its plugins (also a pytest plugin: see pytest_plugin.py)."""
