"""Files <-> objects: read an instance directory into a validated, priced
:class:`~allocator.instance.Instance`, or write one from tables."""
from __future__ import annotations


def __getattr__(name):  # lazy: the CLI imports this package for every command
    if name == "load_instance":
        from .reader import load_instance
        return load_instance
    if name == "write_instance":
        from .writer import write_instance
        return write_instance
    raise AttributeError(name)


__all__ = ["load_instance", "write_instance"]
