"""Every report of a plan in one output directory, written all at once::

    OUT/
      report.xlsx      one sheet per table, formatted for printing
      report.html      summary, charts (inline SVG) and the tables, self-contained
      map.html         pan/zoom/click map of villages, trenches and sites, self-contained
      layers/          villages.geojson, fiber_routes.geojson, sites.geojson (+ roads, backbone, counties when
                       the instance has them) and layers.gpkg (the `allocator export` layers; needs the
                       gis extra, or fudgeo for the three plan layers)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..io.atomic import MARKER, atomic_output_dir
from ..importers.gisdeps import gis_available
from .excel import write_workbook
from .export import export_plan
from .geo import build_layers, write_geojson, write_geopackage, geopackage_available
from .html import PAGE_WORDS, write_html_report
from .map import write_map
from .tables import report_tables


@dataclass
class ReportFiles:
    directory: Path
    files: list[str] = field(default_factory=list)   # relative paths written
    notes: list[str] = field(default_factory=list)


def write_report(instance, plan, out_dir: str | Path, *, frontier=None, title: str | None = None,
                 lang: str = "en") -> ReportFiles:
    """Write report.xlsx, report.html, map.html and layers/ for ``plan`` into ``out_dir``; ``lang`` (en, zh)
    is the language of report.html and map.html (the workbook is written in English)."""
    out_dir = Path(out_dir)
    title = title or PAGE_WORDS[lang]["title"].format(name=instance.name)
    tables = report_tables(instance, plan)
    layers = build_layers(instance, plan)
    result = ReportFiles(out_dir)
    with atomic_output_dir(out_dir, kind="report") as tmp:
        subtitle = f"{plan.summary.get('status', '')} plan, {plan.summary.get('objective_kind', '')}"
        write_workbook(tables, tmp / "report.xlsx", title=title, subtitle=subtitle)
        write_html_report(instance, plan, tables, tmp / "report.html", frontier=frontier, title=title, lang=lang)
        write_map(instance, plan, tmp / "map.html", layers=layers, title=title.replace("report", "map").replace("报告", "地图"),
                  lang=lang)
        write_geojson(layers, tmp / "layers")
        if gis_available():
            export_plan(instance, plan, tmp / "layers" / "layers.gpkg", fmt="gpkg")
        elif geopackage_available():
            write_geopackage(layers, tmp / "layers" / "layers.gpkg")
        else:
            result.notes.append("GeoPackage not written: install the optional pure-Python writer "
                                "with `pip install fudgeo`, or the GIS extra with `pip install \"allocator[gis]\"` "
                                "(GeoJSON layers are written either way)")
        result.files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file() and p.name != MARKER)
    result.notes += [f"{n} {name} without coordinates left out of the layers"
                     for name, n in layers.skipped.items() if n]
    return result
