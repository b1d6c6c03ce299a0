"""Overseerr for MediaNest: search and request media as yourself, your requests kept in sync,
admins approve (issue 12). For now only the stand-in, `medianest_overseerr.testing`; the plugin
itself comes on top of it."""
