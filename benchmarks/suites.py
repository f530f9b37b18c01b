"""The benchmark suites, as data: which instances, which solvers, which limits.

A :class:`Case` is one instance: a generator preset at a seed, an instance
directory the repository ships (``instances/``), or a published file from
``<repo>/../shared/external`` (SteinLib ``.stp``, OR-Library set covering) read
through the project's importers. The smoke suite runs on what the project ships
and adds the published files when they are present; the other suites need them. A :class:`Suite` runs every
case with every solver it names (``None``: every installed backend) plus the
baselines, all with the same time limit and gap.

Known optima are read from ``external/MANIFEST.csv`` when a run is scored; they
are never written here.
"""
from __future__ import annotations

import csv
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from allocator.errors import OptionsError

REPO = Path(__file__).resolve().parent.parent
#: engine backends in the order tables list them
ENGINE_SOLVERS = ("highs", "cbc", "scip", "cpsat")
#: baselines every suite can run next to the engine
BASELINES = ("greedy", "fixed-tree", "fixed-formulation", "restricted")
GENERATOR_PRESETS = ("county", "prefecture", "province", "national")


def external_dir() -> Path:
    """Where the published instances live: $ALLOCATOR_EXTERNAL or <repo>/../shared/external."""
    env = os.environ.get("ALLOCATOR_EXTERNAL")
    return Path(env) if env else REPO.parent / "shared" / "external"


@dataclass(frozen=True)
class Case:
    """One benchmark instance.

    kind: ``generated`` (preset + seed), ``instance`` (a shipped instance directory,
    ``file`` relative to the repository), ``stp`` or ``scp`` (file, relative to the
    external directory). family: the series it is reported under (``county``,
    ``steinlib-B``, ``scp4`` ...). mode: the engine's mode for this case.
    """

    name: str
    family: str
    kind: str
    preset: str | None = None
    seed: int | None = None
    file: str | None = None
    mode: str = "exact"
    gap: float | None = None          # this case's gap for every solver (None: the suite's)
    time_limit: float | None = None   # this case's time limit for every solver (None: the suite's)
    #: runs this case leaves out, as (solver or baseline, reason) pairs: each is recorded as a row with
    #: status ``skipped`` and the reason, unless the solver is named by --solvers / --baselines
    skip: tuple[tuple[str, str], ...] = ()

    def path(self) -> Path | None:
        if not self.file:
            return None
        return (REPO if self.kind == "instance" else external_dir()) / self.file

    def skip_reason(self, solver: str) -> str | None:
        """Why this case leaves ``solver`` out (None: it runs it)."""
        return dict(self.skip).get(solver)

    def to_dict(self) -> dict:
        return {"name": self.name, "family": self.family, "kind": self.kind, "preset": self.preset,
                "seed": self.seed, "file": self.file, "mode": self.mode, "gap": self.gap,
                "time_limit": self.time_limit, "skip": dict(self.skip)}


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    cases: tuple[Case, ...]
    time_limit: float                         # seconds per solve, engine and baselines alike
    gap: float = 0.0                          # relative gap every solver may stop at
    solvers: tuple[str, ...] | None = None    # None: every installed backend
    baselines: tuple[str, ...] = BASELINES
    target_minutes: float | None = None       # what the suite is sized to finish in (2 cores)

    def family_names(self) -> list[str]:
        return sorted({c.family for c in self.cases})


# --------------------------------------------------------------------------- case builders
def generated(preset: str, seeds, *, mode: str = "exact", gap: float | None = None,
              time_limit: float | None = None, skip: dict[str, str] | None = None) -> list[Case]:
    if preset not in GENERATOR_PRESETS:
        raise OptionsError(f"unknown generator preset {preset!r}", fix=f"one of {', '.join(GENERATOR_PRESETS)}")
    unknown = sorted(set(skip or {}) - set(ENGINE_SOLVERS) - set(BASELINES))
    if unknown:
        raise OptionsError(f"cannot skip unknown solver(s) {', '.join(unknown)}",
                           fix=f"one of {', '.join(ENGINE_SOLVERS + BASELINES)}")
    return [Case(name=f"{preset}-s{s}", family=preset, kind="generated", preset=preset, seed=int(s), mode=mode, gap=gap,
                 time_limit=time_limit, skip=tuple(sorted((skip or {}).items())))
            for s in seeds]


def shipped(names, *, gap: float | None = None) -> list[Case]:
    """Instance directories of the repository's ``instances/`` (those present: a wheel install has none)."""
    return [Case(name=n, family="shipped", kind="instance", file=f"instances/{n}", gap=gap)
            for n in names if (REPO / "instances" / n / "instance.toml").is_file()]


