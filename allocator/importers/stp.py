"""Import SteinLib / DIMACS ``.stp`` Steiner problems as allocation instances.

Mapping (see docs/importers.md):

- every STP node is a network node (id = its number); the root is the
  ``backbone`` node, other terminals are ``village`` nodes, the rest
  ``junction`` nodes; ``SECTION Coordinates`` (``DD``/``DDD``) gives lon/lat;
- every edge ``E u v w`` is a network edge with explicit ``cost = w``;
  parallel edges are kept (the instance graph keeps the cheapest);
- plain Steiner problem (``T`` lines): the root is ``Root`` if given, else the
  first terminal; every other terminal is a village that must get fiber;
- prize-collecting extension (``RootP r``, ``TP v prize``): ``r`` is the
  backbone, a ``TP`` terminal is a village that gets fiber or pays its prize
  as its satellite capex; ``T`` terminals in the same file stay fiber-only.
  Weights and prizes may be decimals; ``Terminals N`` may count the
  ``RootP`` line (as the DIMACS challenge's files do) or not.

Format reference: T. Koch, A. Martin, S. Vo&szlig;, "SteinLib: An Updated
Library on Steiner Tree Problems in Graphs" (ZIB-Report 00-37), and the 11th
DIMACS Implementation Challenge format for prize-collecting variants.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import Technology
from .common import (COUNTY_ID, ImportedTables, imported_meta, read_text, single_county,
                     write_imported)

MAGIC = "33d32945"
#: sections that change the problem into one an allocation instance cannot express
_UNSUPPORTED_SECTIONS = {
    "maximumdegrees": "degree-constrained Steiner trees",
    "obstacles": "rectilinear Steiner problems with obstacles",
}
_READ_SECTIONS = ("comment", "graph", "terminals", "coordinates", "presolve")


@dataclass
class SteinerFile:
    """What an ``.stp`` file says, with the line of every record for messages."""

    path: Path
    name: str
    n_nodes: int
    edges: pd.DataFrame                      # u, v (int), weight (float), line (int)
    terminals: list[int]                     # file order, T and TP lines
    prizes: dict[int, float] = field(default_factory=dict)  # TP terminals
    root: int | None = None                  # Root / RootP
    prize_collecting: bool = False
    coordinates: dict[int, tuple[float, float]] = field(default_factory=dict)
    comment: dict[str, str] = field(default_factory=dict)
    declared: dict[str, int] = field(default_factory=dict)  # Nodes, Edges, Arcs, Terminals

    @property
    def backbone(self) -> int:
        """The node that already has fiber: the root, else the first terminal."""
        return self.root if self.root is not None else self.terminals[0]

    @property
    def village_terminals(self) -> list[int]:
        """Terminals that become villages, in file order (every one but the backbone)."""
        return [t for t in self.terminals if t != self.backbone]


class _Reader:
    """Line-by-line state machine over the sections of an STP file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.section: str | None = None
        self.section_line = 0
        self.seen_sections: dict[str, int] = {}
        self.declared: dict[str, int] = {}
        self.declared_line: dict[str, int] = {}
        self.etok: list[list[str]] = []      # E lines' u, v, weight as text
        self.eline: list[int] = []
        self.arcs: list[tuple[int, int, float, int]] = []
        self.terminals: list[int] = []
        self.terminal_line: dict[int, int] = {}
        self.prizes: dict[int, float] = {}
        self.root: int | None = None
        self.root_line = 0
        self.root_key = ""
        self.coordinates: dict[int, tuple[float, float]] = {}
        self.coord_line: dict[int, int] = {}
        self.comment: dict[str, str] = {}
        self.eof = False

    # ------------------------------------------------------------------ errors
    def error(self, line: int | None, message: str, fix: str | None = None) -> InputError:
        return InputError(message, file=self.path, line=line, fix=fix)

    def _int(self, token: str, line: int, what: str) -> int:
        try:
            value = int(token)
        except ValueError:
            raise self.error(line, f"{what} '{token}' is not an integer") from None
        if abs(value) >= 2**62:
            raise self.error(line, f"{what} '{token}' is too large")
        return value

    def _float(self, token: str, line: int, what: str) -> float:
        try:
            value = float(token)
        except ValueError:
            raise self.error(line, f"{what} '{token}' is not a number") from None
        if not np.isfinite(value):
            raise self.error(line, f"{what} '{token}' is not a finite number")
        return value

    def _check_edge(self, u: int, v: int, w: float, line: int) -> None:
        if w < 0:
            raise self.error(line, f"weight {w:g} is negative", fix="trench costs are >= 0")
        if u == v:
            raise self.error(line, f"edge joins node {u} to itself",
                             fix="remove the line: a loop is never part of a tree")

    def _fields(self, parts: list[str], line: int, n: int, usage: str) -> list[str]:
        if len(parts) != n:
            raise self.error(line, f"expected '{usage}', got '{' '.join(parts)}'")
        return parts[1:]

    # ------------------------------------------------------------------ driver
    def read(self, text: str) -> None:
        lines = text.split("\n")
        start = next((i for i, s in enumerate(lines) if s.strip()), None)
        if start is None:
            raise self.error(None, "empty file", fix="an STP file starts with '33D32945 STP File'")
        if not lines[start].strip().lower().startswith(MAGIC):
            raise self.error(start + 1, "not a SteinLib STP file: the first line must start with "
                             "the magic number 33D32945")
        etok, eline = self.etok, self.eline
        for i in range(start + 1, len(lines)):
            lineno = i + 1
            raw = lines[i]
            if self.section != "comment" and "#" in raw:
                raw = raw[: raw.index("#")]
            parts = raw.split()
            if not parts:
                continue
            if len(parts) == 4 and parts[0] == "E" and self.section == "graph":
                etok.append(parts[1:])  # fast path for the bulk of a file, checked in _edges()
                eline.append(lineno)
                continue
            if self.eof:
                raise self.error(lineno, f"text after EOF: '{raw.strip()}'")
            key = parts[0].lower()
            if self.section is None:
                self._outside(key, parts, lineno)
            elif key == "end":
                self.section = None
            elif key == "section":
                raise self.error(lineno, f"SECTION starts before section "
                                 f"'{self.section.capitalize()}' (line {self.section_line}) ends",
                                 fix="close every section with END")
            elif key == "eof":
                raise self.error(lineno, f"EOF inside section '{self.section.capitalize()}' "
                                 f"(line {self.section_line})", fix="close every section with END")
            else:
                handler = getattr(self, f"_in_{self.section}", None)
                if handler is not None:
                    handler(key, parts, lineno)
        if self.section is not None:
            raise self.error(len(lines), f"file ends inside section '{self.section.capitalize()}' "
                             f"(line {self.section_line}): truncated?")
        if not self.eof:
            raise self.error(len(lines), "file ends without EOF: truncated?",
                             fix="an STP file ends with the line EOF")

    def _outside(self, key: str, parts: list[str], line: int) -> None:
        if key == "eof":
            self.eof = True
            return
        if key != "section" or len(parts) < 2:
            raise self.error(line, f"expected 'SECTION <name>' or EOF, got '{' '.join(parts)}'")
        name = parts[1].lower()
        if name in _UNSUPPORTED_SECTIONS:
            raise self.error(line, f"section '{parts[1]}': {_UNSUPPORTED_SECTIONS[name]} "
                             "cannot be imported as an allocation instance")
        if name in self.seen_sections:
            raise self.error(line, f"section '{parts[1]}' appears twice "
                             f"(first on line {self.seen_sections[name]})")
        self.seen_sections[name] = line
        # unknown sections are read past: their keys cannot change a Steiner problem we import
        self.section = name if name in _READ_SECTIONS else "unknown"
        self.section_line = line

    # ------------------------------------------------------------------ sections
    def _in_comment(self, key: str, parts: list[str], line: int) -> None:
        self.comment[parts[0]] = " ".join(parts[1:]).strip('"')

    def _declare(self, key: str, parts: list[str], line: int) -> None:
        (value,) = self._fields(parts, line, 2, f"{parts[0]} <count>")
        if key in self.declared:
            raise self.error(line, f"'{parts[0]}' declared twice (first on line {self.declared_line[key]})")
        count = self._int(value, line, parts[0])
        if count < 0:
            raise self.error(line, f"{parts[0]} {count} is negative")
        self.declared[key] = count
        self.declared_line[key] = line

    def _in_graph(self, key: str, parts: list[str], line: int) -> None:
        if key in ("nodes", "edges", "arcs"):
            self._declare(key, parts, line)
        elif key == "e":
            # checked in bulk by _edges(): most of a large file is E lines
            if len(parts) != 4:
                raise self.error(line, f"expected 'E <node> <node> <weight>', got '{' '.join(parts)}'")
            self.etok.append(parts[1:])
            self.eline.append(line)
        elif key == "a":
            u, v, w = self._fields(parts, line, 4, f"{parts[0]} <node> <node> <weight>")
            u, v, w = self._int(u, line, "node"), self._int(v, line, "node"), self._float(w, line, "weight")
            self._check_edge(u, v, w, line)
            self.arcs.append((u, v, w, line))
        # other keys (e.g. the 'Optimal' line of the C and D series) say nothing about the graph

    def _in_terminals(self, key: str, parts: list[str], line: int) -> None:
        if key == "terminals":
            self._declare(key, parts, line)
        elif key in ("t", "tp"):
            if key == "t":
                (v,) = self._fields(parts, line, 2, "T <node>")
            else:
                v, p = self._fields(parts, line, 3, "TP <node> <prize>")
            v = self._int(v, line, "terminal")
            if v in self.terminal_line:
                raise self.error(line, f"terminal {v} listed twice (first on line {self.terminal_line[v]})")
            self.terminals.append(v)
            self.terminal_line[v] = line
            if key == "tp":
                prize = self._float(p, line, "prize")
                if prize < 0:
                    raise self.error(line, f"prize {p} is negative",
                                     fix="a prize is the cost of leaving the terminal out: >= 0")
                self.prizes[v] = prize
        elif key in ("root", "rootp"):
            (r,) = self._fields(parts, line, 2, f"{parts[0]} <node>")
            if self.root is not None:
                raise self.error(line, f"a second root (first on line {self.root_line})")
            self.root = self._int(r, line, "root")
            self.root_line = line
            self.root_key = parts[0]

    def _in_coordinates(self, key: str, parts: list[str], line: int) -> None:
        if key not in ("dd", "ddd"):
            return
        if len(parts) < 4:
            raise self.error(line, f"expected '{parts[0]} <node> <x> <y>', got '{' '.join(parts)}'")
        v = self._int(parts[1], line, "node")
        self.coordinates[v] = (self._float(parts[2], line, "x"), self._float(parts[3], line, "y"))
        self.coord_line[v] = line

    def _in_presolve(self, key: str, parts: list[str], line: int) -> None:
        # 'Fixed' is a cost already paid by presolving, outside the graph: it cannot be expressed
        if key == "fixed" and len(parts) > 1 and self._float(parts[1], line, "Fixed") != 0:
            raise self.error(line, "presolved file with a fixed cost outside the graph "
                             "cannot be imported", fix="import the original (not presolved) file")

    # ------------------------------------------------------------------ checks
    def finish(self) -> SteinerFile:
        for name in ("graph", "terminals"):
            if name not in self.seen_sections:
                raise self.error(None, f"no 'SECTION {name.capitalize()}'")
        if "nodes" not in self.declared:
            raise self.error(self.seen_sections["graph"], "section Graph does not declare 'Nodes <count>'")
        n = self.declared["nodes"]
        edges = self._edges()
        self._check_count("edges", len(self.etok), "edge (E) lines")
        self._check_count("arcs", len(self.arcs), "arc (A) lines")
        self._check_terminal_count()
        if len(edges):
            bad = ~(edges["u"].between(1, n) & edges["v"].between(1, n))
            if bad.any():
                first = int(np.flatnonzero(bad.to_numpy())[0])
                u, v, line = (int(edges[c].iat[first]) for c in ("u", "v", "line"))
                raise self.error(line, f"edge {u} {v} names a node "
                                 f"outside 1..{n} (Nodes {n})")
        for t in self.terminals:
            if not 1 <= t <= n:
                raise self.error(self.terminal_line[t], f"terminal {t} is outside 1..{n} (Nodes {n})")
        for v, line in self.coord_line.items():
            if not 1 <= v <= n:
                raise self.error(line, f"coordinates of node {v}, outside 1..{n} (Nodes {n})")
        if self.root is not None and not 1 <= self.root <= n:
            raise self.error(self.root_line, f"root {self.root} is outside 1..{n} (Nodes {n})")
        prize_collecting = bool(self.prizes) or self.root_key.lower() == "rootp"
        if prize_collecting and self.root is None:
            raise self.error(self.seen_sections["terminals"],
                             "prize-collecting terminals (TP) without a root: the engine needs "
                             "the node that already has fiber",
                             fix="add 'RootP <node>' to section Terminals")
        if not self.terminals and self.root is None:
            raise self.error(self.seen_sections["terminals"], "no terminals")
        name = self.path.stem  # as the benchmark lists name it (MANIFEST.csv: b01, i080-001)
        return SteinerFile(
            path=self.path, name=name, n_nodes=n, edges=edges, terminals=list(self.terminals),
            prizes=dict(self.prizes), root=self.root, prize_collecting=prize_collecting,
            coordinates=dict(self.coordinates), comment=dict(self.comment),
            declared=dict(self.declared),
        )

    def _check_terminal_count(self) -> None:
        """``Terminals N`` counts the T/TP lines; the DIMACS prize-collecting files
        (11th DIMACS Challenge, RPCSTP) count their ``RootP`` line too, when the
        root is not also listed as a terminal. Both readings are accepted."""
        found = len(self.terminals)
        root_counted = (self.root_key.lower() == "rootp" and self.root not in self.terminal_line
                        and self.declared.get("terminals") == found + 1)
        if not root_counted:
            self._check_count("terminals", found, "terminal (T/TP) lines")

    def _check_count(self, key: str, found: int, what: str) -> None:
        if key in self.declared and self.declared[key] != found:
            declared = self.declared[key]
            hint = "truncated?" if found < declared else "more lines than declared"
            raise self.error(self.declared_line[key], f"declares {key.capitalize()} {declared} "
                             f"but the file has {found} {what} ({hint})")

    def _edges(self) -> pd.DataFrame:
        tokens = np.array(self.etok, dtype=str).reshape(-1, 3)
        try:
            u = tokens[:, 0].astype(np.int64)
            v = tokens[:, 1].astype(np.int64)
            w = tokens[:, 2].astype(float)
        except (ValueError, OverflowError):
            u = v = w = None
        if u is None or not np.isfinite(w).all() or (w < 0).any() or (u == v).any():
            # slow path: convert line by line, naming the first bad line
            rows = [(self._int(tu, line, "node"), self._int(tv, line, "node"),
                     self._float(tw, line, "weight"), line)
                    for (tu, tv, tw), line in zip(self.etok, self.eline)]
            for row in rows:
                self._check_edge(*row)
            u = np.array([r[0] for r in rows], dtype=np.int64)
            v = np.array([r[1] for r in rows], dtype=np.int64)
            w = np.array([r[2] for r in rows], dtype=float)
        line = np.asarray(self.eline, dtype=np.int64)
        if self.arcs:
            arcs = _undirected_arcs(self.arcs, self.error)
            u = np.concatenate([u, [a[0] for a in arcs]]).astype(np.int64)
            v = np.concatenate([v, [a[1] for a in arcs]]).astype(np.int64)
            w = np.concatenate([w, [a[2] for a in arcs]]).astype(float)
            line = np.concatenate([line, [a[3] for a in arcs]]).astype(np.int64)
        return pd.DataFrame({"u": u, "v": v, "weight": w, "line": line})


