"""Exit codes and tracebacks (issue 9): every command answers a bad input or option with exit 2,
the file and a fix, never a traceback or exit 1; options are the same across commands; an
unexpected exception is exit 1 with one line asking for a report (traceback only with --debug)."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from allocator.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "instances" / "tiny-trench"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Bad inputs of every kind, made once."""
    d = tmp_path_factory.mktemp("bad")
    (d / "a-file.txt").write_text("not a folder\n")
    inst = Path(shutil.copytree(TINY, d / "folder-for-file"))
    (inst / "villages.csv").unlink()
    (inst / "villages.csv").mkdir()
    (d / "scenario-folder.toml").mkdir()
    (d / "empty.toml").write_text("# nothing but a comment\n\n")
    (d / "utf16.toml").write_text('name = "u"\nbudget = 100\n', encoding="utf-16")
    (d / "latin1.toml").write_bytes('name = "l"\ndescription = "Müll"\n'.encode("latin-1"))
    (d / "bom.toml").write_text('name = "bom"\nbudget = 100\n', encoding="utf-8-sig")
    (d / "one.toml").write_text('name = "one"\nbudget = 100\n')
    assert main(["solve", str(TINY), "-q", "-o", str(d / "plan")]) == 0
    plan = Path(shutil.copytree(d / "plan", d / "plan-with-folder", ignore=shutil.ignore_patterns(".allocator*")))
    (plan / "villages.csv").unlink()
    (plan / "villages.csv").mkdir()
    return d


def _cases(d: Path) -> list[tuple[list[str], str]]:
    """(argv, a phrase stderr must hold): each must exit 2."""
    t, f = str(TINY), str(d / "a-file.txt")
    return [
        (["solve", str(d / "folder-for-file"), "-q"], "villages.csv: is a folder where a file is expected"),
        (["solve", f, "-q"], "instance directory not found"),
        (["solve", t, "--seed", "-1"], "--seed: must be between 0 and 2147483647, got -1"),
        (["solve", t, "--seed", str(2**31)], "--seed: must be between 0"),
        (["solve", t, "--threads", "0"], "--threads: must be 1 or more"),
        (["solve", t, "--time-limit", "-5"], "time limit must be a positive number"),
        (["solve", t, "-q", "-o", f], "is a file, not a folder"),
        (["verify", t, str(d / "plan-with-folder")], "villages.csv: is a folder where a file is expected"),
        (["verify", t, str(d / "nowhere")], "plan directory not found"),
        (["check", f], "instance directory not found"),
        (["describe", str(d / "nowhere")], "instance directory not found"),
        (["generate", "tiny", "--seed", "-1", "-o", str(d / "g")], "--seed: must be between 0"),
        (["generate", "nowhere", "-q", "-o", str(d / "g")], "unknown preset"),
        (["generate", "tiny", "-q", "-o", f], "is a file, not a folder"),
        (["import", "stp", str(d), "-o", str(d / "i")], "is a directory, not a file"),
        (["import", "scp", str(d / "missing.txt"), "-o", str(d / "i")], "file not found"),
        (["whatif", t, str(d / "scenario-folder.toml"), "-o", str(d / "w")], "is a folder where a file is expected"),
        (["whatif", t, str(d / "empty.toml"), "-o", str(d / "w")], "the scenario file is empty"),
        (["whatif", t, str(d / "utf16.toml"), "-o", str(d / "w")], "saved as UTF-16"),
        (["whatif", t, str(d / "latin1.toml"), "-o", str(d / "w")], "not UTF-8"),
        (["whatif", t, str(d / "missing.toml"), "-o", str(d / "w")], "scenario file not found"),
        (["whatif", t, str(d / "one.toml"), "--jobs", "0", "-o", str(d / "w")], "--jobs: must be 1 or more"),
        (["whatif", t, str(d / "one.toml"), "-o", f], "is a file, not a folder"),
        (["diff", str(d / "nowhere"), str(d / "plan"), "--instance", t], "plan directory not found"),
        (["diff", str(d / "plan"), str(d / "plan"), "--instance", t, "--limit", "-1"], "--limit: must be 0 or more"),
        (["frontier", t, "--from", "1", "--to", "2", "--points", "0"], "--points: must be 1 or more"),
        (["frontier", t, "--from", "1", "--to", "2", "--jobs", "0"], "--jobs: must be 1 or more"),
        (["prices", t, "--jobs", "0"], "--jobs: must be 1 or more"),
        (["prices", t, "-o", str(d)], "is a folder; this output is a single file"),
        (["report", t, str(d / "nowhere"), "-o", str(d / "r")], "plan directory not found"),
        (["report", t, str(d / "plan"), "-o", str(d / "r"), "--frontier", f], "no frontier.csv here"),
        (["rollout", t, "--threads", "0"], "--threads: must be 1 or more"),
        (["rollout", t, "--check", str(d / "nowhere")], "summary.json: file is missing"),
        (["rollout", t, "--seed", "-1"], "--seed: must be between 0"),
        (["import", "osm", str(d / "missing.osm.pbf"), "-o", str(d / "i")], "file not found"),
        (["export", t, str(d / "nowhere"), "-o", str(d / "x.gpkg")], "plan directory not found"),
        (["export", t, str(d / "plan"), "-o", f], "does not hold what this command writes"),
        (["export", t, str(d / "plan"), "-o", str(d / "plan"), "--format", "geojson"], "is an input"),
        (["serve", "--workers", "0"], "--workers: must be 1 or more"),
        (["bench", "--threads", "0"], "--threads: must be 1 or more"),
        (["bench", "--suite", "smoke", "-o", f], "is a file, not a folder"),
    ]


