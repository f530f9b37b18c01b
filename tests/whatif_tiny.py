"""A tiny two-province instance for the what-if, diff, frontier and report tests.

Models are inline (no model file), so the tests depend only on the loader.
Layout (capex only, no horizon): a backbone node B in 甲省; a trench chain
B - j1 - j2 to villages of two counties; one candidate 4G site S near the
甲省 villages; 乙省's villages have no fiber node, so satellite or 4G only.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

TERRAINS = ("plain", "hills", "mountain", "plateau")


def tiny_meta(**changes) -> dict:
    meta = {
        "name": "tiny-whatif",
        "description": "two provinces, four counties, ten villages",
        "currency": "CNY",
        "objective": "max-coverage",
        "budget": 60000.0,
        "budget_measure": "capex",
        "horizon_years": 0,
        "discount_rate": 0.0,
        "costs": {
            "name": "tiny-costs", "currency": "CNY",
            "fiber": {"per_km": {"plain": 1000.0, "hills": 1500.0, "mountain": 2000.0, "plateau": 2500.0},
                      "opex_per_km_year": 0.0, "drop_capex": 2000.0, "drop_opex_year": 0.0, "mbps": 65.0},
            "cellular": {"site_capex": {t: 9000.0 for t in TERRAINS}, "site_opex_year": 0.0,
                         "radius_km": {t: 5.0 for t in TERRAINS}, "microwave_capex": 3000.0,
                         "microwave_opex_year": 0.0, "mbps": 20.0},
            "satellite": {"terminal_capex": 7000.0, "fee_year": 0.0, "beam_capacity_mbps": 1000.0, "mbps": 12.0},
            "quality": {"fiber": 1.0, "4g": 1.0, "satellite": 1.0},
        },
        "policy": {
            "name": "tiny-policy",
            "groups": {"all-poor": {"priority": 1.0},
                       "deep-poverty": {"label": "三区三州", "priority": 3.0, "floor": 0.5},
                       "yanshan-taihang": {"priority": 2.0}},
            "schools": {"required": False},
            "clinics": {"required": False},
        },
    }
    meta.update(changes)
    return meta


def write_tiny(directory: Path, **meta_changes) -> Path:
    """Write the tiny instance into ``directory`` and return it."""
    from allocator.io.writer import write_instance

    counties = pd.DataFrame({
        "county_id": ["c1", "c2", "c3", "c4"],
        "name": ["贡山县", "福贡县", "平山县", "阜平县"],
        "province": ["甲省", "甲省", "乙省", "乙省"],
        "prefecture": ["怒江傈僳族自治州", "怒江傈僳族自治州", "石家庄市", "保定市"],
        "adcode": ["533324", "533323", "130131", "130624"],
        "groups": ["deep-poverty", "deep-poverty", "", "yanshan-taihang"],
    })
    villages = pd.DataFrame({
        "village_id": [f"v{i}" for i in range(1, 11)],
        "county_id": ["c1", "c1", "c1", "c2", "c2", "c3", "c3", "c4", "c4", "c4"],
        "name": ["丙中洛村", "秋那桶村", "雾里村", "石月亮村", "架科底村", "李家庄村", "王家峪村", "龙泉关村",
                 "骆驼湾村", "顾家台村"],
        "lon": [98.60, 98.62, 98.64, 98.80, 98.82, 113.90, 113.95, 114.10, 114.15, 114.20],
        "lat": [27.90, 27.95, 27.85, 27.40, 27.45, 38.30, 38.35, 38.80, 38.85, 38.75],
        "population": [800, 600, 400, 700, 500, 900, 300, 650, 450, 550],
        "poor": [True, True, True, True, False, True, True, True, True, False],
        "node": ["n1", "n2", "n3", "n4", "", "", "", "", "", ""],
        "terrain": ["mountain", "mountain", "plateau", "mountain", "mountain", "plain", "plain", "hills",
                    "hills", "hills"],
        "existing": ["none", "none", "none", "none", "none", "none", "fiber", "none", "none", "4g"],
        "technologies": [""] * 10,
    })
    nodes = pd.DataFrame({
        "node_id": ["B", "j1", "n1", "n2", "n3", "n4", "s1"],
        "kind": ["backbone", "junction", "village", "village", "village", "village", "site"],
        "lon": [98.50, 98.58, 98.60, 98.62, 98.64, 98.80, 98.70],
        "lat": [27.70, 27.88, 27.90, 27.95, 27.85, 27.40, 27.60],
    })
    edges = pd.DataFrame({
        "u": ["B", "j1", "j1", "j1", "B", "B"],
        "v": ["j1", "n1", "n2", "n3", "n4", "s1"],
        "length_km": [4.0, 1.0, 2.0, 2.0, 9.0, 3.0],
        "terrain": ["mountain", "mountain", "mountain", "plateau", "mountain", "mountain"],
    })
    sites = pd.DataFrame({"site_id": ["S1", "S2"], "node": ["s1", ""], "lon": [98.70, 114.15],
                          "lat": [27.60, 38.82], "terrain": ["mountain", "hills"], "backhaul": ["any", "microwave"]})
    coverage = pd.DataFrame({"site_id": ["S1", "S1", "S2", "S2", "S2"],
                             "village_id": ["v4", "v5", "v8", "v9", "v10"]})
    return write_instance(directory, meta=tiny_meta(**meta_changes), counties=counties, villages=villages,
                          nodes=nodes, edges=edges, sites=sites, coverage=coverage)
