"""Every command the docs show runs as written.

From README.md and docs/*.md this collects the fenced ``bash`` blocks (each line, with
``\\`` continuations joined, is a command), the fenced ``python`` blocks (each a program) and
the ``$ allocator ...`` lines of transcripts in other fenced blocks, and runs them in order, per document, in a temporary copy of the
repository (so outputs like ``plans/`` or ``out/`` land there), checking the exit code.

A block is tuned by an HTML comment on the line before its fence (invisible when rendered):

- ``<!-- docs-test: exit 3 -->``: the commands of the block are expected to exit 3;
- ``<!-- docs-test: skip: REASON -->``: not run, for a reason the test prints (long solves,
  commands that install software).

Placeholders in capitals (``DIR``, ``PLAN``) mark usage synopses, not commands: such lines are
not run (a synopsis belongs in an unlabelled block).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<what>skip|exit)\s*:?\s*(?P<arg>.*?)\s*-->\s*$")
PLACEHOLDER = re.compile(r"(?<![\w./-])[A-Z][A-Z_]{1,}(?![\w])")  # DIR, PLAN_DIR ... (not CNY: see below)
NOT_PLACEHOLDERS = {"CNY", "USD", "TCO", "GIS", "CSV", "HTML", "PNG", "OK"}


def doc_blocks(path: Path) -> list[dict]:
    """The runnable blocks of one document: line, commands, expected exit code, skip reason."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        body = m.group("body").replace("\\\n", " ")
        if m.group("lang") == "python":  # the whole block is one program
            commands = [f"python - <<'PYTHON'\n{m.group('body')}PYTHON"]
        elif m.group("lang") == "bash":
            commands = [" ".join(ln.split()) for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        else:
            commands = [ln.strip()[2:] for ln in body.splitlines() if ln.strip().startswith("$ allocator ")]
        if m.group("lang") != "python":
            commands = [c for c in commands if not {w for w in PLACEHOLDER.findall(c)} - NOT_PLACEHOLDERS]
        if not commands:
            continue
        block = {"line": line, "commands": commands, "exit": 0, "skip": None}
        if marker and marker["what"] == "skip":
            block["skip"] = marker["arg"] or "marked skip"
        elif marker:
            block["exit"] = int(marker["arg"])
        blocks.append(block)
    return blocks


def test_the_collector_reads_markers(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("x\n```bash\nallocator solve instances/tiny-trench \\\n  -q\n# a comment\n```\n"
                   "<!-- docs-test: exit 3 -->\n```\n$ allocator solve a --budget 1\nout\n```\n"
                   "<!-- docs-test: skip: takes minutes -->\n```bash\nallocator rollout big\n```\n"
                   "```\nallocator solve DIR [-o PLAN_DIR]\n```\n", encoding="utf-8")
    blocks = doc_blocks(doc)
    assert [b["commands"] for b in blocks] == [["allocator solve instances/tiny-trench -q"],
                                               ["allocator solve a --budget 1"], ["allocator rollout big"]]
    assert [b["exit"] for b in blocks] == [0, 3, 0] and blocks[2]["skip"] == "takes minutes"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A copy of what the docs refer to (instances, docs and their examples), outputs land here."""
    root = tmp_path_factory.mktemp("docs-run")
    for name in ("instances", "docs"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "README.md", root / "README.md")
    return root


def _env() -> dict:
    """This interpreter's scripts first on PATH (its `allocator`), the checkout first on PYTHONPATH."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """As a user types it: through bash (pipes, &&, quotes)."""
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_documented_command_runs_as_written(doc, workspace):
    blocks = doc_blocks(doc)
    skipped = []
    for block in blocks:
        if block["skip"]:
            skipped.append(f"{doc.name}:{block['line']}: {block['skip']}")
            continue
        for command in block["commands"]:
            proc = _run(command, workspace)
            assert proc.returncode == block["exit"], (
                f"{doc.name}:{block['line']}: `{command}` exited {proc.returncode}, the doc expects "
                f"{block['exit']}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
            assert "Traceback" not in proc.stderr, f"{doc.name}:{block['line']}: `{command}`\n{proc.stderr}"
    for line in skipped:
        print(f"not run (marked in the doc): {line}")
