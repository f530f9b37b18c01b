"""Importers of published formats: every SteinLib and OR-Library file in
../shared/external reads with the counts its MANIFEST and header give, the
tables carry exactly the file's costs, imported directories load, and
malformed files fail with messages naming file and line."""
from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.cli import main as cli_main
from allocator.errors import InputError
from allocator.importers import (import_scp, import_stp, read_scp, read_stp, scp_tables,
                                 stp_tables)
try:  # tests/ as a plain directory or as a package
    from external import EXTERNAL, require_external
except ImportError:
    from tests.external import EXTERNAL, require_external

REPO = Path(__file__).resolve().parents[1]
needs_shared = pytest.mark.external


def _csv_rows(name: str) -> dict[str, dict]:
    path = EXTERNAL / name
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


MANIFEST = _csv_rows("MANIFEST.csv")
SOURCES = _csv_rows("SOURCES.csv")
STP_FILES = sorted(f for f in MANIFEST if f.endswith(".stp"))
SCP_FILES = sorted(f for f in MANIFEST if re.search(r"(^|/)scp[^/]*\.txt$", f))


def _stp_facts(path: Path) -> dict:
    """Counts and weight sum read straight from the file, independently of the importer."""
    lines = [ln.split() for ln in path.read_bytes().decode("ascii").replace("\r", "").split("\n")]
    header = {p[0]: int(p[1]) for p in lines if len(p) == 2 and p[0] in ("Nodes", "Edges", "Terminals")}
    weights = [float(p[3]) for p in lines if p[:1] == ["E"]]
    terminals = [int(p[1]) for p in lines if p[:1] in (["T"], ["TP"])]
    prizes = {int(p[1]): float(p[2]) for p in lines if p[:1] == ["TP"]}
    root = next((int(p[1]) for p in lines if p[:1] == ["RootP"]), None)
    # the backbone: the RootP node of a prize-collecting file, else the first terminal
    backbone = root if root is not None else terminals[0]
    villages = [t for t in terminals if t != backbone]
    return {"header": header, "weights": weights, "terminals": terminals, "prizes": prizes,
            "root": root, "backbone": backbone, "villages": villages}


# --------------------------------------------------------------------------- every published file
def test_manifest_lists_every_file_of_both_kinds():
    require_external()
    on_disk_stp = sorted(p.relative_to(EXTERNAL).as_posix() for p in EXTERNAL.rglob("*.stp"))
    on_disk_scp = sorted(p.relative_to(EXTERNAL).as_posix() for p in EXTERNAL.rglob("scp*.txt"))
    assert on_disk_stp == STP_FILES and len(STP_FILES) == 172
    assert sum(f.startswith("pcstp/") for f in STP_FILES) == 14
    assert {MANIFEST[f]["problem"] for f in STP_FILES if f.startswith("pcstp/")} == {"rooted_pcstp"}
    assert on_disk_scp == SCP_FILES and len(SCP_FILES) == 25


@needs_shared
@pytest.mark.parametrize("file", STP_FILES)
def test_stp_file_reads_with_published_counts(file):
    path = EXTERNAL / file
    row = MANIFEST[file]
    facts = _stp_facts(path)
    stp = read_stp(path)
    tables = stp_tables(stp)

    assert stp.n_nodes == int(row["n_nodes_or_rows"]) == facts["header"]["Nodes"]
    assert len(stp.edges) == int(row["n_edges_or_cols"]) == facts["header"]["Edges"]
    prize_collecting = row["problem"] == "rooted_pcstp"
    # the DIMACS prize-collecting files count their RootP line in Terminals
    declared = len(stp.terminals) + (1 if prize_collecting else 0)
    assert declared == int(SOURCES[file]["terminals"]) == facts["header"]["Terminals"]
    assert stp.terminals == facts["terminals"]
    assert stp.prize_collecting == prize_collecting and stp.backbone == facts["backbone"]
    assert stp.prizes == facts["prizes"] and bool(stp.prizes) == prize_collecting

    nodes, edges, villages = tables.nodes, tables.edges, tables.villages
    assert list(nodes["node_id"]) == [str(i) for i in range(1, stp.n_nodes + 1)]
    assert list(nodes.loc[nodes["kind"] == "backbone", "node_id"]) == [str(facts["backbone"])]
    assert sorted(nodes.loc[nodes["kind"] == "village", "node_id"]) == sorted(str(t) for t in facts["villages"])
    assert len(edges) == facts["header"]["Edges"]
    assert edges["cost"].sum() == pytest.approx(math.fsum(facts["weights"]), rel=1e-12)
    assert list(edges["cost"]) == facts["weights"]
    assert len(villages) == facts["header"]["Terminals"] - 1
    assert list(villages["node"]) == [str(t) for t in facts["villages"]]
    if prize_collecting:
        assert set(villages["technologies"]) == {"fiber;satellite"}
        assert list(villages["satellite_capex"]) == [facts["prizes"][t] for t in facts["villages"]]
    else:
        assert set(villages["technologies"]) == {"fiber"}
    assert (villages["fiber_drop_capex"] == 0).all() and villages["poor"].all()
    assert tables.meta["name"] == row["name"]
    assert tables.meta["objective"] == "min-cost" and tables.meta.get("budget") is None
    assert tables.meta["policy"]["groups"]["all-poor"]["floor"] == 1.0


