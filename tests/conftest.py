"""Test-wide settings: hypothesis is derandomized under CI so a run is repeatable,
and does not shrink (on a loaded 2-core machine shrinking a solver test can take
many minutes); print_blob gives the failing example to reproduce it."""
import os

from hypothesis import Phase, settings

PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, phases=PHASES)
settings.register_profile("dev", deadline=None, print_blob=True, phases=PHASES)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
