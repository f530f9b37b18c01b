"""Technologies as data: the kinds the engine knows how to model, and the
technologies a cost model declares as instances of them.

A cost model (``models/costs/*.toml``) declares each technology in one block::

    [technologies.5g-fwa]
    kind = "site"
    label_en = "5G FWA"
    label_zh = "5G固定无线"
    colour = "#8e44ad"
    quality = 0.85
    mbps = 100.0
    site_capex = { plain = 900000.0, hills = 990000.0, mountain = 1215000.0, plateau = 1215000.0 }
    site_opex_year = 45000.0
    radius_km = { plain = 3.0, hills = 2.0, mountain = 1.2, plateau = 3.0 }

The kinds (:data:`KINDS`) and what each one's block must give:

- ``network``: reached over shared trenches from the backbone (fiber). Per-km
  trench price by terrain, its opex, and a drop into the village. At most one
  network technology per model (one trench graph).
- ``site``: a site covers the villages within its reach and needs backhaul,
  over a trench to its node or over a ``link`` technology (4G, 5G FWA). Rows of
  sites.csv name their technology (empty: the first site technology declared).
- ``terminal``: per-village equipment plus a yearly fee, and a shared capacity
  pool per beam (GEO HTS, LEO). The first terminal technology's pools are the
  rows of beams.csv (capacity default: its ``capacity_mbps``); every other
  terminal technology gets one pool of ``capacity_mbps`` per beam id, named
  ``<technology>:<beam>``.
- ``link``: point-to-point radio (microwave). The first link technology is the
  backhaul of a site that does not use a trench; it serves no village itself.

Every technology (except ``link``) has ``quality`` (objective factor in [0, 1])
and ``mbps`` (bandwidth a village gets). The order of declaration is the order
of tables, reports and plan summaries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

KINDS = ("network", "site", "terminal", "link")
#: kinds a village can be given (a link only carries backhaul)
ACCESS_KINDS = ("network", "site", "terminal")

#: kind -> its cost keys (``True``: one number per terrain)
COST_KEYS: dict[str, dict[str, bool]] = {
    "network": {"per_km": True, "opex_per_km_year": False, "drop_capex": False, "drop_opex_year": False},
    "site": {"site_capex": True, "site_opex_year": False},
    "terminal": {"terminal_capex": False, "fee_year": False},
    "link": {"capex": False, "opex_year": False},
}
#: kind -> its reach key (by terrain), if any
REACH_KEYS = {"site": "radius_km"}
#: kind -> its capacity key, if any
CAPACITY_KEYS = {"terminal": "capacity_mbps"}
#: descriptive keys every block may give
LABEL_KEYS = ("label_en", "label_zh", "colour")
#: keys every access technology must give
SERVICE_KEYS = ("quality", "mbps")

#: label (en, zh) and colour of the technologies the china-2018 layout declares (that layout has no labels)
LEGACY_LABELS = {
    "fiber": ("fiber", "光纤", "#1f5fa8"),
    "4g": ("4G", "4G基站", "#2e9e5b"),
    "satellite": ("satellite", "卫星", "#e08a1e"),
    "microwave": ("microwave", "微波", "#6c5b7b"),
}

#: shown for a technology whose block gives no colour (cycled)
DEFAULT_COLOURS = ("#2e86de", "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d", "#d4ac0d")


def allowed_keys(kind: str) -> tuple[str, ...]:
    """Every key a ``[technologies.<name>]`` block of ``kind`` may hold."""
    keys = ["kind", *LABEL_KEYS, *COST_KEYS[kind]]
    if kind in ACCESS_KINDS:
        keys += SERVICE_KEYS
    keys += [k for k in (REACH_KEYS.get(kind), CAPACITY_KEYS.get(kind)) if k]
    return tuple(keys)


def required_keys(kind: str) -> tuple[str, ...]:
    return tuple(k for k in allowed_keys(kind) if k not in ("kind", *LABEL_KEYS))


@dataclass(frozen=True)
class Technology:
    """One declared technology: what its kind needs, read from the cost model.

    ``costs``: cost key -> number, or terrain -> number for by-terrain keys
    (:data:`COST_KEYS`); ``reach_km``: terrain -> radius (sites);
    ``capacity_mbps``: pool capacity per beam (terminals)."""

    name: str
    kind: str
    costs: Mapping[str, object]
    quality: float = 0.0
    mbps: float = 0.0
    capacity_mbps: float | None = None
    reach_km: Mapping[str, float] | None = None
    label_en: str = ""
    label_zh: str = ""
    colour: str = ""

    def cost(self, key: str) -> float:
        return float(self.costs[key])

    def by_terrain(self, key: str) -> dict[str, float]:
        return {str(t): float(v) for t, v in self.costs[key].items()}  # type: ignore[union-attr]

    @property
    def label(self) -> str:
        return self.label_en or self.name

    def params(self) -> dict[str, float]:
        """Every number of the block as ``key`` or ``key.terrain`` -> value (scenario keys)."""
        out: dict[str, float] = {}
        items = dict(self.costs)
        if self.kind in ACCESS_KINDS:
            items.update(quality=self.quality, mbps=self.mbps)
        if self.reach_km is not None:
            items[REACH_KEYS[self.kind]] = self.reach_km
        if self.capacity_mbps is not None:
            items[CAPACITY_KEYS[self.kind]] = self.capacity_mbps
        for key, value in items.items():
            if isinstance(value, Mapping):
                out.update({f"{key}.{t}": float(v) for t, v in value.items()})
            else:
                out[key] = float(value)
        return out


@dataclass(frozen=True)
class Registry:
    """The declared technologies of one cost model, in declaration order."""

    items: tuple[Technology, ...] = field(default_factory=tuple)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, name) -> bool:
        return str(getattr(name, "value", name)) in self.names

    def __getitem__(self, name) -> Technology:
        key = str(getattr(name, "value", name))
        for t in self.items:
            if t.name == key:
                return t
        raise KeyError(key)

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.items)

    def of_kind(self, kind: str) -> tuple[Technology, ...]:
        return tuple(t for t in self.items if t.kind == kind)

    def names_of(self, kind: str) -> tuple[str, ...]:
        return tuple(t.name for t in self.of_kind(kind))

    @property
    def access(self) -> tuple[str, ...]:
        """Technologies a village can be given, in declaration order."""
        return tuple(t.name for t in self.items if t.kind in ACCESS_KINDS)

    @property
    def network(self) -> Technology | None:
        found = self.of_kind("network")
        return found[0] if found else None

    @property
    def backhaul_link(self) -> Technology | None:
        found = self.of_kind("link")
        return found[0] if found else None

    @property
    def primary_site(self) -> Technology | None:
        found = self.of_kind("site")
        return found[0] if found else None

    @property
    def primary_terminal(self) -> Technology | None:
        found = self.of_kind("terminal")
        return found[0] if found else None

    def kind_of(self, name) -> str | None:
        tech = self.get(name)
        return tech.kind if tech is not None else None

    def colour(self, name) -> str:
        tech = self.get(name)
        if tech is not None and tech.colour:
            return tech.colour
        names = self.names
        i = names.index(tech.name) if tech is not None else len(names)
        return DEFAULT_COLOURS[i % len(DEFAULT_COLOURS)]


def terminal_columns(name: str) -> tuple[str, str]:
    """The priced village columns of terminal technology ``name``: per-village capex and yearly opex."""
    return f"{name}_capex", f"{name}_opex"


def pool_id(registry: Registry, tech: str, beam: str) -> str:
    """The capacity pool a village on ``beam`` uses with terminal technology ``tech``: the beam id itself
    for the first terminal technology (beams.csv), ``<tech>:<beam>`` for the others."""
    primary = registry.primary_terminal
    return str(beam) if primary is not None and primary.name == tech else f"{tech}:{beam}"
