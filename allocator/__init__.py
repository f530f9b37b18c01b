"""allocator: exact, verified allocation of rural broadband money."""
from .errors import (AllocatorError, InfeasibleError, InputError, OptionsError, SolverError,
                     VerificationError)

__version__ = "0.1.0"


def __getattr__(name):  # lazy: keep `import allocator` cheap
    if name == "load_instance":
        from .io import load_instance
        return load_instance
    if name == "solve":
        from .solve import solve
        return solve
    if name == "verify":
        from .verify import verify
        return verify
    raise AttributeError(name)


__all__ = ["AllocatorError", "InfeasibleError", "InputError", "OptionsError", "SolverError",
           "VerificationError", "load_instance", "solve", "verify", "__version__"]
