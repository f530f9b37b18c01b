"""Where a key of a TOML file sits, so errors in model files can name a line.

:mod:`tomllib` gives values, not positions; this finds the line of a dotted key
path by following ``[table]`` headers and ``key = value`` lines. It is a
best-effort locator for error messages (``None`` when it cannot tell).
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..errors import InputError, file_error


def split_key(text: str) -> list[str]:
    """``a."b.c".d`` -> ['a', 'b.c', 'd']."""
    parts, cur, quote = [], [], None
    for ch in text.strip():
        if quote:
            if ch == quote:
                quote = None
            else:
                cur.append(ch)
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


_HEADER = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


def find_line(text: str | None, keys) -> int | None:
    """1-based line of the key path ``keys`` in TOML ``text`` (or of the nearest enclosing table)."""
    if not text:
        return None
    keys = [str(k) for k in keys]
    header: list[str] = []
    best = None
    for number, line in enumerate(text.splitlines(), start=1):
        m = _HEADER.match(line)
        if m and not _ASSIGN.match(line):
            header = split_key(m.group(1))
            if header == keys:
                return number
            if keys[:len(header)] == header and header and best is None:
                best = number
            continue
        m = _ASSIGN.match(line)
        if m:
            path = header + split_key(m.group(1))
            if path == keys:
                return number
            if keys[:len(path)] == path:  # inside an inline table on this line
                return number
    return best


def read_toml(path: Path, *, what: str) -> tuple[dict, bytes, str]:
    """Parse a TOML file; a syntax error becomes an InputError naming its line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=path,
                         fix=f"create {path.name} or correct the path") from None
    except OSError as err:  # a folder where the file should be, unreadable, ...
        raise (file_error(err, path) or err) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{what} is not UTF-8 ({err.reason} at byte {err.start})", file=path,
                         fix="save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise InputError(f"{what} is not valid TOML: {err}", file=path,
                         line=int(m.group(1)) if m else None,
                         fix="correct the TOML syntax (strings need quotes, tables [name], keys 'key = value')"
                         ) from None
    return data, raw, text
