"""Declared schema of every instance table: the single source for the loader's
checks and for docs/format.md.

Each table is a list of :class:`Column`; a column is required unless it has a
default. ``kind`` is one of ``str``, ``float``, ``int``, ``bool``, ``list``
(a ``;``-separated list of names in one cell).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Technology(str, Enum):
    """A technology that can newly connect a village."""

    FIBER = "fiber"
    CELLULAR = "4g"
    SATELLITE = "satellite"

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


#: value of ``technology`` in a plan for a village given nothing new
NO_TECHNOLOGY = "none"


class Existing(str, Enum):
    """Connection a village already has before the plan."""

    NONE = "none"
    FIBER = "fiber"
    CELLULAR = "4g"


class Objective(str, Enum):
    MAX_COVERAGE = "max-coverage"
    MIN_COST = "min-cost"
    LEXICOGRAPHIC = "lexicographic"


class CostMeasure(str, Enum):
    CAPEX = "capex"
    TCO = "tco"  # capex + discounted opex over the planning horizon


TERRAINS = ("plain", "hills", "mountain", "plateau")
NODE_KINDS = ("backbone", "junction", "village", "site")
BACKHAUL_KINDS = ("any", "fiber", "microwave")

#: group every registered poor village belongs to, whatever its county says
ALL_POOR = "all-poor"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    default: object = None
    unit: str = ""
    description: str = ""
    choices: tuple[str, ...] | None = None
    minimum: float | None = None  # inclusive lower bound for numbers


COUNTIES = (
    Column("county_id", "str", description="unique county id"),
    Column("name", "str", description="county name (UTF-8, Chinese welcome)"),
    Column("province", "str", description="province name"),
    Column("prefecture", "str", False, "", description="prefecture name; empty: derived from adcode's first 4 digits"),
    Column("adcode", "str", False, "", description="6-digit administrative code where known"),
    Column("groups", "list", False, "", description="policy groups, ';'-separated (deep-poverty; designated; yanshan-taihang ...)"),
    Column("boundary", "str", False, "", description="county outline as WKT `POLYGON`/`MULTIPOLYGON` in WGS84 lon/lat, drawn on maps; empty: none"),
)

VILLAGES = (
    Column("village_id", "str", description="unique village id"),
    Column("county_id", "str", description="county the village belongs to (counties.csv)"),
    Column("name", "str", False, "", description="village name"),
    Column("lon", "float", False, float("nan"), "degrees", "longitude (WGS84)"),
    Column("lat", "float", False, float("nan"), "degrees", "latitude (WGS84)"),
    Column("population", "float", unit="people", minimum=0.0, description="residents"),
    Column("poor", "bool", False, True, description="registered poor village (建档立卡贫困村)"),
    Column("node", "str", False, "", description="network node the village attaches to; empty: no fiber possible"),
    Column("terrain", "str", False, "plain", choices=TERRAINS, description="terrain class, prices satellite/4G reach"),
    Column("existing", "str", False, "none", choices=tuple(e.value for e in Existing), description="connection before the plan"),
    Column("school", "bool", False, False, description="has a rural school (must be covered with enough bandwidth)"),
    Column("clinic", "bool", False, False, description="has a village clinic"),
    Column("demand_mbps", "float", False, 20.0, "Mbit/s", "bandwidth the village needs", minimum=0.0),
    Column("technologies", "list", False, "", description="technologies allowed for this village (fiber;4g;satellite); empty: all"),
    Column("beam", "str", False, "", description="satellite beam serving the village; empty: its province"),
    Column("fiber_drop_capex", "float", False, float("nan"), "currency", "override: last-mile drop cost", minimum=0.0),
    Column("satellite_capex", "float", False, float("nan"), "currency", "override: satellite terminal cost", minimum=0.0),
    Column("satellite_opex", "float", False, float("nan"), "currency/year", "override: satellite yearly fee", minimum=0.0),
)

NODES = (
    Column("node_id", "str", description="unique node id"),
    Column("kind", "str", choices=NODE_KINDS, description="backbone (existing fiber), junction, village or site"),
    Column("lon", "float", False, float("nan"), "degrees"),
    Column("lat", "float", False, float("nan"), "degrees"),
)

EDGES = (
    Column("u", "str", description="node id of one end"),
    Column("v", "str", description="node id of the other end"),
    Column("length_km", "float", False, float("nan"), "km", "trench length", minimum=0.0),
    Column("terrain", "str", False, "plain", choices=TERRAINS, description="terrain class the cost model prices per km"),
    Column("cost", "float", False, float("nan"), "currency", "override: explicit trench capex (then length is informative)", minimum=0.0),
    Column("road_class", "str", False, "", description="informative: road class the trench follows (OSM highway=* value; `connector`: straight link from a village or point of presence to the road)"),
    Column("geometry", "str", False, "", description="route of the trench as WKT `LINESTRING (lon lat, ...)` in WGS84, for maps and `allocator export`; empty: a straight line between its nodes"),
)

SITES = (
    Column("site_id", "str", description="unique candidate 4G site id"),
    Column("node", "str", False, "", description="network node of the site (fiber backhaul); empty: microwave only"),
    Column("lon", "float", False, float("nan"), "degrees"),
    Column("lat", "float", False, float("nan"), "degrees"),
    Column("terrain", "str", False, "plain", choices=TERRAINS),
    Column("backhaul", "str", False, "any", choices=BACKHAUL_KINDS, description="allowed backhaul"),
    Column("capex", "float", False, float("nan"), "currency", "override: site capex", minimum=0.0),
    Column("opex", "float", False, float("nan"), "currency/year", "override: yearly opex", minimum=0.0),
    Column("radius_km", "float", False, float("nan"), "km", "override: coverage radius", minimum=0.0),
    Column("backhaul_capex", "float", False, float("nan"), "currency", "override: microwave backhaul capex", minimum=0.0),
)

COVERAGE = (
    Column("site_id", "str", description="site (sites.csv)"),
    Column("village_id", "str", description="village the site covers (villages.csv)"),
)

BEAMS = (
    Column("beam_id", "str", description="satellite beam id"),
    Column("capacity_mbps", "float", unit="Mbit/s", minimum=0.0, description="capacity shared by villages on the beam"),
)

TABLES = {
    "counties.csv": COUNTIES,
    "villages.csv": VILLAGES,
    "network_nodes.csv": NODES,
    "network_edges.csv": EDGES,
    "sites.csv": SITES,
    "coverage.csv": COVERAGE,
    "beams.csv": BEAMS,
}
#: files that may be absent (an instance with no graph, no 4G, default beams)
OPTIONAL_FILES = ("network_nodes.csv", "network_edges.csv", "sites.csv", "coverage.csv", "beams.csv")
