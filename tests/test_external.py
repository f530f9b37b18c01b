"""Tests that need the published instances (../shared/external) say once why they skip in a
clone, and fail under CI, where the folder must be present."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ONE = "tests/test_importers.py::test_manifest_lists_every_file_of_both_kinds"


def _pytest(tmp_path, ci: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["ALLOCATOR_EXTERNAL"] = str(tmp_path / "absent")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)


def test_a_clone_says_once_why_published_instance_tests_skip(tmp_path):
    proc = _pytest(tmp_path, ci=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 skipped" in proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if "tests use ../shared/external" in ln)
    assert line.startswith("1 tests use ../shared/external (published instances), absent here")
    assert "skipped; CI has it" in line


def test_ci_without_the_published_instances_fails_instead_of_skipping(tmp_path):
    proc = _pytest(tmp_path, ci=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CI runs the published-instance tests" in proc.stdout
