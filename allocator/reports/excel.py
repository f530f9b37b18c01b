"""The report as an Excel workbook: one sheet per table, formatted for printing.

Uses openpyxl (MIT, pure Python, the standard reader/writer of .xlsx): the
format is a zip of XML parts with styles, print settings and number formats
that no hand-written writer should reproduce; openpyxl also reads the file
back, which the tests use.

Each sheet: a title row, the table with a bold shaded header repeated on
every printed page, frozen below the header, an autofilter, thousands
separators and percentages as number formats (the cells stay numbers),
landscape A4 fitted to the page width, and a footer with the sheet name and
page numbers.
"""
from __future__ import annotations

import math
from pathlib import Path

from .tables import ReportTable

NUMBER_FORMATS = {"money": "#,##0", "share": "0.0%", "int": "#,##0", "float": "#,##0.00", "pp": "+0.0;-0.0;0.0"}
_BAD_SHEET_CHARS = set('[]:*?/\\')


def _sheet_name(name: str, used: set) -> str:
    clean = "".join("_" if c in _BAD_SHEET_CHARS else c for c in name)[:31] or "Sheet"
    base, i = clean, 2
    while clean in used:
        clean = f"{base[:28]}~{i}"
        i += 1
    used.add(clean)
    return clean


def _cell_value(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    return value


def write_workbook(tables: list[ReportTable], path: str | Path, *, title: str = "", subtitle: str = "") -> Path:
    """Write ``tables`` to ``path`` (.xlsx), one sheet each, in order."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set = set()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="305496")
    thin = Side(style="thin", color="B4B4B4")
    border = Border(bottom=thin)
    for table in tables:
        ws = wb.create_sheet(_sheet_name(table.key, used))
        ws["A1"] = table.title
        ws["A1"].font = Font(bold=True, size=13)
        first = 2
        if table.note:
            ws["A2"] = table.note
            ws["A2"].font = Font(italic=True, size=9, color="555555")
            first = 3
        header_row = first + 1
        columns = list(table.frame.columns)
        for j, col in enumerate(columns, start=1):
            c = ws.cell(row=header_row, column=j, value=str(col))
            c.font, c.fill = header_font, header_fill
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths = [max(len(str(col)) + 3, 8) for col in columns]  # bold header text needs the margin
        for i, row in enumerate(table.frame.itertuples(index=False), start=header_row + 1):
            for j, value in enumerate(row, start=1):
                col = columns[j - 1]
                fmt = table.formats.get(col, "text")
                c = ws.cell(row=i, column=j, value=_cell_value(value))
                if fmt in NUMBER_FORMATS:
                    c.number_format = NUMBER_FORMATS[fmt]
                    c.alignment = Alignment(horizontal="right")
                c.border = border
                shown = len(f"{value:,.0f}") if fmt in ("money", "int") and isinstance(c.value, (int, float)) \
                    else len(str(c.value)) if c.value is not None else 0
                # CJK characters print about twice as wide as Latin ones
                shown += sum(1 for ch in str(c.value or "") if ord(ch) > 0x2E80) if fmt == "text" else 0
                widths[j - 1] = max(widths[j - 1], min(shown + 2, 60))
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        if table.frame.empty:
            ws.cell(row=header_row + 1, column=1, value="None.").font = Font(italic=True)
        last_row = header_row + max(len(table.frame), 0)
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        if len(table.frame) and len(columns):
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last_row}"
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.oddHeader.center.text = (title or "allocator report")[:200]
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.right.text = "page &P of &N"
        if subtitle:
            ws.oddHeader.right.text = subtitle[:100]
    path = Path(path)
    wb.save(path)
    return path
