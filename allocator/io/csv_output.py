"""A table written as one CSV file, atomically and only over a file of the same table."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .atomic import atomic_output_file


def write_csv(table: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``table`` to ``path`` (UTF-8, ``\\n`` line ends) all at once. An existing file is
    replaced only if it is empty or starts with the same header line (a table this command
    wrote before), or under ``--force`` (allocator.io.atomic.output_policy)."""
    buffer = io.StringIO()
    table.to_csv(buffer, index=index, lineterminator="\n")
    text = buffer.getvalue()
    with atomic_output_file(path, header=text.partition("\n")[0]) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