@needs_shared
@pytest.mark.parametrize("file", SCP_FILES)
def test_scp_file_reads_with_published_counts(file):
    path = EXTERNAL / file
    row = MANIFEST[file]
    numbers = [float(x) for x in path.read_text(encoding="ascii").split()]
    scp = read_scp(path)
    tables = scp_tables(scp)

    assert scp.n_rows == int(row["n_nodes_or_rows"]) == numbers[0]
    assert scp.n_cols == int(row["n_edges_or_cols"]) == numbers[1]
    # the file is: header, costs, and per row a count and that many columns
    assert len(numbers) == 2 + scp.n_cols + scp.n_rows + scp.nonzeros
    nonzeros = re.search(r"nonzeros (\d+) match", row["optimum_source"])
    if nonzeros:
        assert scp.nonzeros == int(nonzeros.group(1))
    assert tables.sites["capex"].sum() == sum(numbers[2:2 + scp.n_cols])
    assert list(tables.sites["capex"]) == numbers[2:2 + scp.n_cols]
    assert len(tables.villages) == scp.n_rows and set(tables.villages["technologies"]) == {"4g"}
    assert len(tables.coverage) == scp.nonzeros
    assert tables.meta["name"] == row["name"]
    assert not tables.coverage.duplicated().any()
    # every row as the file lists it: its count, then its columns
    pos = 2 + scp.n_cols
    by_village = tables.coverage.groupby("village_id", sort=False)["site_id"].apply(list).to_dict()
    for i in range(1, scp.n_rows + 1):
        k = int(numbers[pos])
        assert by_village.get(f"r{i}", []) == [f"s{int(j)}" for j in numbers[pos + 1:pos + 1 + k]]
        pos += 1 + k
    assert tables.nodes is None and tables.edges is None
    assert (tables.sites["backhaul"] == "microwave").all() and (tables.sites["backhaul_capex"] == 0).all()


@needs_shared
def test_i080_files_mix_line_endings_and_cd_files_carry_optimal_line():
    raw = (EXTERNAL / "steinlib/i080-001.stp").read_bytes()
    assert b"\r\n" in raw and b"\n" in raw.replace(b"\r\n", b"")
    assert b"Optimal" in (EXTERNAL / "steinlib/c01.stp").read_bytes()
    assert read_stp(EXTERNAL / "steinlib/c01.stp").declared["edges"] == 625


# --------------------------------------------------------------------------- writing and loading
def _load_sample() -> list[str]:
    """Files whose imported directory the default run loads: each series' first and
    last file and the largest D file (loading is the reader's cost, ~0.1-0.5 s a
    file); ALLOCATOR_TEST_ALL_IMPORTS=1 loads every file."""
    files = STP_FILES + SCP_FILES
    if os.environ.get("ALLOCATOR_TEST_ALL_IMPORTS") == "1":
        return files
    series: dict[str, list[str]] = {}
    for f in files:
        series.setdefault(re.match(r"[a-z]+/(i080|scp\d|[a-z])", f).group(1), []).append(f)
    sample = {f for group in series.values() for f in (group[0], group[-1])}
    sample |= {f for f in STP_FILES if f.endswith("d16.stp")}  # 1000 nodes, 25000 edges
    return sorted(sample)


