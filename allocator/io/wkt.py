"""Well-known text (WKT) to GeoJSON geometry, for the geometries instances
carry as text (``network_edges.csv`` ``geometry``, ``counties.csv``
``boundary``): LINESTRING, POLYGON, MULTI* and POINT in lon/lat.

The core install reads instances without the GIS extra, so this is a small
translation (WKT's nested parentheses map one to one onto GeoJSON's nested
arrays), not a geometry library; shapely writes the text (importers) and
validates it (``allocator export``).
"""
from __future__ import annotations

import json
import re

_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon", "MULTIPOINT": "MultiPoint",
          "MULTILINESTRING": "MultiLineString", "MULTIPOLYGON": "MultiPolygon"}
_PAIR = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s+([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
                   r"(?:\s+[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)*")
_HEAD = re.compile(r"^\s*([A-Za-z]+)\s*(?:Z|M|ZM)?\s*(.*)$", re.S)


def to_geojson(text: str) -> dict | None:
    """``{"type": ..., "coordinates": ...}`` for a WKT string; None for an empty cell or ``... EMPTY``.

    Raises ValueError on text that is not WKT of a supported type.
    """
    if text is None or not str(text).strip():
        return None
    m = _HEAD.match(str(text))
    if not m or m.group(1).upper() not in _TYPES:
        raise ValueError(f"not a WKT geometry: {str(text)[:40]!r}")
    kind, body = _TYPES[m.group(1).upper()], m.group(2).strip()
    if body.upper() == "EMPTY":
        return None
    body = _PAIR.sub(lambda p: f"[{float(p.group(1))!r},{float(p.group(2))!r}]", body).replace("(", "[").replace(")", "]")
    try:
        coords = json.loads(body)
    except json.JSONDecodeError:
        raise ValueError(f"malformed WKT {m.group(1).upper()}: {str(text)[:40]!r}") from None
    if kind == "Point":
        coords = coords[0]
    elif kind == "MultiPoint":  # both MULTIPOINT (1 2, 3 4) and MULTIPOINT ((1 2), (3 4))
        coords = [c[0] if isinstance(c[0], list) else c for c in coords]
    return {"type": kind, "coordinates": coords}
