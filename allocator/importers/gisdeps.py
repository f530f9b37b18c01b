"""The optional ``gis`` extra: commands that read or write GIS data check for it
first and say how to install it (exit 2), instead of failing on an import."""
from __future__ import annotations

import importlib

from ..errors import InputError

#: import name -> distribution name, what ``pip install "allocator[gis]"`` brings
GIS_MODULES = {"geopandas": "geopandas", "pyogrio": "pyogrio", "shapely": "shapely", "pyproj": "pyproj",
               "osmium": "osmium"}


def require_gis(command: str, modules=("geopandas", "pyogrio", "shapely", "pyproj")) -> None:
    """Raise an InputError (exit 2) naming what is missing when the gis extra is not installed."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(GIS_MODULES.get(name, name))
    if missing:
        raise InputError(f"'{command}' needs the optional GIS packages, missing: {', '.join(missing)}",
                         fix='pip install "allocator[gis]"')


def gis_available(modules=("geopandas", "pyogrio", "shapely", "pyproj")) -> bool:
    """True when the gis extra's modules import."""
    try:
        require_gis("", modules)
    except InputError:
        return False
    return True
