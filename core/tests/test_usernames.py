"""Usernames an auth provider makes (a Plex display name, …) are normalised (NFKC) and kept
apart from every existing name by their confusables skeleton (Unicode TR39): a look-alike of
"admin" becomes "…-2", never a second "admin" on screen."""

from __future__ import annotations

import pytest

from medianest.auth.usernames import looks_like
from medianest.testing.clients import create_user


@pytest.fixture
async def auth(app):
    """The app's auth service, with the bootstrap "admin", "alice" and "mallory" existing."""
    await create_user(app, "alice")
    await create_user(app, "mallory")
    return app.extensions["medianest"].auth


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ("\u0430dmin", "\u0430dmin-2"),  # Cyrillic а
        ("ADM\u0406N", "ADM\u0406N-2"),  # Ukrainian І
        ("\uff41\uff44\uff4d\uff49\uff4e", "admin-2"),  # fullwidth letters: NFKC makes them plain
        ("a\u217cice", "alice-2"),  # small roman numeral fifty (ⅼ), NFKC: l
        ("aIice", "aIice-2"),  # capital I for l
        ("a1ice", "a1ice-2"),  # digit one for l
        ("rnallory", "rnallory-2"),  # r n for m
        ("\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e", "alice-2"),  # mathematical bold
    ],
)
async def test_a_look_alike_of_an_existing_name_is_altered(auth, wanted, expected):
    assert await auth.available_username(wanted) == expected


@pytest.mark.parametrize("wanted", ["bob", "José", "Zoë", "ålice", "李雷", "alicia"])
async def test_names_that_only_resemble_are_kept(auth, wanted):
    assert await auth.available_username(wanted) == wanted


async def test_the_suffix_is_checked_for_look_alikes_too(app, auth):
    await create_user(app, "admin-2")
    assert await auth.available_username("\u0430dmin") == "\u0430dmin-3"


def test_looks_like_compares_skeletons_case_insensitively():
    assert looks_like("paypal", "р\u0430yp\u0430l")
    assert looks_like("Admin", "admin")
    assert looks_like("I", "l")
    assert not looks_like("alice", "alicia")
