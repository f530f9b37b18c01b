"""benchmarks/cluster_overhead.py: the memory sampler counts a page shared by forked processes
once (PSS), where the sum of RSS counts it in every process."""
from __future__ import annotations

import subprocess
import sys

import pytest

psutil = pytest.importorskip("psutil")

from benchmarks.cluster_overhead import MemorySampler  # noqa: E402

# a parent fills 200 MB, forks two children that only read it, then all three wait
SCRIPT = """
import os, time
data = bytearray(200 * 2**20)
for i in range(0, len(data), 4096):
    data[i] = 1
kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    kids.append(pid)
print("ready", flush=True)
for pid in kids:
    os.waitpid(pid, 0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PSS needs Linux")
def test_shared_pages_count_once_in_the_pss_sum():
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    sampler = MemorySampler([proc.pid])
    assert proc.stdout.readline().strip() == "ready"
    sampler.sample()
    proc.wait()
    peak = sampler.peak
    mb = 2**20
    assert peak["processes"] == 3
    assert peak["rss_sum"] >= 550 * mb          # 200 MB seen by each of the three processes
    assert 190 * mb <= peak["pss_sum"] <= 320 * mb   # counted once (plus three interpreters)
