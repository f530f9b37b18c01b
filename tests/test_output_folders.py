"""The -o folder (issue 9, "Data loss"): allocator replaces only what it wrote, never the current
directory, an input or a parent of an input; a replacement is atomic (kill -9 at any point leaves
a complete folder, and the next run cleans up); concurrent writers all succeed and leave one
complete folder and nothing hidden."""
from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.errors import InputError
from allocator.io import atomic, load_instance
from allocator.io.atomic import (MARKER, NO_EXCHANGE_ENV, PAUSE_ENV, atomic_output_dir, check_output_dir,
                                 clean_leftovers, output_policy, read_marker)
from allocator.plan_io import read_plan, write_plan
from allocator.verify import verify

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "instances" / "tiny-trench"
PARTS = 5


def _tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the SHA-256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(parent: Path) -> list[str]:
    return sorted(n for n in os.listdir(parent) if ".allocator-" in n)


@pytest.fixture
def inst(tmp_path) -> Path:
    """A copy of tiny-trench the test may (try to) overwrite."""
    return Path(shutil.copytree(TINY, tmp_path / "inst"))


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory):
    from allocator.solve import solve

    instance = load_instance(TINY)
    return instance, solve(instance)


def _solve(*argv) -> int:
    return main(["solve", str(TINY), "-q", *map(str, argv)])


# --------------------------------------------------------------------------- what is never replaced
def test_dash_o_dot_never_empties_the_current_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "thesis.docx").write_text("years of work")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "survey.csv").write_text("a,b\n1,2\n")
    before = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--force"]):
        assert _solve("-o", ".", *extra) == 2
        err = capsys.readouterr().err
        assert "is the current directory" in err and "fix: name a new folder" in err and "Traceback" not in err
    assert main(["solve", str(TINY), "-q", "-o", "..", "--force"]) == 2
    assert "a parent of the current directory" in capsys.readouterr().err
    assert _tree(tmp_path) == before and _leftovers(tmp_path) == []


def test_a_folder_of_the_users_own_files_is_refused_then_replaced_with_force(tmp_path, capsys):
    mine = tmp_path / "results"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert _solve("-o", mine) == 2
    err = capsys.readouterr().err
    assert "was not written by allocator" in err and "--force" in err and "another -o path" in err
    assert (mine / "notes.txt").read_text() == "keep me"
    assert _solve("-o", mine, "--force") == 0
    assert not (mine / "notes.txt").exists() and read_marker(mine)["kind"] == "plan"
    assert _leftovers(tmp_path) == []


def test_a_file_the_user_adds_to_a_plan_folder_makes_it_theirs(tmp_path, capsys):
    plan = tmp_path / "plan"
    assert _solve("-o", plan) == 0
    assert _solve("-o", plan) == 0  # ours: replaced without a word
    (plan / "my-notes.md").write_text("why we chose this")
    assert _solve("-o", plan) == 2
    assert "holds files allocator did not write (my-notes.md)" in capsys.readouterr().err
    assert (plan / "my-notes.md").read_text() == "why we chose this"


def test_the_instance_folder_itself_is_never_replaced(inst, capsys):
    before = _tree(inst)
    for extra in ([], ["--force"]):
        assert main(["solve", str(inst), "-q", "-o", str(inst), *extra]) == 2
        assert "is an input of this command" in capsys.readouterr().err
    assert _tree(inst) == before


def test_a_generated_instance_is_ours_but_still_an_input(tmp_path, capsys):
    gen = tmp_path / "gen"
    assert main(["generate", "tiny", "-q", "-o", str(gen)]) == 0
    assert read_marker(gen)["kind"] == "instance"
    before = _tree(gen)
    assert main(["solve", str(gen), "-q", "-o", str(gen), "--force"]) == 2
    assert "is an input" in capsys.readouterr().err
    # and a plan is not written over an instance allocator generated, unless forced
    assert _solve("-o", gen) == 2
    assert "holds an instance written by allocator, not a plan" in capsys.readouterr().err
    assert _tree(gen) == before


def test_a_parent_of_an_input_is_never_replaced(tmp_path, capsys):
    work = tmp_path / "work"
    inst = Path(shutil.copytree(TINY, work / "instances" / "tiny"))
    before = _tree(work)
    for target in (work, work / "instances"):
        assert main(["solve", str(inst), "-q", "-o", str(target), "--force"]) == 2
        assert "a parent of the input" in capsys.readouterr().err
    assert _tree(work) == before


