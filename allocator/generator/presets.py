"""Preset parameters of the synthetic instance generator, as data.

Numbers marked *programme* come from docs/sources.md, "The programme" (the
MIIT 2018-2020 plan and the figures reported around it); everything else is a
plausible assumption, kept here as a parameter so that it can be changed and
is never hidden in code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

# --------------------------------------------------------------------------- policy groups
DEEP_POVERTY = "deep-poverty"        # 三区三州
DESIGNATED = "designated"            # MIIT-paired counties (部系统定点县)
YANSHAN_TAIHANG = "yanshan-taihang"  # 燕山-太行山 contiguous poverty area

#: 三区三州 by adcode prefix (programme): Tibet; Tibetan areas of Qinghai, Sichuan,
#: Yunnan, Gansu; the four prefectures of southern Xinjiang; Liangshan, Nujiang, Linxia
DEEP_POVERTY_PREFIXES = (
    "54",
    "6322", "6323", "6325", "6326", "6327", "6328",
    "5132", "5133", "513422", "5334", "6230", "620623",
    "6531", "6532", "6529", "6530",
    "5134", "5333", "6229",
)

#: Yanshan-Taihang counties (programme; Shanxi's eight "commonly cited, unconfirmed").
#: Both the 2016-17 code of the shipped county seats and today's code are listed.
YANSHAN_TAIHANG_ADCODES = frozenset({
    "130627", "130624", "130636", "130630", "130633", "130634", "130623", "130631",
    "130726", "130727", "130728", "130708", "130722", "130724", "130725", "130723",
    "130705", "130826", "130828", "130825", "130823", "130881", "130821",
    "150922", "150923", "150924",
    "140221", "140222", "140223", "140224", "140225", "140227", "140215", "140922", "140924",
})

#: MIIT-paired counties (programme: 2012 list, later changes unconfirmed)
DESIGNATED_ADCODES = frozenset({"141030", "141032", "511321", "511304"})


# --------------------------------------------------------------------------- national distribution
@dataclass(frozen=True)
class ProvinceQuota:
    """Registered poor villages and poverty counties of one province.

    ``villages`` is exact when ``exact`` (programme figures); otherwise it is a
    weight, scaled with the other inexact ones to make up the national total.
    """

    code: str          # 2-digit adcode prefix
    counties: int
    villages: int
    exact: bool = False


#: the programme's national number of registered poor villages
NATIONAL_POOR_VILLAGES = 122_900

#: Exact rows: programme.md (Sichuan, Guizhou, Yunnan, Shanxi, Gansu, Xinjiang,
#: Qinghai; Shanxi's county count is not given there and is taken from the national
#: list of 832 poverty counties). Inexact rows: county counts of that national list,
#: village counts as plausible weights (provincial figures as reported in the press,
#: not checked): they only share out what the exact rows leave of 122,900.
#: Sichuan's 88 and Gansu's 75 include provincial poverty counties, so the total is
#: 871 counties rather than 832.
NATIONAL_QUOTAS = (
    ProvinceQuota("51", 88, 11_501, exact=True),
    ProvinceQuota("52", 66, 9_000, exact=True),
    ProvinceQuota("53", 88, 8_502, exact=True),
    ProvinceQuota("14", 36, 7_993, exact=True),
    ProvinceQuota("62", 75, 7_262, exact=True),
    ProvinceQuota("65", 32, 3_666, exact=True),
    ProvinceQuota("63", 42, 1_622, exact=True),
    ProvinceQuota("13", 45, 7_366),
    ProvinceQuota("15", 31, 2_834),
    ProvinceQuota("22", 8, 1_489),
    ProvinceQuota("23", 20, 1_778),
    ProvinceQuota("34", 20, 3_000),
    ProvinceQuota("36", 24, 3_058),
    ProvinceQuota("41", 38, 9_536),
    ProvinceQuota("42", 28, 4_821),
    ProvinceQuota("43", 40, 8_000),
    ProvinceQuota("45", 33, 5_000),
    ProvinceQuota("46", 5, 600),
    ProvinceQuota("50", 14, 1_919),
    ProvinceQuota("54", 74, 5_369),
    ProvinceQuota("61", 56, 8_808),
    ProvinceQuota("64", 8, 1_100),
)


# --------------------------------------------------------------------------- terrain
#: shares of (plain, hills, plateau, mountain) of a county's villages, by the longest
#: matching adcode prefix (assumption: a coarse reading of China's relief map).
#: Classes are listed from the county seat outwards: villages far from the seat get
#: the later classes, so a county's terrain is spatially coherent.
TERRAIN_ORDER = ("plain", "hills", "plateau", "mountain")
TERRAIN_SHARES: Mapping[str, tuple[float, float, float, float]] = MappingProxyType({
    "": (0.50, 0.30, 0.00, 0.20),
    "13": (0.35, 0.35, 0.00, 0.30), "14": (0.15, 0.45, 0.00, 0.40), "15": (0.60, 0.30, 0.00, 0.10),
    "22": (0.60, 0.30, 0.00, 0.10), "23": (0.60, 0.30, 0.00, 0.10), "34": (0.50, 0.30, 0.00, 0.20),
    "36": (0.25, 0.45, 0.00, 0.30), "41": (0.60, 0.25, 0.00, 0.15), "42": (0.20, 0.35, 0.00, 0.45),
    "43": (0.20, 0.40, 0.00, 0.40), "45": (0.20, 0.40, 0.00, 0.40), "46": (0.40, 0.40, 0.00, 0.20),
    "50": (0.05, 0.35, 0.00, 0.60), "51": (0.30, 0.40, 0.00, 0.30), "52": (0.05, 0.35, 0.00, 0.60),
    "53": (0.05, 0.30, 0.00, 0.65), "61": (0.20, 0.40, 0.00, 0.40), "62": (0.15, 0.45, 0.00, 0.40),
    "64": (0.40, 0.40, 0.00, 0.20), "65": (0.60, 0.20, 0.00, 0.20),
    # Qinghai-Tibet plateau and its rim
    "54": (0.00, 0.00, 0.85, 0.15), "63": (0.05, 0.10, 0.70, 0.15),
    "6301": (0.20, 0.40, 0.00, 0.40), "6302": (0.20, 0.40, 0.00, 0.40),
    "5132": (0.00, 0.05, 0.70, 0.25), "5133": (0.00, 0.05, 0.70, 0.25), "513422": (0.00, 0.05, 0.50, 0.45),
    "5334": (0.00, 0.05, 0.60, 0.35), "6230": (0.00, 0.05, 0.70, 0.25), "620623": (0.00, 0.10, 0.60, 0.30),
    "6531": (0.55, 0.15, 0.10, 0.20), "6532": (0.55, 0.15, 0.10, 0.20),
    # mountains of the southwest
    "5134": (0.05, 0.20, 0.00, 0.75), "5333": (0.00, 0.05, 0.00, 0.95), "6229": (0.10, 0.40, 0.00, 0.50),
})

#: road length / straight-line length by terrain (assumption: mountain roads wind)
DETOUR = MappingProxyType({"plain": 1.25, "hills": 1.40, "plateau": 1.35, "mountain": 1.70})


# --------------------------------------------------------------------------- generator knobs
@dataclass(frozen=True)
class Params:
    """Knobs shared by every preset (each an assumption unless marked *programme*)."""

    # existing connections of registered poor villages in 2016 (*programme*: 62% of poor
    # villages, 26% in 三区三州); ``existing_other`` is what the national preset needs
    # outside 三区三州 to make 62% overall (a test checks it)
    existing_deep: float = 0.26
    existing_other: float = 0.685
    existing_non_poor_deep: float = 0.45
    existing_non_poor_other: float = 0.85
    existing_fiber_share: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({DEEP_POVERTY: 0.45, "other": 0.70}))
    school_share: float = 0.35
    clinic_share: float = 0.50
    population_median: float = 1_300.0     # Fujian 2007 ~1,836 people per village; poor ones smaller
    population_median_plateau: float = 300.0  # Tibetan examples: 28-66 households
    population_sigma: float = 0.45
    villages_per_township: float = 12.0
    townships_min: int = 5
    townships_max: int = 15
    township_backbone: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({DEEP_POVERTY: 0.35, "other": 0.70}))
    cluster_spread: float = 0.22           # village scatter around its centre, share of county radius
    county_radius_factor: float = 0.55     # county radius = factor x distance to the nearest other seat
    county_radius_km: tuple[float, float] = (8.0, 90.0)
    extra_edges_per_node: float = 0.40     # road loops added to the spanning tree (avg degree ~2.8)
    hilltop_sites_per_village: float = 0.08
    hilltop_group: int = 4                 # a hilltop site stands amid this many neighbouring villages
    microwave_only_share: float = 0.20     # hilltop sites with no road (microwave backhaul only)
    budget_share: float = 0.75             # budget = share of the cost of covering everything
    objective: str = "max-coverage"
    budget_measure: str = "tco"
    horizon_years: int = 10
    discount_rate: float = 0.05
    base_year: int | None = None            # None: the policy's 2020 targets hold


@dataclass(frozen=True)
class Preset:
    """One named instance shape.

    Counties come from ``quotas`` (national, by province) or ``adcode_prefix``
    (all poverty-like counties under a prefix, at most ``counties``);
    ``villages`` villages in all, ``poor_share`` of them registered poor.
    """

    name: str
    description: str
    villages: int = 0
    poor_share: float = 1.0
    adcode_prefix: str = ""
    counties: int = 0
    quotas: tuple[ProvinceQuota, ...] = ()
    hand_made: bool = False
    params: Params = field(default_factory=Params)


PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in (
    Preset("tiny", "6 villages in one Liangshan county, hand-checkable: one shared trench, "
           "one 4G site covering two villages, one remote camp 25 km of plateau away",
           villages=6, adcode_prefix="513429", counties=1, hand_made=True, poor_share=5 / 6),
    Preset("county", "~150 villages in 木里藏族自治县 (Muli: Liangshan's Tibetan county, 三区三州; plateau "
           "and gorges): trenches to share, hilltop 4G sites, remote herders for satellite",
           villages=150, poor_share=0.80, adcode_prefix="513422", counties=1),
    Preset("prefecture", "~2,000 villages in the 17 counties of Liangshan prefecture (三区三州)",
           villages=2_000, poor_share=0.90, adcode_prefix="5134", counties=17),
    Preset("province", "~10,000 villages in 88 poverty counties of Sichuan, with the deep-poverty "
           "prefectures Aba, Garze and Liangshan and two MIIT-paired counties",
           villages=10_000, poor_share=0.85, adcode_prefix="51", counties=88),
    Preset("national", "122,900 registered poor villages in 871 poverty counties of 22 provinces "
           "placed at real county seats (province totals as in the programme)",
           villages=NATIONAL_POOR_VILLAGES, poor_share=1.0, quotas=NATIONAL_QUOTAS),
)})


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises
    ------
    OptionsError
        No such preset.
    """
    from ..errors import OptionsError

    try:
        return PRESETS[name]
    except KeyError:
        raise OptionsError(f"unknown preset '{name}'",
                           fix=f"use one of: {', '.join(PRESETS)}") from None
