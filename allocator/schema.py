"""Declared schema of every instance table: the single source for the loader's
checks and for docs/format.md.

Each table is a list of :class:`Column`; a column is required unless it has a
default. ``kind`` is one of ``str``, ``float``, ``int``, ``bool``, ``list``
(a ``;``-separated list of names in one cell); a number's ``limits`` is its
plausible range (:class:`Limits`, declared once below for every kind of
quantity, also used by the model and scenario checks). A header the schema does
not know is an error unless it starts with :data:`NOTE_PREFIX`.
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

#: the technologies as the plain strings of the tables (a str-Enum member does not hash like its
#: value, so dicts keyed by these never mix with dicts keyed by the members); the one definition
#: every module imports
FIBER, CELL, SAT = Technology.FIBER.value, Technology.CELLULAR.value, Technology.SATELLITE.value
#: every technology a plan may newly give a village, in the order the tables list them
NEW_TECHS = (FIBER, CELL, SAT)


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


def format_number(x: float) -> str:
    """A limit as an official reads it: 1,000,000 rather than 1e+06."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e16:
        return f"{int(x):,}"
    return f"{x:,g}"


@dataclass(frozen=True)
class Limits:
    """Inclusive range of plausible values of a number, with its unit.

    The loader refuses a value outside it (naming file, row, column and the
    range): a longitude of 200 or a trench of 1e308 km is a typo, never data,
    and keeping every number this small keeps sums far from float overflow.
    """

    low: float
    high: float
    unit: str = ""

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high

    def text(self) -> str:
        """``[0, 1,000,000] people``"""
        return f"[{format_number(self.low)}, {format_number(self.high)}]" + (f" {self.unit}" if self.unit else "")


# The plausible range of every kind of number an instance, a model or a scenario holds; declared
# once here, used by the CSV loader, the TOML model checks, the scenario checks and docs/format.md.
LONGITUDE = Limits(-180.0, 180.0, "degrees")
LATITUDE = Limits(-90.0, 90.0, "degrees")
POPULATION = Limits(0.0, 1e6, "people")            # residents of one village (a large one has ~10,000)
LENGTH_KM = Limits(0.0, 1e4, "km")                 # one candidate trench (China spans ~5,000 km)
RADIUS_KM = Limits(0.0, 200.0, "km")               # reach of one 4G site (LTE extended range ~100 km)
MONEY = Limits(0.0, 1e12, "currency")              # one price: a trench, site, terminal, drop
MONEY_PER_KM = Limits(0.0, 1e12, "currency/km")    # trench price per km
MONEY_PER_YEAR = Limits(0.0, 1e12, "currency/year")  # one yearly cost
MONEY_PER_KM_YEAR = Limits(0.0, 1e12, "currency/km/year")
BUDGET = Limits(0.0, 1e15, "currency")             # a whole programme (China's 2015-2020 plan: ~1.4e11 CNY)
BANDWIDTH = Limits(0.0, 1e5, "Mbit/s")             # what one village needs or one technology delivers
BEAM_CAPACITY = Limits(0.0, 1e7, "Mbit/s")         # one satellite beam (a whole HTS satellite: ~1e6)
SHARE = Limits(0.0, 1.0)                           # floors and quality factors
PRIORITY = Limits(0.0, 1e6)                        # priority and weight factors
SCALE = Limits(0.0, 1e6)                           # a what-if multiplier of a price
HORIZON_YEARS = Limits(0.0, 100.0, "years")        # years of opex in tco
YEAR = Limits(1949.0, 2100.0)                      # a calendar year (base_year)

#: cost-model parameter (dotted path; a by-terrain table covers its entries) -> its limits
COST_MODEL_LIMITS = {
    "fiber.per_km": MONEY_PER_KM,
    "fiber.opex_per_km_year": MONEY_PER_KM_YEAR,
    "fiber.drop_capex": MONEY,
    "fiber.drop_opex_year": MONEY_PER_YEAR,
    "fiber.mbps": BANDWIDTH,
    "cellular.site_capex": MONEY,
    "cellular.site_opex_year": MONEY_PER_YEAR,
    "cellular.radius_km": RADIUS_KM,
    "cellular.microwave_capex": MONEY,
    "cellular.microwave_opex_year": MONEY_PER_YEAR,
    "cellular.mbps": BANDWIDTH,
    "satellite.terminal_capex": MONEY,
    "satellite.fee_year": MONEY_PER_YEAR,
    "satellite.beam_capacity_mbps": BEAM_CAPACITY,
    "satellite.mbps": BANDWIDTH,
    "quality": SHARE,
}


#: key of a ``[technologies.<name>]`` block -> its limits (the technologies layout)
TECHNOLOGY_KEY_LIMITS = {
    "per_km": MONEY_PER_KM, "opex_per_km_year": MONEY_PER_KM_YEAR, "drop_capex": MONEY,
    "drop_opex_year": MONEY_PER_YEAR, "site_capex": MONEY, "site_opex_year": MONEY_PER_YEAR,
    "radius_km": RADIUS_KM, "terminal_capex": MONEY, "fee_year": MONEY_PER_YEAR,
    "capacity_mbps": BEAM_CAPACITY, "capex": MONEY, "opex_year": MONEY_PER_YEAR, "mbps": BANDWIDTH,
    "quality": SHARE,
}


