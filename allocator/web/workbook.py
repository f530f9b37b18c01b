"""The plan's Excel workbook in Chinese, for the page's download in Chinese.

The translation is allocator.reports.workbook_zh's (the same `allocator report --lang zh` writes);
here it is made once per run and kept in the server's cache folder, one request at a time.
"""
from __future__ import annotations

import threading
from pathlib import Path

from ..reports.workbook_zh import translate_workbook

_lock = threading.Lock()


def chinese_workbook(source: Path, target: Path, tech_words: dict | None = None) -> Path:
    """``target``: ``source`` with its sheet names, titles, notes and headers in Chinese (made once)."""
    with _lock:
        if target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
            return target
        return translate_workbook(source, target, tech_words)
