"""The nearest known name for a misspelt one, for error messages (difflib's ratio).

Used wherever a name the user wrote must be one of a known set: CSV column
headers, keys of instance.toml, of the cost and policy models and of what-if
scenarios, so a typo such as ``shcool`` or ``budjet`` is answered with
"did you mean 'school'?" instead of being ignored.
"""
from __future__ import annotations

import difflib
from typing import Iterable

#: similarity (difflib ratio, 0..1) below which no name is suggested
CUTOFF = 0.6


def nearest(word: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The choice closest to ``word`` (case- and separator-insensitive), or None when none is close."""
    def norm(text: str) -> str:
        return str(text).strip().lower().replace(" ", "_").replace("-", "_")

    by_norm: dict[str, str] = {}
    for choice in choices:
        by_norm.setdefault(norm(choice), str(choice))
    match = difflib.get_close_matches(norm(word), list(by_norm), n=1, cutoff=cutoff)
    return by_norm[match[0]] if match else None


def unknown_key_fix(word: str, choices: Iterable[str], *, what: str = "key") -> str:
    """The fix of an "unknown key" error: the nearest known name, then every known one."""
    choices = [str(c) for c in choices]
    near = nearest(word, choices)
    known = f"known {what}s: {', '.join(choices)}"
    if near is not None:
        return f"did you mean '{near}'? correct the spelling ({known})"
    return f"correct the spelling or remove it ({known})"
