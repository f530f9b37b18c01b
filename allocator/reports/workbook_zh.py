"""The report's Excel workbook in Chinese: `allocator report --lang zh` and the workspace's download.

The workbook is written in English (allocator/reports/excel.py); the Chinese copy is the same
workbook (same cells, numbers and formats) with its sheet names, titles, notes, column headers, the
summary's item names and word values put in Chinese from the glossary of allocator/reports/chinese.py,
and the technologies by the cost model's Chinese names (``tech_words``: technology -> name). A text
the glossary lacks stays as written; names (counties, villages, groups) are data and stay.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from .chinese import SHEETS, header_zh, title_zh, value_zh, word_zh


def header_row(ws) -> int | None:
    """The first row (of the first six) with two or more cells, all text: the column headers."""
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 6)):
        first = row[0]
        if isinstance(first.value, str) and len(row) > 1 and all(
                isinstance(c.value, str) for c in row if c.value is not None) and \
                sum(c.value is not None for c in row) >= 2:
            return first.row
    return None


def translate_workbook(source: Path, target: Path, tech_words: dict | None = None, summary=None) -> Path:
    """Write ``source`` to ``target`` (may be the same file; replaced whole) in Chinese; ``summary``
    (:func:`allocator.reports.chinese.summary_zh`, when the plan is at hand): the summary sheet's rows
    written from it, amounts in 万元/亿元 and every value in Chinese, instead of word by word."""
    from openpyxl import load_workbook

    wb = load_workbook(source)
    for ws in wb.worksheets:
        key = ws.title
        header = header_row(ws)
        for row in ws.iter_rows(min_row=1, max_row=(header or 2) - 1):
            for c in row:
                if isinstance(c.value, str):
                    c.value = title_zh(c.value)
        if header is not None:
            for c in ws[header]:
                c.value = header_zh(c.value, tech_words)
            if key == "Summary" and summary is not None:
                write_rows(ws, header, summary.frame)
            else:
                for row in ws.iter_rows(min_row=header + 1):
                    for c in row:
                        if key == "Summary":  # item names and word values
                            c.value = value_zh(word_zh(c.value), tech_words)
                        else:
                            c.value = value_zh(c.value, tech_words)
        if key in SHEETS:
            ws.title = SHEETS[key]
        ws.oddHeader.center.text = title_zh(ws.oddHeader.center.text or "")
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    wb.save(tmp)
    os.replace(tmp, target)
    return target


def write_rows(ws, header: int, frame) -> None:
    """``frame``'s rows in place of the rows below ``header`` (the cells keep their style)."""
    for row in ws.iter_rows(min_row=header + 1):
        for c in row:
            c.value = None
    for i, values in enumerate(frame.itertuples(index=False), start=header + 1):
        for j, value in enumerate(values, start=1):
            ws.cell(row=i, column=j, value=value)