@needs_shared
@pytest.mark.slow
def test_published_files_import_and_load(tmp_path):
    from allocator.io import load_instance

    for file in _load_sample():
        path = EXTERNAL / file
        out = tmp_path / path.stem
        if file.endswith(".stp"):
            import_stp(path, out)
        else:
            import_scp(path, out)
        inst = load_instance(out)
        row = MANIFEST[file]
        assert inst.objective.value == "min-cost" and inst.budget is None, file
        assert inst.policy.floors() == {"all-poor": 1.0}, file
        assert not inst.policy.schools_required, file
        if file.endswith(".stp"):
            facts = _stp_facts(path)
            assert len(inst.nodes) == int(row["n_nodes_or_rows"]), file
            assert len(inst.edges) == int(row["n_edges_or_cols"]), file
            assert inst.edges["capex"].sum() == pytest.approx(math.fsum(facts["weights"]), rel=1e-12), file
            assert (inst.edges["opex"] == 0).all(), file
            assert inst.backbone_nodes == [str(facts["backbone"])], file
            assert len(inst.villages) == len(facts["villages"]), file
            assert (inst.villages["fiber_capex"] == 0).all() and (inst.villages["fiber_opex"] == 0).all(), file
            if facts["prizes"]:  # a prize-collecting village: fiber, or satellite at its prize
                assert (inst.villages["technologies"].map(set) == {"fiber", "satellite"}).all(), file
                prizes = [facts["prizes"][t] for t in facts["villages"]]
                assert list(inst.villages["satellite_capex"]) == prizes, file
                continue
        else:
            assert len(inst.villages) == int(row["n_nodes_or_rows"]), file
            assert len(inst.sites) == int(row["n_edges_or_cols"]), file
            assert (inst.sites["opex"] == 0).all() and (inst.sites["backhaul_capex"] == 0).all(), file
            assert inst.sites["capex"].sum() == read_scp(path).costs.sum(), file
        assert (inst.villages["technologies"].map(len) == 1).all(), file


