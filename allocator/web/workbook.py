"""The plan's Excel workbook in Chinese, for the page's download in Chinese.

The translation is allocator.reports.workbook_zh's, the same `allocator report --lang zh` writes
(technologies by the cost model's Chinese names, the summary from the plan in 万元/亿元); here it is
made once per run and kept in the server's cache folder, one request at a time.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ..reports.chinese import summary_zh, technology_zh
from ..reports.workbook_zh import translate_workbook

_lock = threading.Lock()


def chinese_workbook(source: Path, target: Path, run: Callable[[], tuple]) -> Path:
    """``target``: ``source`` in Chinese (made once); ``run()`` gives the run's (instance, plan) when needed."""
    with _lock:
        if target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
            return target
        instance, plan = run()
        return translate_workbook(source, target, technology_zh(instance), summary=summary_zh(instance, plan))