def steinlib(series: str, numbers=None) -> list[Case]:
    """SteinLib series ``B``, ``C``, ``D``, ``E`` or ``I080``; ``numbers`` picks files by their number
    (``[1, 5]`` -> b01, b05; for I080 ``[1, 11]`` -> i080-001, i080-011), None = the whole series
    (empty when the external directory holds none of it)."""
    prefix = {"B": "b", "C": "c", "D": "d", "E": "e", "I080": "i080-"}[series.upper()]
    names = [r["name"] for r in manifest().values() if r["problem"] == "steiner_tree"
             and r["name"].startswith(prefix) and r["name"][len(prefix):].isdigit()]
    if numbers is not None:
        width = 3 if prefix == "i080-" else 2
        wanted = {f"{prefix}{int(k):0{width}d}" for k in numbers}
        missing = wanted - set(names)
        if missing:
            raise OptionsError(f"SteinLib {series}: no file for {sorted(missing)} in {external_dir()}")
        names = [n for n in names if n in wanted]
    return [Case(name=n, family=f"steinlib-{series.upper()}", kind="stp", file=manifest()[n]["file"])
            for n in sorted(names)]


#: the textbook model needs 60-250 s per street file on 2 cores (benchmarks/results/README.md):
#: the standard suite runs it on these three (one per size of terminal set), `full` on all
STREET_TEXTBOOK_SAMPLE = ("i101M1", "i103M3", "i105M3")


#: the shipped instances on OpenStreetMap roads (instances/README.md), in the street family
STREET_OSM = ("osm-helsinki", "osm-kouvola")


def street(*, textbook_on=None) -> list[Case]:
    """Rooted prize-collecting Steiner problems on real street networks (the DIMACS
    Cologne FTTx files, ``rooted_pcstp`` in MANIFEST.csv, and the shipped OpenStreetMap
    instances :data:`STREET_OSM`): family ``street``. ``textbook_on``: the Cologne files
    the ``fixed-formulation`` baseline runs on (None: all); the others leave it out with
    the reason."""
    names = sorted(r["name"] for r in manifest().values() if r["problem"] == "rooted_pcstp")
    reason = "the textbook model takes minutes here; the standard suite runs it on " + \
        ", ".join(textbook_on or ()) + " (the full suite on every file)"
    cologne = [Case(name=n, family="street", kind="stp", file=manifest()[n]["file"],
                    skip=() if textbook_on is None or n in textbook_on else (("fixed-formulation", reason),))
               for n in names]
    osm = [dataclasses.replace(c, family="street") for c in shipped(STREET_OSM)]
    return cologne + osm


def orlib_scp(series: str, numbers=None) -> list[Case]:
    """OR-Library set covering series ``4``, ``5`` or ``6`` (scp41 ... scp410 ...)."""
    names = [r["name"] for r in manifest().values() if r["problem"] != "steiner_tree"
             and r["name"].startswith(f"scp{series}")]
    if numbers is not None:
        wanted = {f"scp{series}{int(k)}" for k in numbers}
        missing = wanted - set(names)
        if missing:
            raise OptionsError(f"OR-Library scp{series}: no file for {sorted(missing)} in {external_dir()}")
        names = [n for n in names if n in wanted]
    key = lambda n: int(n[len(f"scp{series}"):])  # noqa: E731 - scp41 < scp42 < ... < scp410
    return [Case(name=n, family=f"scp{series}", kind="scp", file=manifest()[n]["file"])
            for n in sorted(names, key=key)]


_MANIFEST: dict[str, dict] | None = None


def manifest() -> dict[str, dict]:
    """MANIFEST.csv rows by instance name ({} when the external directory is absent)."""
    global _MANIFEST
    if _MANIFEST is None:
        path = external_dir() / "MANIFEST.csv"
        if not path.exists():
            return {}
        with path.open(newline="", encoding="utf-8") as fh:
            _MANIFEST = {row["name"]: row for row in csv.DictReader(fh)}
    return _MANIFEST


def known_optimum(case: Case) -> float | None:
    """The published proven optimum of a file case (None for generated ones)."""
    if case.kind in ("generated", "instance"):
        return None
    row = manifest().get(case.name)
    if not row or not row.get("known_optimum"):
        return None
    return float(row["known_optimum"])


# --------------------------------------------------------------------------- the suites
#: shipped instances of the smoke suite (besides the county demo): the hand-checked tiny ones
SMOKE_SHIPPED = ("tiny-trench", "tiny-4g", "tiny-floor", "tiny-mincost")