def cost_limits(dotted: str) -> Limits:
    """Limits of a cost-model parameter such as ``fiber.per_km.plateau`` or
    ``technologies.leo.fee_year`` (its longest declared prefix)."""
    parts = dotted.split(".")
    if parts[0] == "technologies" and len(parts) >= 3 and parts[2] in TECHNOLOGY_KEY_LIMITS:
        return TECHNOLOGY_KEY_LIMITS[parts[2]]
    for cut in range(len(parts), 0, -1):
        found = COST_MODEL_LIMITS.get(".".join(parts[:cut]))
        if found is not None:
            return found
    raise KeyError(dotted)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True
    default: object = None
    unit: str = ""
    description: str = ""
    choices: tuple[str, ...] | None = None
    limits: Limits | None = None  # plausible range of a number (inclusive)


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
    Column("lon", "float", False, float("nan"), "degrees", "longitude (WGS84)", limits=LONGITUDE),
    Column("lat", "float", False, float("nan"), "degrees", "latitude (WGS84)", limits=LATITUDE),
    Column("population", "float", unit="people", limits=POPULATION, description="residents"),
    Column("poor", "bool", False, True, description="registered poor village (建档立卡贫困村)"),
    Column("node", "str", False, "", description="network node the village attaches to; empty: no fiber possible"),
    Column("terrain", "str", False, "plain", choices=TERRAINS, description="terrain class, prices satellite/4G reach"),
    Column("existing", "str", False, "none", choices=tuple(e.value for e in Existing), description="connection before the plan"),
    Column("school", "bool", False, False, description="has a rural school (must be covered with enough bandwidth)"),
    Column("clinic", "bool", False, False, description="has a village clinic"),
    Column("demand_mbps", "float", False, 20.0, "Mbit/s", "bandwidth the village needs", limits=BANDWIDTH),
    Column("technologies", "list", False, "", description="technologies allowed for this village, names of the cost model's technologies (fiber;4g;satellite ...); empty: all"),
    Column("beam", "str", False, "", description="satellite beam serving the village; empty: its province"),
    Column("fiber_drop_capex", "float", False, float("nan"), "currency", "override: last-mile drop cost", limits=MONEY),
    Column("satellite_capex", "float", False, float("nan"), "currency", "override: satellite terminal cost", limits=MONEY),
    Column("satellite_opex", "float", False, float("nan"), "currency/year", "override: satellite yearly fee", limits=MONEY_PER_YEAR),
)

NODES = (
    Column("node_id", "str", description="unique node id"),
    Column("kind", "str", choices=NODE_KINDS, description="backbone (existing fiber), junction, village or site"),
    Column("lon", "float", False, float("nan"), "degrees", "longitude (WGS84)", limits=LONGITUDE),
    Column("lat", "float", False, float("nan"), "degrees", "latitude (WGS84)", limits=LATITUDE),
)

EDGES = (
    Column("u", "str", description="node id of one end"),
    Column("v", "str", description="node id of the other end"),
    Column("length_km", "float", False, float("nan"), "km", "trench length", limits=LENGTH_KM),
    Column("terrain", "str", False, "plain", choices=TERRAINS, description="terrain class the cost model prices per km"),
    Column("cost", "float", False, float("nan"), "currency", "override: explicit trench capex (then length is informative)", limits=MONEY),
    Column("road_class", "str", False, "", description="informative: road class the trench follows (OSM highway=* value; `connector`: straight link from a village or point of presence to the road)"),
    Column("geometry", "str", False, "", description="route of the trench as WKT `LINESTRING (lon lat, ...)` in WGS84, for maps and `allocator export`; empty: a straight line between its nodes"),
)

SITES = (
    Column("site_id", "str", description="unique candidate 4G site id"),
    Column("technology", "str", False, "", description="site technology of the cost model (4g, 5g-fwa ...); empty: its first site technology"),
    Column("node", "str", False, "", description="network node of the site (fiber backhaul); empty: microwave only"),
    Column("lon", "float", False, float("nan"), "degrees", "longitude (WGS84)", limits=LONGITUDE),
    Column("lat", "float", False, float("nan"), "degrees", "latitude (WGS84)", limits=LATITUDE),
    Column("terrain", "str", False, "plain", choices=TERRAINS, description="terrain class, prices the site"),
    Column("backhaul", "str", False, "any", choices=BACKHAUL_KINDS, description="allowed backhaul"),
    Column("capex", "float", False, float("nan"), "currency", "override: site capex", limits=MONEY),
    Column("opex", "float", False, float("nan"), "currency/year", "override: yearly opex", limits=MONEY_PER_YEAR),
    Column("radius_km", "float", False, float("nan"), "km", "override: coverage radius", limits=RADIUS_KM),
    Column("backhaul_capex", "float", False, float("nan"), "currency", "override: microwave backhaul capex", limits=MONEY),
)

COVERAGE = (
    Column("site_id", "str", description="site (sites.csv)"),
    Column("village_id", "str", description="village the site covers (villages.csv)"),
)

BEAMS = (
    Column("beam_id", "str", description="satellite beam id"),
    Column("capacity_mbps", "float", unit="Mbit/s", limits=BEAM_CAPACITY, description="capacity shared by villages on the beam"),
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
#: files that may be absent (an instance with no graph, no 4G, default beams); a header-only one
#: means the same as an absent one, except coverage.csv (present and empty: no site covers anything)
OPTIONAL_FILES = ("network_nodes.csv", "network_edges.csv", "sites.csv", "coverage.csv", "beams.csv")
#: files that need at least one data row (an instance plans for at least one village)
NONEMPTY_FILES = ("counties.csv", "villages.csv")
#: a column whose header starts with this is the user's note (name_en, remark ...): kept as text,
#: never read by the model, named in a warning; any other unknown header is an error
NOTE_PREFIX = "x_"
