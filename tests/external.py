"""The published instances with proven optima (SteinLib, OR-Library) live outside the
repository, in ``<repo>/../shared/external`` (or $ALLOCATOR_EXTERNAL): a clone has none.
Tests that need them carry ``@pytest.mark.external`` or call :func:`require_external`:
in a clone they skip with one reason, counted once at the end of the run (conftest.py);
under CI (CI set), where the folder exists, a missing folder fails them instead of
skipping them silently."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXTERNAL = Path(os.environ["ALLOCATOR_EXTERNAL"]) if os.environ.get("ALLOCATOR_EXTERNAL") \
    else REPO.parent / "shared" / "external"
MANIFEST = EXTERNAL / "MANIFEST.csv"
SKIP_REASON = "published instances (../shared/external) absent"


def has_external() -> bool:
    return MANIFEST.is_file()


def require_external() -> None:
    """Skip the calling test in a clone without the published instances; fail it under CI."""
    if has_external():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the published-instance tests, but {MANIFEST} is missing")
    pytest.skip(f"{SKIP_REASON}: {MANIFEST} not found")