def _run_in_process(argv, capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse
        code = stop.code
    return code, capsys.readouterr().err


def test_every_bad_input_exits_2_with_the_file_and_no_traceback(files, capsys):
    seen = set()
    for argv, phrase in _cases(files):
        code, err = _run_in_process(argv, capsys)
        assert (code, "Traceback" in err) == (2, False), (argv, code, err)
        assert phrase in err, (argv, err)
        seen.add(argv[0])
    commands = {_name(p) for p in _subcommands()}
    assert commands <= seen, f"commands without a bad-input case: {commands - seen}"


def test_every_command_with_a_bad_input_in_a_real_process(files):
    """As a user runs it (python -m allocator): an option error, an error of the engine's family,
    an operating-system error and an output refusal; each exit 2 with the phrase, no traceback.
    (Every command's cases run in-process above: a process costs seconds of imports.)"""
    wanted = {"solve": "is a folder where a file is expected", "whatif": "saved as UTF-16",
              "bench": "is a file, not a folder", "generate": "--seed: must be between 0"}
    by_command = {argv[0]: (argv, phrase) for argv, phrase in _cases(files) if wanted.get(argv[0], "?") in phrase}
    assert len(by_command) == len(wanted)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("ALLOCATOR_DEBUG", None)

    def run(case):
        argv, phrase = case
        done = subprocess.run([sys.executable, "-m", "allocator", *argv], capture_output=True, text=True,
                              encoding="utf-8", env=env, timeout=600)
        return argv, phrase, done

    with ThreadPoolExecutor(max_workers=2) as pool:
        for argv, phrase, done in pool.map(run, by_command.values()):
            assert done.returncode == 2, (argv, done.stderr)
            assert phrase in done.stderr and "Traceback" not in done.stderr, (argv, done.stderr)


def test_unreadable_file_exits_2(tmp_path, monkeypatch, capsys):
    inst = Path(shutil.copytree(TINY, tmp_path / "inst"))
    villages = inst / "villages.csv"
    villages.chmod(0)
    if os.geteuid() == 0:  # root reads anything: fail the read the way the kernel would for anyone else
        read_bytes = Path.read_bytes

        def denied(self):
            if self.name == "villages.csv":
                raise PermissionError(13, "Permission denied", str(self))
            return read_bytes(self)
        monkeypatch.setattr(Path, "read_bytes", denied)
    try:
        code, err = _run_in_process(["check", str(inst)], capsys)
    finally:
        villages.chmod(0o644)
    assert code == 2 and "villages.csv: permission denied" in err and "fix: make it readable" in err
    assert "Traceback" not in err


def test_scenario_with_a_byte_order_mark_is_accepted_and_one_scenario_without_base_works(files, tmp_path, capsys):
    """A UTF-8 BOM (Windows Notepad) is read as UTF-8; `whatif` with one scenario and --no-base
    (a pandas ValueError before) prints its one-column table."""
    out = tmp_path / "w"
    assert main(["whatif", str(TINY), str(files / "bom.toml"), "--no-base", "-q", "-o", str(out)]) == 0
    std = capsys.readouterr()
    assert "bom" in std.out and "budget = 100" in std.out and std.err == ""
    assert sorted(p.name for p in out.iterdir()) == [".allocator-output", "bom", "comparison.csv", "comparison.md"]


def test_population_of_1e308_is_an_input_error_not_a_solver_failure(tmp_path, capsys):
    inst = Path(shutil.copytree(TINY, tmp_path / "inst"))
    lines = (inst / "villages.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("population")] = "1e308"
    lines[1] = ",".join(cells)
    (inst / "villages.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, err = _run_in_process(["solve", str(inst), "-q", "--objective", "max-coverage", "--budget", "60"], capsys)
    assert code == 2, err
    assert "villages.csv" in err and "population" in err and "Traceback" not in err


# --------------------------------------------------------------------------- the internal-error net
def _boom(args):
    raise RuntimeError("something the code did not expect")


@pytest.fixture
def broken_check(monkeypatch):
    import allocator.cli.check as check

    monkeypatch.setattr(check, "run", _boom)
    monkeypatch.delenv("ALLOCATOR_DEBUG", raising=False)


def test_an_unexpected_exception_is_one_line_and_exit_1(broken_check, capsys):
    code, err = _run_in_process(["check", str(TINY)], capsys)
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [
        "allocator check: internal error (RuntimeError: something the code did not expect); this is a bug, "
        "please report it with the output of the same command run with --debug"]


@pytest.mark.parametrize("how", ["--debug before", "--debug after", "ALLOCATOR_DEBUG=1"])
def test_debug_shows_the_traceback(broken_check, monkeypatch, capsys, how):
    argv = ["check", str(TINY)]
    if how == "--debug before":
        argv = ["--debug", *argv]
    elif how == "--debug after":
        argv = [*argv, "--debug"]
    else:
        monkeypatch.setenv("ALLOCATOR_DEBUG", "1")
    code, err = _run_in_process(argv, capsys)
    assert code == 1 and "Traceback (most recent call last)" in err and "RuntimeError" in err


# --------------------------------------------------------------------------- the same options everywhere
def _subcommands() -> list[argparse.ArgumentParser]:
    """Every command's parser (import's options live on each format: stp, scp)."""
    def subparsers(parser):
        return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]

    out = []
    for name, sub in subparsers(build_parser())[0].choices.items():
        out += list(subparsers(sub)[0].choices.values()) if name == "import" else [sub]
    return out


def _name(parser) -> str:
    return parser.prog.split()[1]


def _options(parser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings}


def test_every_command_has_the_common_options():
    for sub in _subcommands():
        opts = _options(sub)
        assert {"-q", "--quiet", "--debug"} <= opts, (sub.prog, opts)
        if "-o" in opts:
            assert {"--output", "--force"} <= opts, sub.prog
    writers = {_name(sub) for sub in _subcommands() if "-o" in _options(sub)}
    assert writers == {"solve", "generate", "import", "whatif", "diff", "frontier", "prices", "report", "rollout",
                       "bench", "export"}
    seeded = {_name(sub) for sub in _subcommands() if "--seed" in _options(sub)}
    assert seeded == {"solve", "generate", "whatif", "frontier", "prices", "rollout"}


def test_generate_accepts_quiet(tmp_path, capsys):
    assert main(["generate", "tiny", "-q", "-o", str(tmp_path / "g")]) == 0
    assert capsys.readouterr().out == ""
