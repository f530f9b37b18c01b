"""What a plan decides, and nothing derived: the only thing the solver hands
on, the verifier re-checks and a plan file round-trips.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .schema import NO_TECHNOLOGY


@dataclass(frozen=True)
class Decision:
    """technology: village_id -> 'fiber' | '4g' | 'satellite' | 'none' (new technology only;
    a village with an existing connection has 'none' and still counts as covered).
    site_of: village_id -> site_id, for every village whose technology is '4g'.
    built_edges: ids (instance.edges index) of trenches built.
    opened_sites: site_id -> backhaul used, 'fiber' or 'microwave'.
    """

    technology: Mapping[str, str]
    site_of: Mapping[str, str] = field(default_factory=dict)
    built_edges: frozenset = frozenset()
    opened_sites: Mapping[str, str] = field(default_factory=dict)

    def villages_with(self, tech: str) -> list[str]:
        return sorted(v for v, t in self.technology.items() if t == tech)

    @classmethod
    def empty(cls, village_ids) -> "Decision":
        return cls(technology={v: NO_TECHNOLOGY for v in village_ids})
