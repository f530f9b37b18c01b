"""Importers of published benchmark formats (SteinLib/DIMACS ``.stp``, OR-Library
set covering), so the engine can be checked against published optima.

Each format has ``read_<fmt>(path)`` (parse, with errors naming file and line),
``<fmt>_tables(parsed)`` (the instance as pandas tables) and
``import_<fmt>(path, directory)`` (write the instance directory atomically).
The mapping onto allocation instances is described in docs/importers.md.
"""
from __future__ import annotations

from .common import ImportedTables
from .scp import SetCoverFile, import_scp, read_scp, scp_tables
from .stp import SteinerFile, import_stp, read_stp, stp_tables

#: format name (the CLI's sub-subcommand) -> function(path, directory, *, overwrite) -> Path
IMPORTERS = {"stp": import_stp, "scp": import_scp}

__all__ = ["IMPORTERS", "ImportedTables", "SetCoverFile", "SteinerFile", "import_scp", "import_stp",
           "read_scp", "read_stp", "scp_tables", "stp_tables"]
