"""A small TOML writer for the instance and model files we write ourselves.

``tomllib`` reads TOML but the standard library cannot write it, and the
structures written here are small (scalars, lists of scalars, nested tables,
arrays of tables), so a few dozen lines are simpler than a new dependency.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Mapping

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: Any) -> str:
    k = str(k)
    return k if _BARE_KEY.match(k) else _string(k)


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalar
        v = v.item()
        if isinstance(v, bool):
            return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None)
        return "{" + inner + "}" if inner else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v if x is not None) + "]"
    if hasattr(v, "value") and isinstance(getattr(v, "value"), str):  # str Enum
        return _string(v.value)
    raise TypeError(f"cannot write {type(v).__name__} to TOML: {v!r}")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, Mapping) for x in v)


def _emit(table: Mapping, path: list[str], lines: list[str]) -> None:
    scalars = [(k, v) for k, v in table.items()
               if v is not None and not isinstance(v, Mapping) and not _is_table_array(v)]
    subtables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    arrays = [(k, v) for k, v in table.items() if _is_table_array(v)]
    if path and (scalars or not (subtables or arrays)):
        if lines:
            lines.append("")
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    for k, v in scalars:
        lines.append(f"{_key(k)} = {_value(v)}")
    for k, v in subtables:
        _emit(v, path + [str(k)], lines)
    for k, items in arrays:
        for item in items:
            if lines:
                lines.append("")
            lines.append("[[" + ".".join(_key(p) for p in path + [str(k)]) + "]]")
            for ik, iv in item.items():
                if iv is None:
                    continue
                if isinstance(iv, Mapping) or _is_table_array(iv):
                    # nested tables inside an array item: write inline to stay unambiguous
                    lines.append(f"{_key(ik)} = {_value(iv)}")
                else:
                    lines.append(f"{_key(ik)} = {_value(iv)}")


def dumps(data: Mapping, *, header: str | None = None) -> str:
    """Serialise ``data`` (nested dicts) to TOML text; ``None`` values are left out.

    ``header`` lines are written first as ``#`` comments."""
    lines: list[str] = []
    if header:
        lines.extend("# " + h if h else "#" for h in header.splitlines())
        lines.append("")
    body: list[str] = []
    _emit(data, [], body)
    return "\n".join(lines + body) + "\n"