def _smoke() -> Suite:
    # published files only when present: the smoke suite runs in a clone without ../shared
    published = steinlib("B", [1, 7, 13]) + orlib_scp("4", [1]) if manifest() else []
    return Suite(
        name="smoke",
        description="CI: a few small instances of each kind, HiGHS and the baselines; < 2 min on 2 cores "
                    "including instance generation and import. Runs on what the project ships (instances/, "
                    "generator presets); SteinLib/OR-Library files are added when ../shared/external is present.",
        # county seed 3 and the county demo at a 1% gap: proving the last 0.1% takes longer than CI should wait
        cases=tuple(shipped(SMOKE_SHIPPED) + shipped(["county-demo"], gap=0.01) + published
                    + generated("county", [3], gap=0.01)),
        time_limit=30.0,
        solvers=("highs",),
        target_minutes=2.0,
    )


#: national in the standard suite: the county decomposition (docs/scale.md), its LP bound solved by
#: HiGHS for every solver, the county MIPs by the solver run. The LP gets half the time left; it needed
#: 105-145 s (2 cores, next to the county MIPs), and at 300 s SCIP's run lost it to the clock.
#: Measured with 300 s (standard run of 13:01): HiGHS 146 s, CBC 179 s, CP-SAT 183 s.
NATIONAL_STANDARD_LIMIT = 420.0


def _standard() -> Suite:
    return Suite(
        name="standard",
        description="Every family at a few instances, every installed backend and the baselines; < 30 min on "
                    "2 cores. Generated instances at a 1% gap; national (seed 1) in decomposed mode, 420 s per "
                    "solver.",
        cases=tuple(
            generated("county", [1, 2, 3], gap=0.01) + generated("prefecture", [1], gap=0.01)
            + generated("province", [1], gap=0.01)
            + steinlib("B") + steinlib("C", [1, 6, 11]) + steinlib("D", [1, 6])
            + steinlib("I080", [1, 11, 41]) + orlib_scp("4", [1, 2]) + orlib_scp("5", [1, 2])
            + orlib_scp("6", [1, 2]) + street(textbook_on=STREET_TEXTBOOK_SAMPLE)
            + generated("national", [1], mode="decomposed", gap=0.01, time_limit=NATIONAL_STANDARD_LIMIT)
        ),
        time_limit=60.0,
        target_minutes=30.0,
    )


def _full() -> Suite:
    return Suite(
        name="full",
        description="Every published file of every series (SteinLib E when present, the street networks), every preset at five seeds (national at two, "
                    "restricted mode, 1% gap, 30 min), every backend; as long as it needs.",
        cases=tuple(
            generated("county", range(1, 6)) + generated("prefecture", range(1, 6))
            + generated("province", range(1, 6))
            + generated("national", [1, 2], mode="restricted", gap=0.01, time_limit=1800.0)
            + steinlib("B") + steinlib("C") + steinlib("D") + steinlib("E") + steinlib("I080")
            + orlib_scp("4") + orlib_scp("5") + orlib_scp("6") + street()
        ),
        time_limit=600.0,
    )


def _scale() -> Suite:
    # exact routing at scale: the county decomposition with price rounds (docs/scale.md); the
    # targets are a gap <= 0.1% for the province in 60 s and <= 0.5% for the national preset in
    # 10 minutes with two workers (--threads 2), both relative to the exact problem
    return Suite(
        name="scale",
        description="Exact routing by county decomposition with price rounds (Lagrangian bound, master MIP): "
                    "province seed 1 in 60 s, national seed 1 in 600 s; HiGHS; run with --threads 2.",
        cases=tuple(generated("province", [1], mode="decomposed-exact", time_limit=60.0)
                    + generated("national", [1], mode="decomposed-exact", time_limit=600.0)),
        time_limit=600.0,
        solvers=("highs",),
        baselines=(),
    )


SUITES = {"smoke": _smoke, "standard": _standard, "full": _full, "scale": _scale}


def get_suite(name: str) -> Suite:
    """The suite called ``name`` (its file cases resolved against the external directory)."""
    try:
        build = SUITES[name]
    except KeyError:
        raise OptionsError(f"unknown suite {name!r}", fix=f"one of {', '.join(SUITES)}") from None
    if name != "smoke" and not manifest():
        raise OptionsError(f"published instances not found: {external_dir() / 'MANIFEST.csv'}",
                           fix="set ALLOCATOR_EXTERNAL to the folder holding MANIFEST.csv (the smoke suite "
                               "runs without it)")
    return build()