def test_inputs_of_other_commands_are_protected(tmp_path, capsys):
    plan = tmp_path / "plan"
    assert _solve("-o", plan) == 0
    before = _tree(plan)
    assert main(["report", str(TINY), str(plan), "-q", "-o", str(plan), "--force"]) == 2
    assert "is an input" in capsys.readouterr().err
    assert main(["diff", str(plan), str(plan), "--instance", str(TINY), "-o", str(plan)]) == 2
    assert "is an input" in capsys.readouterr().err
    assert _tree(plan) == before


def test_output_that_is_a_file_or_under_a_file(tmp_path, capsys):
    note = tmp_path / "note.txt"
    note.write_text("mine")
    assert _solve("-o", note) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert _solve("-o", note / "plan") == 2
    assert "it is a file" in capsys.readouterr().err
    assert note.read_text() == "mine"


def test_read_only_output_parent_exits_2_with_a_fix(tmp_path, monkeypatch, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.geteuid() == 0:  # root ignores permissions: fail the way the kernel would for anyone else
        def denied(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(locked))
        monkeypatch.setattr(tempfile, "mkdtemp", denied)
    try:
        assert _solve("-o", locked / "plan") == 2
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err
    assert "cannot write the output" in err and "Permission denied" in err
    assert "fix: choose a folder you can write to" in err and "Traceback" not in err


def test_rules_at_the_library_level(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="current directory"):
        check_output_dir(".", kind="plan", force=True)
    with pytest.raises(InputError, match="home directory"):
        check_output_dir(Path.home(), kind="plan", force=True)
    (tmp_path / "empty").mkdir()
    assert check_output_dir("empty", kind="plan") == Path("empty")  # nothing to lose
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(InputError, match="symbolic link"):
        check_output_dir("link", kind="plan", force=True)
    with output_policy(inputs=["src/data.csv"]):
        with pytest.raises(InputError, match="parent of the input"):
            check_output_dir("src", kind="plan", force=True)
    with atomic_output_dir("out", kind="plan") as tmp:
        (tmp / "a.csv").write_text("1")
    with pytest.raises(FileExistsError):
        with atomic_output_dir("out", kind="plan", overwrite=False):
            pass
    with pytest.raises(InputError, match="holds a plan written by allocator, not a report"):
        with atomic_output_dir("out", kind="report"):
            pass
    assert sorted(os.listdir("out")) == [MARKER, "a.csv"]


def test_preserved_files_are_carried_over(tmp_path):
    out = tmp_path / "bench"
    with atomic_output_dir(out, kind="bench results", preserve=("README.md",)) as tmp:
        (tmp / "results.jsonl").write_text("{}\n")
    (out / "README.md").write_text("what these results mean")
    with atomic_output_dir(out, kind="bench results", preserve=("README.md",)) as tmp:
        (tmp / "results.jsonl").write_text('{"run": 2}\n')
    assert (out / "README.md").read_text() == "what these results mean"
    assert (out / "results.jsonl").read_text() == '{"run": 2}\n'
    assert "README.md" in read_marker(out)["files"]


def test_a_single_file_output_is_replaced_only_if_it_holds_the_same_table(tmp_path, capsys):
    plan = tmp_path / "plan"
    assert _solve("-o", plan) == 0
    mine = tmp_path / "changes.csv"
    mine.write_text("my,own\n1,2\n")
    diff = ["diff", str(plan), str(plan), "--instance", str(TINY), "-q"]
    assert main([*diff, "-o", str(mine)]) == 2
    assert "does not hold what this command writes" in capsys.readouterr().err
    assert mine.read_text() == "my,own\n1,2\n"
    fresh = tmp_path / "fresh.csv"
    assert main([*diff, "-o", str(fresh)]) == 0 and main([*diff, "-o", str(fresh)]) == 0  # ours: replaced
    assert main([*diff, "-o", str(mine), "--force"]) == 0
    assert mine.read_text().startswith("village_id,")
    (tmp_path / "folder").mkdir()
    assert main([*diff, "-o", str(tmp_path / "folder")]) == 2
    assert "is a folder; this output is a single file" in capsys.readouterr().err
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- kill -9 at every stage
WRITER = """
import sys
from allocator.io.atomic import atomic_output_dir
target, tag = sys.argv[1], sys.argv[2]
with atomic_output_dir(target, kind="plan") as tmp:
    for i in range({parts}):
        (tmp / f"part{{i}}.txt").write_text(tag)
""".format(parts=PARTS)


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (PAUSE_ENV, NO_EXCHANGE_ENV)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return {**env, **extra}


def _write(target: Path, tag: str) -> None:
    """What WRITER does, in this process (only the run to be killed needs a process of its own)."""
    with atomic_output_dir(target, kind="plan") as tmp:
        for i in range(PARTS):
            (tmp / f"part{i}.txt").write_text(tag)


def _kill_at(stage: str, argv: list[str], tmp_path: Path, **env) -> None:
    """Start ``argv``, wait until it reports reaching ``stage`` (the test hook), kill -9 it."""
    flag = tmp_path / f"reached-{stage}"
    proc = subprocess.Popen(argv, env=_env(**{PAUSE_ENV: f"{stage}:{flag}"}, **env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not flag.exists():
        if proc.poll() is not None:
            raise AssertionError(f"ended before {stage}: {proc.stderr.read().decode()}")
        assert time.monotonic() < deadline, f"never reached {stage}"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    flag.unlink()


def _complete(target: Path) -> str:
    """The tag of the complete folder at ``target`` (every part, one tag, listed in the marker)."""
    tags = {(target / f"part{i}.txt").read_text() for i in range(PARTS)}
    assert len(tags) == 1
    assert read_marker(target)["files"] == sorted(f"part{i}.txt" for i in range(PARTS))
    return tags.pop()


@pytest.mark.parametrize("stage, exchange, survivor", [
    ("started", True, "old"), ("written", True, "old"), ("locked", True, "old"), ("swapped", True, "new"),
    ("locked", False, "old"), ("aside", False, "old"), ("swapped", False, "new"),
])
def test_kill_minus_9_leaves_a_complete_folder_and_the_next_run_cleans_up(tmp_path, monkeypatch, stage, exchange,
                                                                          survivor):
    target = tmp_path / "plan"
    env = {} if exchange else {NO_EXCHANGE_ENV: "1"}
    monkeypatch.setattr(atomic, "_exchange_works", [exchange])
    _write(target, "old")
    _kill_at(stage, [sys.executable, "-c", WRITER, str(target), "new"], tmp_path, **env)
    assert _leftovers(tmp_path), "a killed writer leaves its temporary folder"
    if stage == "aside":  # the old folder was set aside; the next writer puts it back first
        assert not target.exists()
        assert len(clean_leftovers(target)) == 2
    assert _complete(target) == survivor
    _write(target, "third")
    assert _complete(target) == "third"
    assert _leftovers(tmp_path) == []


def test_kill_minus_9_during_allocator_solve_keeps_the_earlier_plan(tmp_path):
    plan = tmp_path / "plan"
    assert _solve("-o", plan) == 0
    before = _tree(plan)
    _kill_at("locked", [sys.executable, "-m", "allocator", "solve", str(TINY), "-q", "-o", str(plan),
                        "--budget", "100"], tmp_path)
    assert _tree(plan) == before
    instance = load_instance(TINY)
    assert verify(instance, read_plan(plan, instance).decision).ok
    assert _solve("-o", plan, "--budget", "100") == 0
    assert json.loads((plan / "summary.json").read_text())["budget"] == 100
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- concurrent writers
def _racer(target: str, tag: str, barrier) -> None:
    with atomic_output_dir(target, kind="plan") as tmp:
        for i in range(PARTS):
            (tmp / f"part{i}.txt").write_text(tag)
        barrier.wait(timeout=120)  # all eight folders are complete before any is swapped in


def _plan_writer(plan, target: str, barrier) -> None:
    barrier.wait(timeout=120)
    write_plan(plan, target)


def _run_all(target, func, *args) -> list[int]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(8)
    procs = [ctx.Process(target=func, args=(*(a(i) if callable(a) else a for a in args), barrier))
             for i in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    return [p.exitcode for p in procs]


def test_eight_concurrent_writers_all_succeed_and_leave_one_complete_folder(tmp_path):
    target = tmp_path / "plan"
    assert _run_all(str(target), _racer, str(target), lambda i: f"writer-{i}") == [0] * 8
    assert _complete(target).startswith("writer-")
    assert sorted(os.listdir(tmp_path)) == ["plan"]


def test_eight_concurrent_plan_writes_to_one_folder(tmp_path, tiny_plan):
    instance, plan = tiny_plan
    target = tmp_path / "plan"
    write_plan(plan, target)  # an earlier plan, replaced eight times at once
    assert _run_all(str(target), _plan_writer, plan, str(target)) == [0] * 8
    assert verify(instance, read_plan(target, instance).decision).ok
    assert sorted(os.listdir(tmp_path)) == ["plan"]
