"""allocator: exact, verified allocation of rural broadband money.

``allocator.load_instance``, ``allocator.solve`` and ``allocator.verify`` are the
functions (imported here, so the submodules of the same name never shadow them).
"""
from .errors import (AllocatorError, InfeasibleError, InputError, OptionsError, SolverError,
                     VerificationError)

from .version import __version__  # noqa: E402

from .io import load_instance  # noqa: E402
from .solve.api import solve  # noqa: E402
from .verify import verify  # noqa: E402

__all__ = ["AllocatorError", "InfeasibleError", "InputError", "OptionsError", "SolverError",
           "VerificationError", "load_instance", "solve", "verify", "__version__"]
