"""A font for Chinese names in the charts, chosen once from what matplotlib can find.

Naming a family that is not installed makes matplotlib log a ``findfont: ... not
found`` line for every text it draws, hundreds per report. So the family list names
only fonts that are present: the first CJK font of :data:`CJK_CANDIDATES` found, then
DejaVu Sans (matplotlib's own). Without a CJK font the charts still work, quietly:
SVG charts keep their text as text (``svg.fonttype = none``), so the browser draws
the Chinese names with its own fonts; only the layout is measured with DejaVu Sans,
whose missing-glyph warnings are silenced. Debian/Ubuntu: ``apt install fonts-noto-cjk``.
"""
from __future__ import annotations

import functools
import warnings
from contextlib import contextmanager

#: CJK sans-serif families, in order of preference (Linux, then Windows and macOS names)
CJK_CANDIDATES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
                  "WenQuanYi Micro Hei", "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC",
                  "Heiti SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Serif CJK SC", "AR PL UMing CN")
FALLBACK = "DejaVu Sans"


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed family of :data:`CJK_CANDIDATES` (None: none is)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_CANDIDATES if name in installed), None)


def font_family() -> list[str]:
    """``font.family`` for charts: only installed families, so matplotlib never logs findfont."""
    cjk = cjk_font()
    return [cjk, FALLBACK] if cjk else [FALLBACK]


@contextmanager
def quiet_missing_glyphs():
    """Drawing Chinese text with a font that lacks it warns once per glyph: silence that."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        yield
