"""The instances the workspace serves, and what their pages show before any run.

The server is started with instance directories (or folders holding several);
each gets an id made of its folder name and a hash of its path, and a request
names an instance by that id only: a path never comes from a request.

The baseline (coverage by province and by policy group against the floors,
before any plan) and the pick lists of the scenario form are computed once per
instance content and kept in ``DATA/cache/`` as JSON, with the baseline map as
HTML (the canvas map of :mod:`allocator.reports.map`, drawn for a plan that
builds nothing): opening an instance's page reads files, it does not recompute.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import InputError

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
INSTANCE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,80}-[0-9a-f]{8}$")


@dataclass(frozen=True)
class Entry:
    id: str
    path: Path
    name: str
    description: str


def _entry(path: Path) -> Entry:
    path = path.resolve()
    try:
        meta = tomllib.loads((path / "instance.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"cannot read instance.toml: {err}", file=path / "instance.toml",
                         fix="give an instance directory (allocator check DIR tells what is wrong)") from None
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:8]
    slug = _SAFE.sub("-", path.name).strip("-.")[:60] or "instance"
    return Entry(id=f"{slug}-{digest}", path=path, name=str(meta.get("name", path.name)),
                 description=str(meta.get("description", "")))


def discover(paths) -> dict[str, Entry]:
    """Instance directories among ``paths``: each path is one, or a folder whose children are."""
    found: dict[str, Entry] = {}
    for p in paths:
        p = Path(p)
        if (p / "instance.toml").is_file():
            candidates = [p]
        elif p.is_dir():
            candidates = sorted(c for c in p.iterdir() if (c / "instance.toml").is_file())
            if not candidates:
                raise InputError("no instance here", file=p,
                                 fix="give instance directories (with instance.toml) or a folder holding some")
        else:
            raise InputError("not a directory", file=p, fix="give an instance directory, e.g. instances/county-demo")
        for c in candidates:
            e = _entry(c)
            found[e.id] = e
    return found


def default_paths() -> list[Path]:
    """Without INSTANCE_DIR: the shipped instances of a source checkout (./instances), if any."""
    here = Path.cwd() / "instances"
    return [here] if here.is_dir() and any((c / "instance.toml").is_file() for c in here.iterdir()) else []


# what the cached files look like: a new value makes caches of older servers be written again
CACHE_FORMAT = "2: map in two languages"


def fingerprint(path: Path) -> str:
    """Changes when any file of the instance changes (name, size, modification time)."""
    h = hashlib.sha1(CACHE_FORMAT.encode())
    for f in sorted(path.rglob("*")):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.relative_to(path)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


@lru_cache(maxsize=4)
def load(path: str, fp: str):
    """The instance (kept for the last few, keyed by content so an edited instance is reloaded)."""
    from ..io import load_instance

    return load_instance(path)


class Baselines:
    """Cached baseline summaries, pick lists and maps, computed once per instance content."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def files(self, entry: Entry) -> dict[str, Path]:
        """baseline.json, choices.json and map.html of ``entry``, computing them when missing."""
        fp = fingerprint(entry.path)
        folder = self.cache_dir / f"{entry.id}-{fp}"
        files = {"baseline": folder / "baseline.json", "choices": folder / "choices.json", "map": folder / "map.html"}
        if all(f.exists() for f in files.values()):
            return files
        with self._lock(entry.id):
            if all(f.exists() for f in files.values()):
                return files
            from ..io.atomic import atomic_output_dir
            instance = load(str(entry.path), fp)
            with atomic_output_dir(folder, kind="web cache") as tmp:
                (tmp / "baseline.json").write_text(json.dumps(baseline(instance), ensure_ascii=False,
                                                              allow_nan=False), encoding="utf-8")
                (tmp / "choices.json").write_text(json.dumps(choices(instance), ensure_ascii=False,
                                                             allow_nan=False), encoding="utf-8")
                baseline_map(instance, tmp / "map.html")
        return files

    def instance(self, entry: Entry):
        return load(str(entry.path), fingerprint(entry.path))


def baseline(instance) -> dict:
    """Coverage before any plan: by province, by policy group against its floor, and the instance's facts."""
    from ..analysis.describe import describe
    from ..reports.ranking import national_row, province_ranking
    from .worker import plain_json, records

    d = describe(instance)
    level = "province" if instance.villages["province"].nunique() > 1 else "prefecture"
    ranking = province_ranking(instance, level=level)
    for g in d["groups"]:
        share, floor = g.get("existing_share_poor"), g.get("floor")
        g["meets_floor"] = None if floor is None or share is None else bool(share >= floor - 1e-12)
    return plain_json({"instance": d["instance"], "counts": d["counts"], "provinces": d["provinces"],
                   "groups": d["groups"], "reference": d["reference"], "ranking_level": level,
                   "ranking": records(ranking), "ranking_total": national_row(ranking)})


def choices(instance) -> dict:
    """What the scenario form offers: groups with floors and weights, scopes with their names, cost parameters."""
    from ..analysis.scenario import SCOPES, TECH_NAMES, cost_parameters, known_groups
    from .worker import plain_json

    policy = instance.policy
    groups = []
    for g in known_groups(instance):
        pol = policy.groups.get(g)
        groups.append({"group": g, "label": getattr(pol, "label", "") or "",
                       "floor": getattr(pol, "floor", None), "priority": getattr(pol, "priority", None)})
    c = instance.counties
    names = c["name"].astype(str)
    unique = set(names[~names.duplicated(keep=False)])  # a scenario may name a county by an unambiguous name
    counties = [{"value": str(row["name"]) if str(row["name"]) in unique else str(cid), "id": str(cid),
                 "name": str(row["name"]), "prefecture": str(row["prefecture"]), "province": str(row["province"])}
                for cid, row in c.iterrows()]
    return plain_json({
        "currency": instance.currency, "budget": instance.budget, "objective": instance.objective.value,
        "budget_measure": instance.budget_measure.value,
        "groups": groups,
        "scopes": list(SCOPES), "technologies": list(TECH_NAMES),
        "values": {
            "county": counties,
            "prefecture": [{"value": p, "name": p} for p in sorted(c["prefecture"].dropna().astype(str).unique()) if p],
            "province": [{"value": p, "name": p} for p in sorted(c["province"].dropna().astype(str).unique()) if p],
            "group": [{"value": g["group"], "name": g["label"] or g["group"]} for g in groups],
        },
        "cost_parameters": cost_parameters(instance.costs),
    })


def baseline_map(instance, path: Path) -> Path:
    """The canvas map of the instance before any plan (existing connections and villages without)."""
    from ..decision import Decision
    from ..plan_build import assemble
    from ..reports.map import write_map

    empty = assemble(instance, Decision.empty(instance.villages.index), {"status": "baseline"})
    return write_map(instance, empty, path, title=f"{instance.name}: before any plan",
                     title_zh=f"{instance.name}：规划前")
