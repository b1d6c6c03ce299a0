"""Telling usernames apart as people see them: NFKC, then Unicode's confusables skeleton.

Two names collide when they are the same ignoring case, or when their TR39 skeletons match
(`аdmin` with a Cyrillic а, `a1ice`, `rnallory`): the skeleton maps every character to the
prototype of the characters that look like it, from Unicode's confusables data as the
`confusable-homoglyphs` package ships it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

# Direction marks the data wraps right-to-left characters in (as in Unicode's comment lines).
_MARKS = str.maketrans("", "", "\u200e\u200f")
_UNSAFE = re.compile(r"[^\w.@-]+")
MAX_LENGTH = 56  # leaves room for a "-NN" suffix within the 64-character column


def normalised(wanted: str) -> str:
    """A display name as a username: NFKC, spaces and symbols turned to "-", never empty."""
    text = unicodedata.normalize("NFKC", wanted).strip()
    return _UNSAFE.sub("-", text).strip("-.")[:MAX_LENGTH] or "user"


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, every character replaced by its prototype, NFD again."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(char, char) for char in decomposed))


def keys(name: str) -> set[str]:
    """What `name` must not share with another username: its case-folded self, and its look
    in either case (`I` looks like `l` but `i` does not; Cyrillic `І` looks like `I`)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return {
        folded,
        skeleton(folded),
        skeleton(skeleton(unicodedata.normalize("NFKC", name)).casefold()),
    }


def looks_like(first: str, second: str) -> bool:
    return bool(keys(first) & keys(second))


def taken_keys(names: Iterable[str]) -> set[str]:
    return {key for name in names for key in keys(name)}


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character → the prototype of its class.

    The package keeps Unicode's mapping both ways: a character that maps to a prototype lists
    that one prototype; a prototype lists every character that maps to it. A pair that lists
    only each other is one class either way: both go to the same one of the two. Loaded at the
    first use (a new account), not at start: the data is large.
    """
    from confusable_homoglyphs import confusables

    data = {
        key.translate(_MARKS): [alike["c"].translate(_MARKS) for alike in alikes]
        for key, alikes in confusables.confusables_data.items()
    }
    prototypes: dict[str, str] = {}
    for char, alikes in data.items():
        if len(char) != 1 or len(alikes) != 1:
            continue  # a sequence, or a prototype that several characters map to
        (alike,) = alikes
        mutual = len(alike) == 1 and data.get(alike) == [char]
        target = min(char, alike) if mutual else alike
        if target != char:
            prototypes[char] = target
    return prototypes
