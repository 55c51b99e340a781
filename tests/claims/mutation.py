"""One deliberate break of a rule that a claim's oracle covers: ``path`` with ``old`` replaced
by ``new`` (``old`` must occur exactly once). ``tools/mutation_check.py`` applies each one in a
scratch copy of the repository and records which claim tests fail (none failing is a gap)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: str
    """The pytest selection that should catch it (a file or node id under tests/claims)."""