@needs_shared
def test_cli_imports_a_file_and_reports_bad_input(tmp_path, capsys):
    from allocator.io import load_instance

    assert cli_main(["import", "stp", str(EXTERNAL / "steinlib/b01.stp"), "-o", str(tmp_path / "b01")]) == 0
    assert len(load_instance(tmp_path / "b01").edges) == 63
    assert cli_main(["import", "scp", str(EXTERNAL / "scp/scp41.txt"), "-o", str(tmp_path / "s41")]) == 0
    assert len(load_instance(tmp_path / "s41").sites) == 1000

    bad = tmp_path / "bad.stp"
    bad.write_text((EXTERNAL / "steinlib/b01.stp").read_text().replace("E 2 21 7", "E 2 21 x"))
    assert cli_main(["import", "stp", str(bad), "-o", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 13: weight 'x' is not a number" in err
    assert not (tmp_path / "bad").exists()
    # an SCP file is not an STP file
    assert cli_main(["import", "stp", str(EXTERNAL / "scp/scp41.txt"), "-o", str(tmp_path / "x")]) == 2
    assert "not a SteinLib STP file" in capsys.readouterr().err


def test_cli_requires_output_and_format(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["import", "stp", "x.stp"])
    assert exc.value.code == 2
    assert "-o" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["import", "mps", "x.mps", "-o", "out"])


def test_refuses_to_replace_a_directory_that_is_not_an_instance(tmp_path):
    target = tmp_path / "work"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    stp = tmp_path / "tiny.stp"
    stp.write_text(TINY_PC)
    with pytest.raises(InputError, match="not written by allocator"):
        import_stp(stp, target)
    assert (target / "notes.txt").read_text() == "keep me"


# --------------------------------------------------------------------------- hand-written STP
TINY_PC = """33D32945 STP File, STP Format Version 1.0
# a comment line
SECTION Comment
Name "tiny # prize"
END

SECTION Graph
Nodes 5
Edges 6
E 1 2 3
E 2 3 4     # trailing comment
e 3 4 2.5
E 1 4 10
E 1 4 7
E 5 4 1
Optimal 999
END

SECTION Terminals
Terminals 3
RootP 1
TP 3 5
TP 4 1.5
T 5
END

SECTION Coordinates
DD 1 116.4 39.9
DD 3 117.0 40.0
END

EOF
"""


def test_prize_collecting_stp_maps_prizes_to_satellite(tmp_path):
    path = tmp_path / "tiny.stp"
    path.write_bytes(TINY_PC.replace("\n", "\r\n", 7).encode())  # mixed line endings
    stp = read_stp(path)
    assert stp.prize_collecting and stp.root == 1 and stp.backbone == 1
    assert stp.name == "tiny" and stp.comment["Name"] == "tiny # prize"
    assert stp.terminals == [3, 4, 5] and stp.prizes == {3: 5.0, 4: 1.5}
    tables = stp_tables(stp)
    nodes = tables.nodes.set_index("node_id")
    assert nodes["kind"].to_dict() == {"1": "backbone", "2": "junction", "3": "village",
                                       "4": "village", "5": "village"}
    assert nodes.loc["1", ["lon", "lat"]].tolist() == [116.4, 39.9]
    assert np.isnan(nodes.loc["2", "lon"])
    assert tables.edges["cost"].tolist() == [3.0, 4.0, 2.5, 10.0, 7.0, 1.0]  # parallel edges kept
    v = tables.villages.set_index("village_id")
    assert v["technologies"].to_dict() == {"v3": "fiber;satellite", "v4": "fiber;satellite", "v5": "fiber"}
    assert v.loc["v3", "satellite_capex"] == 5.0 and v.loc["v4", "satellite_capex"] == 1.5
    assert np.isnan(v.loc["v5", "satellite_capex"])
    assert v.loc["v3", ["lon", "lat"]].tolist() == [117.0, 40.0]
    assert (v["fiber_drop_capex"] == 0).all() and (v["node"] == ["3", "4", "5"]).all()


def test_prize_collecting_stp_loads_with_prizes_as_satellite_cost(tmp_path):
    from allocator.io import load_instance

    path = tmp_path / "tiny.stp"
    path.write_text(TINY_PC)
    inst = load_instance(import_stp(path, tmp_path / "tiny"))
    v = inst.villages
    assert v.loc["v3", "satellite_capex"] == 5.0 and v.loc["v4", "satellite_capex"] == 1.5
    assert (v.loc[["v3", "v4"], "satellite_opex"] == 0).all()
    assert set(v.loc["v3", "technologies"]) == {"fiber", "satellite"}
    assert list(v.loc["v5", "technologies"]) == ["fiber"]
    g = inst.graph
    assert g.number_of_edges() == 5 and g["1"]["4"]["capex"] == 7.0  # cheapest parallel edge kept
    assert inst.backbone_nodes == ["1"]


# the DIMACS challenge's rooted prize-collecting layout: Terminals counts RootP, decimals
DIMACS_PC = """33D32945 STP File, STP Format Version 1.0

SECTION Comment
Name "i00M0"
Problem "Rooted Prize-Collecting Steiner Problem in Graphs"
END

SECTION Graph
Nodes 4
Edges 4
E\t1\t2\t35203.250000
E\t2\t3\t753.000000
E\t3\t4\t0.125000
E\t1\t4\t90000.5
END

SECTION Terminals
Terminals 3
RootP 1          
TP 3\t\t113110.316273
TP 4\t        30042.302618
END

EOF
"""


def test_dimacs_prize_collecting_file_counts_its_root_in_terminals(tmp_path):
    path = tmp_path / "i00M0.stp"
    path.write_text(DIMACS_PC)
    stp = read_stp(path)
    assert stp.declared["terminals"] == 3 and stp.terminals == [3, 4]
    assert stp.prize_collecting and stp.root == 1 and stp.backbone == 1
    assert stp.prizes == {3: 113110.316273, 4: 30042.302618}
    assert stp.edges["weight"].tolist() == [35203.25, 753.0, 0.125, 90000.5]
    from allocator.io import load_instance
    inst = load_instance(import_stp(path, tmp_path / "i00M0"))
    assert inst.backbone_nodes == ["1"] and list(inst.villages.index) == ["v3", "v4"]
    assert inst.villages.loc["v3", "satellite_capex"] == 113110.316273
    assert inst.graph["3"]["4"]["capex"] == 0.125
    # a count that is neither the T/TP lines nor those plus RootP is still an error
    path.write_text(DIMACS_PC.replace("Terminals 3", "Terminals 4"))
    with pytest.raises(InputError, match="declares Terminals 4 but the file has 2") as err:
        read_stp(path)
    assert err.value.line == 18


def test_root_line_and_symmetric_arcs(tmp_path):
    path = tmp_path / "arcs.stp"
    path.write_text("33d32945 stp file\nsection graph\nnodes 3\narcs 4\n"
                    "A 1 2 5\nA 2 1 5\nA 2 3 1\nA 3 2 1\nend\n"
                    "section terminals\nterminals 2\nroot 2\nT 1\nT 3\nend\neof\n")
    stp = read_stp(path)
    assert stp.edges[["u", "v", "weight"]].values.tolist() == [[1, 2, 5.0], [2, 3, 1.0]]
    assert stp.backbone == 2 and stp.village_terminals == [1, 3] and not stp.prize_collecting


# --------------------------------------------------------------------------- malformed files
GOOD = """33D32945 STP File, STP Format Version 1.0
SECTION Graph
Nodes 3
Edges 2
E 1 2 1
E 2 3 2
END
SECTION Terminals
Terminals 2
T 1
T 3
END
EOF
"""


@pytest.mark.parametrize("text, line, message", [
    (GOOD.replace("33D32945", "STP"), 1, "not a SteinLib STP file"),
    (GOOD.replace("Edges 2", "Edges 3"), 4, "declares Edges 3 but the file has 2 edge (E) lines (truncated?)"),
    (GOOD.replace("Terminals 2", "Terminals 1"), 9, "declares Terminals 1 but the file has 2 terminal"),
    (GOOD.replace("E 2 3 2", "E 2 3 two"), 6, "weight 'two' is not a number"),
    (GOOD.replace("E 2 3 2", "E 2 3 -2"), 6, "weight -2 is negative"),
    (GOOD.replace("E 2 3 2", "E 2 3"), 6, "expected 'E <node> <node> <weight>', got 'E 2 3'"),
    (GOOD.replace("E 2 3 2", "E 2 2 2"), 6, "edge joins node 2 to itself"),
    (GOOD.replace("E 2 3 2", "E 2 4 2"), 6, "edge 2 4 names a node outside 1..3 (Nodes 3)"),
    (GOOD.replace("E 2 3 2", "E 2.0 3 2"), 6, "node '2.0' is not an integer"),
    (GOOD.replace("E 2 3 2", "E 2 99999999999999999999 2"), 6, "node '99999999999999999999' is too large"),
    (GOOD.replace("T 3", "T 9"), 11, "terminal 9 is outside 1..3"),
    (GOOD.replace("T 3", "T 1"), 11, "terminal 1 listed twice (first on line 10)"),
    (GOOD.replace("T 3", "TP 3 4"), 8, "prize-collecting terminals (TP) without a root"),
    (GOOD.replace("T 3", "TP 3 -4").replace("T 1", "RootP 1"), 11, "prize -4 is negative"),
    (GOOD.replace("EOF\n", ""), 13, "file ends without EOF: truncated?"),
    (GOOD.split("E 2 3 2")[0], 6, "file ends inside section 'Graph' (line 2): truncated?"),
    (GOOD.replace("END\nSECTION Terminals", "SECTION Terminals"), 7, "SECTION starts before section 'Graph'"),
    (GOOD.replace("E 1 2 1\nE 2 3 2", "Arcs 2\nA 1 2 1\nA 2 3 2").replace("Edges 2", "Edges 0"), 6,
     "arc 1 -> 2 (weight 1) has no reverse arc 2 -> 1 of the same weight"),
    (GOOD.replace("EOF", "SECTION MaximumDegrees\nMD 1 2\nEND\nEOF"), 13, "degree-constrained"),
    (GOOD.replace("EOF", "SECTION Graph\nEND\nEOF"), 13, "section 'Graph' appears twice (first on line 2)"),
    (GOOD + "E 1 3 4\n", 14, "text after EOF"),
    (GOOD.replace("Nodes 3\n", "Nodes 3\nNodes 4\n"), 4, "'Nodes' declared twice"),
    ("", None, "empty file"),
])
def test_malformed_stp_names_file_line_and_problem(tmp_path, text, line, message):
    path = tmp_path / "bad.stp"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        read_stp(path)
    err = exc.value
    assert err.file == str(path) and err.line == line
    assert message in err.problem
    where = f"{path}, line {line}: " if line else f"{path}: "
    assert str(err).startswith(where)


def test_missing_stp_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_stp(tmp_path / "nope.stp")


SCP_GOOD = " 3 4\n 1 2 3\n 4\n 2\n 1 2\n 1\n 3\n 3 2 3\n 4\n"


def test_tiny_scp_maps_rows_columns_and_coverage():
    import io
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scp_tiny.txt"
        path.write_text(SCP_GOOD)
        tables = scp_tables(read_scp(path))
    assert tables.villages["village_id"].tolist() == ["r1", "r2", "r3"]
    assert tables.sites["site_id"].tolist() == ["s1", "s2", "s3", "s4"]
    assert tables.sites["capex"].tolist() == [1.0, 2.0, 3.0, 4.0]
    buf = io.StringIO()
    tables.coverage.to_csv(buf, index=False, lineterminator="\n")
    assert buf.getvalue() == "site_id,village_id\ns1,r1\ns2,r1\ns3,r2\ns2,r3\ns3,r3\ns4,r3\n"


@pytest.mark.parametrize("text, line, message", [
    (SCP_GOOD.rsplit(" 4\n", 1)[0] + "\n", 8, "file ends where column covering row 3 (3 of 3) was expected: truncated?"),
    (" 3 4\n 1 2 3\n", 2, "file ends where cost of column 4 of 4 was expected"),
    (SCP_GOOD.replace(" 1 2\n", " 1 x\n"), 5, "column covering row 1 (2 of 2): 'x' is not an integer"),
    (SCP_GOOD.replace(" 1 2\n", " 1 7\n"), 5, "row 1 names column 7, outside 1..4"),
    (SCP_GOOD.replace(" 1 2\n", " 1 1\n"), 5, "row 1 names column 1 twice"),
    (SCP_GOOD.replace(" 1 2 3\n", " 1 -2 3\n"), 2, "cost of column 2 is negative"),
    (SCP_GOOD.replace(" 3 2 3\n", " 9 2 3\n"), 8, "row 3 is covered by 9 columns, outside 0..4"),
    (SCP_GOOD + " 5\n", 10, "'5' after the last row (3 rows declared)"),
    (" 0 4\n", 1, "must be positive"),
    ("\n\n", 1, "empty file"),
])
def test_malformed_scp_names_file_line_and_problem(tmp_path, text, line, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        read_scp(path)
    assert exc.value.file == str(path) and exc.value.line == line
    assert message in exc.value.problem
    assert str(exc.value).startswith(f"{path}, line {line}: ")


# --------------------------------------------------------------------------- property: any graph survives
@st.composite
def steiner_problems(draw):
    n = draw(st.integers(2, 12))
    pairs = st.tuples(st.integers(1, n), st.integers(1, n)).filter(lambda p: p[0] != p[1])
    edges = draw(st.lists(st.tuples(pairs, st.integers(0, 10**6) | st.floats(0, 1e6, allow_nan=False)),
                          max_size=30))
    terminals = draw(st.lists(st.integers(1, n), min_size=1, max_size=n, unique=True))
    endings = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=1, max_size=5))
    upper = draw(st.booleans())
    return n, [(u, v, w) for (u, v), w in edges], terminals, endings, upper


