"""The package stands alone: a wheel built from the repository, installed into a fresh
virtual environment (not editable), generates and solves an instance from a folder outside
the repository. This catches data the code needs but the wheel does not carry (the shipped
cost and policy models) and any path that reaches back into the clone.

No network: the wheel is built without build isolation (setuptools from this environment)
and installed with --no-deps; the new environment sees this one's dependencies through a
.pth line, but not its copy of allocator (editable installs are hooks, which a .pth path
line does not run).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin directory, clean environment) of a venv holding the wheel of this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    wheels = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", str(wheels), str(REPO)], cwd=root)
    wheel = next(wheels.glob("allocator-*.whl"))
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=False, system_site_packages=False)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    # pip >= 22.3 installs into another interpreter's environment with --python (without PYTHONPATH:
    # pip would take a checkout on it for allocator already installed)
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q",
          str(wheel)], env=env)
    # then this environment's dependencies, appended after the new venv's own site-packages (only
    # now: pip would take this environment's allocator for the wheel already installed)
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "outer-deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    env["PATH"] = str(bindir) + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    return bindir, env, site


@pytest.mark.slow
def test_wheel_install_generates_and_solves_outside_the_repository(installed, tmp_path):
    bindir, env, site = installed
    where = _run([str(bindir / "python"), "-c", "import allocator; print(allocator.__file__)"],
                 cwd=tmp_path, env=env).stdout.strip()
    assert Path(where).resolve().is_relative_to(site.resolve()), f"imported {where}, not the wheel"
    exe = str(bindir / "allocator")
    _run([exe, "generate", "tiny", "--seed", "1", "-o", "inst"], cwd=tmp_path, env=env)
    toml = (tmp_path / "inst" / "instance.toml").read_text(encoding="utf-8")
    assert 'cost_model = "models/costs/china-2018.toml"' in toml  # found inside the package, not the clone
    _run([exe, "solve", "inst", "-o", "plan", "-q"], cwd=tmp_path, env=env)
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal"
    assert summary["verified"] is True