def _undirected_arcs(arcs, error) -> list[tuple[int, int, float, int]]:
    """Arcs as undirected edges, when every arc has its reverse with the same weight.

    A symmetric arc list is an undirected graph written twice; anything else is
    a directed Steiner problem, which fiber trenches (usable both ways) are not.
    """
    count = Counter((u, v, w) for u, v, w, _ in arcs)
    for u, v, w, line in arcs:
        if count[(v, u, w)] != count[(u, v, w)]:
            raise error(line, f"arc {u} -> {v} (weight {w:g}) has no reverse arc {v} -> {u} of the "
                        "same weight: directed Steiner problems cannot be imported",
                        fix="give every arc its reverse, or write undirected edges as 'E u v w'")
    return [(u, v, w, line) for u, v, w, line in arcs if u < v]


def read_stp(path: str | Path) -> SteinerFile:
    """Parse an ``.stp`` file.

    Raises
    ------
    InputError
        The file is malformed, truncated, or a variant that cannot be imported
        (directed arcs, degree limits, obstacles, unrooted prize-collecting);
        the message names the file and the line.
    """
    path = Path(path)
    reader = _Reader(path)
    reader.read(read_text(path))
    return reader.finish()


def stp_tables(stp: SteinerFile) -> ImportedTables:
    """The allocation instance of a parsed Steiner problem (mapping in the module docstring)."""
    ids = np.arange(1, stp.n_nodes + 1)
    node_ids = ids.astype(str)
    lon = np.full(stp.n_nodes, np.nan)
    lat = np.full(stp.n_nodes, np.nan)
    for v, (x, y) in stp.coordinates.items():
        lon[v - 1], lat[v - 1] = x, y
    kind = np.full(stp.n_nodes, "junction", dtype=object)
    villages_at = stp.village_terminals
    kind[np.asarray(villages_at, dtype=np.int64) - 1] = "village"
    kind[stp.backbone - 1] = "backbone"
    nodes = pd.DataFrame({"node_id": node_ids, "kind": kind, "lon": lon, "lat": lat})

    edges = pd.DataFrame({
        "u": stp.edges["u"].astype(str).to_numpy(), "v": stp.edges["v"].astype(str).to_numpy(),
        "length_km": np.nan, "terrain": "plain", "cost": stp.edges["weight"].to_numpy(),
    })

    at = np.asarray(villages_at, dtype=np.int64)
    with_prize = np.array([t in stp.prizes for t in villages_at], dtype=bool)
    fiber_only = Technology.FIBER.value
    fiber_or_satellite = f"{Technology.FIBER.value};{Technology.SATELLITE.value}"
    villages = pd.DataFrame({
        "village_id": [f"v{t}" for t in villages_at],
        "county_id": COUNTY_ID,
        "name": [f"terminal {t}" for t in villages_at],
        "lon": lon[at - 1] if len(at) else [],
        "lat": lat[at - 1] if len(at) else [],
        "population": 1.0,
        "poor": True,
        "node": at.astype(str),
        "demand_mbps": 0.0,
        "technologies": np.where(with_prize, fiber_or_satellite, fiber_only),
        "fiber_drop_capex": 0.0,
        # a prize is what leaving the terminal out costs: the village's satellite price
        "satellite_capex": [stp.prizes.get(t, np.nan) for t in villages_at],
        "satellite_opex": np.where(with_prize, 0.0, np.nan),
    })

    kind_text = "prize-collecting Steiner problem" if stp.prize_collecting else "Steiner problem in graphs"
    about = "; ".join(stp.comment[k] for k in ("Name", "Creator", "Remark") if stp.comment.get(k))
    description = (f"{kind_text} {stp.name} imported from {stp.path.name}"
                   + (f" ({about})" if about else "")
                   + f": {stp.n_nodes} nodes, {len(edges)} edges, {len(stp.terminals)} terminals; "
                   f"backbone = node {stp.backbone}.")
    meta = imported_meta(name=stp.name, description=description, fmt="stp")
    return ImportedTables(
        meta=meta, counties=single_county(stp.name, "steinlib"), villages=villages,
        nodes=nodes, edges=edges,
        summary={"nodes": stp.n_nodes, "edges": len(edges), "terminals": len(stp.terminals),
                 "villages": len(villages), "prize_collecting": stp.prize_collecting,
                 "total_edge_cost": float(stp.edges["weight"].sum())},
    )


def import_stp(path: str | Path, directory: str | Path, *, overwrite: bool = True) -> Path:
    """Read an ``.stp`` file and write it as an instance directory; returns the directory."""
    return write_imported(stp_tables(read_stp(path)), directory, overwrite=overwrite)
