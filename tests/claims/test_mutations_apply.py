"""Every deliberate break of ``tests/claims/mutations_*.py`` still applies to today's source:
its ``old`` text occurs exactly once in its file (a refactor that moves or rewords the code
must move the mutation with it, or the mutation check would measure nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.mutation_check import ROOT, load_mutations

MUTATIONS = load_mutations()


def test_there_are_mutations() -> None:
    assert len(MUTATIONS) >= 60


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name[:60])
def test_each_mutation_applies_once(mutation) -> None:
    source = (Path(ROOT) / mutation.path).read_text()
    assert source.count(mutation.old) == 1, f"{mutation.path}: {mutation.old!r}"
    assert mutation.new != mutation.old
