"""Files served gzip-compressed, compressed once and kept.

The maps are the big responses (a province's canvas map is about 1.5 MB, the national one about
19 MB of HTML with the villages inline); they never change once written, so each is compressed
once, into the server's cache folder (never beside the file: a job's folder is the job's own),
and served with ``Content-Encoding: gzip`` to a browser that accepts it. The small JSON, script
and style responses are compressed on the fly (Starlette's GZipMiddleware, see app.py).
"""
from __future__ import annotations

import gzip
import os
import shutil
import threading
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse

LEVEL = 6  # zlib's default: about 90% of level 9's gain for a third of its time on the national map
_lock = threading.Lock()


def gzipped(source: Path, target: Path) -> Path:
    """``target``: ``source`` gzip-compressed, (re)made when missing or older than ``source``."""
    with _lock:
        if target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
            return target
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        with source.open("rb") as src, gzip.GzipFile(tmp, "wb", compresslevel=LEVEL, mtime=0) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, target)
        return target


def accepts_gzip(request: Request) -> bool:
    return "gzip" in (request.headers.get("accept-encoding") or "").lower()


def file_response(request: Request, source: Path, compressed: Path, *, media_type: str) -> FileResponse:
    """``source`` as it is, or its compressed copy ``compressed`` when the browser takes gzip."""
    if not accepts_gzip(request):
        return FileResponse(source, media_type=media_type, headers={"Vary": "Accept-Encoding"})
    return FileResponse(gzipped(source, compressed), media_type=media_type,
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
