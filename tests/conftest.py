"""Test-wide settings: hypothesis is derandomized under CI so a run is repeatable,
and does not shrink (on a loaded 2-core machine shrinking a solver test can take
many minutes); print_blob gives the failing example to reproduce it."""
import os

from hypothesis import Phase, settings

try:  # tests/ as a plain directory or as a package
    from external import EXTERNAL, SKIP_REASON, has_external, require_external
except ImportError:
    from tests.external import EXTERNAL, SKIP_REASON, has_external, require_external

PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, phases=PHASES)
settings.register_profile("dev", deadline=None, print_blob=True, phases=PHASES)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_runtest_setup(item):
    if item.get_closest_marker("external"):
        require_external()


def pytest_terminal_summary(terminalreporter):
    """One line saying why the published-instance tests did not run (instead of one per test)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if SKIP_REASON in str(r.longrepr)]
    if skipped and not has_external():
        terminalreporter.write_line(
            f"{len(skipped)} tests use ../shared/external (published instances), absent here ({EXTERNAL}): "
            f"skipped; CI has it (set ALLOCATOR_EXTERNAL to run them)", yellow=True)
