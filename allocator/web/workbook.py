"""The plan's Excel workbook in Chinese, for the page's download in Chinese.

``allocator report`` writes the workbook in English (the CLI's language). The Chinese copy is
the same workbook (same cells, numbers and formats) with its sheet names, titles, notes, column
headers and the summary's item names put in Chinese from the glossary of allocator/reports/chinese.py; a text it
lacks stays as written. Made once per run, kept in the server's cache folder.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from ..reports.chinese import SHEETS, VALUE_WORDS, WORDS, title_zh as _text, word_zh as _word

_lock = threading.Lock()


def chinese_workbook(source: Path, target: Path) -> Path:
    """``target``: ``source`` with its sheet names, titles, notes and headers in Chinese (made once)."""
    from openpyxl import load_workbook

    with _lock:
        if target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
            return target
        wb = load_workbook(source)
        for ws in wb.worksheets:
            key = ws.title
            header = None
            for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 6)):
                first = row[0]
                if isinstance(first.value, str) and len(row) > 1 and all(
                        isinstance(c.value, str) for c in row if c.value is not None) and \
                        sum(c.value is not None for c in row) >= 2:
                    header = first.row  # the first row with two or more text cells: the column headers
                    break
            for row in ws.iter_rows(min_row=1, max_row=(header or 2) - 1):
                for c in row:
                    if isinstance(c.value, str):
                        c.value = _text(c.value)
            if header is not None:
                for c in ws[header]:
                    c.value = _word(c.value)
                if key == "Summary":  # item names and word values
                    for row in ws.iter_rows(min_row=header + 1):
                        for c in row:
                            c.value = _word(c.value)
                else:
                    for row in ws.iter_rows(min_row=header + 1):
                        for c in row:
                            if isinstance(c.value, str) and c.value in VALUE_WORDS:
                                c.value = WORDS.get(c.value) or _text(c.value)
            if key in SHEETS:
                ws.title = SHEETS[key]
            ws.oddHeader.center.text = _text(ws.oddHeader.center.text or "")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        wb.save(tmp)
        os.replace(tmp, target)
        return target