@settings(max_examples=40, deadline=None)
@given(steiner_problems())
def test_written_stp_reads_back_exactly(tmp_path_factory, problem):
    n, edges, terminals, endings, upper = problem
    kw = (lambda s: s.upper()) if upper else (lambda s: s)
    lines = ["33D32945 STP File, STP Format Version 1.0", kw("SECTION Graph"), f"{kw('Nodes')} {n}",
             f"{kw('Edges')} {len(edges)}", *[f"E {u} {v} {w!r}" for u, v, w in edges], kw("END"),
             kw("SECTION Terminals"), f"{kw('Terminals')} {len(terminals)}",
             *[f"T {t}" for t in terminals], kw("END"), kw("EOF")]
    text = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    path = tmp_path_factory.mktemp("stp") / "p.stp"
    path.write_bytes(text.encode())
    stp = read_stp(path)
    assert stp.n_nodes == n and stp.terminals == terminals
    assert stp.edges[["u", "v"]].values.tolist() == [[u, v] for u, v, _ in edges]
    assert stp.edges["weight"].tolist() == [float(w) for _, _, w in edges]
    tables = stp_tables(stp)
    assert (tables.nodes["kind"] == "backbone").sum() == 1
    assert len(tables.villages) == len(terminals) - 1
    assert tables.edges["cost"].sum() == pytest.approx(sum(float(w) for _, _, w in edges))
