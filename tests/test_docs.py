"""The documents a clone carries: every ``MATH.md`` citation in the code names a section of
``docs/MATH.md``, and every claims table row in ``docs/CLAIMS.md`` names a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"MATH\.md(?:'s)?,? ((?:[A-D]\d?)|Setting)\b")
SECTION = re.compile(r"^#{2,3} (Setting|[A-D]\d?)\.?(?: |$)", re.MULTILINE)


def sources() -> list[Path]:
    folders = ("vgcore", "vgapp", "tests", "bench", "pagetools")
    return [ROOT / "app.py"] + [p for f in folders for p in sorted((ROOT / f).rglob("*.py"))]


def test_every_math_citation_names_a_section_of_docs_math():
    sections = set(SECTION.findall((ROOT / "docs" / "MATH.md").read_text()))
    assert {"Setting", "A", "B", "C", "D1", "D2", "D3", "D4"} <= sections
    cited = {
        (path.relative_to(ROOT).as_posix(), label)
        for path in sources()
        for label in CITATION.findall(path.read_text())
    }
    missing = sorted((path, label) for path, label in cited if label not in sections)
    assert not missing, f"citations of MATH.md sections that docs/MATH.md lacks: {missing}"


def test_no_module_points_at_a_math_file_outside_the_repository():
    here = Path(__file__).resolve()
    outside = [
        p.relative_to(ROOT).as_posix()
        for p in sources()
        if p != here and "shared/MATH" in p.read_text()
    ]
    assert not outside


def test_every_claims_row_names_a_test_that_exists():
    """docs/CLAIMS.md names its tests by function name; each one is defined in tests/claims."""
    claims = (ROOT / "docs" / "CLAIMS.md").read_text()
    named = {n for n in re.findall(r"\b(test_[a-z0-9_]+)\b", claims) if not n.endswith("_")}
    defined = {
        name
        for path in (ROOT / "tests" / "claims").glob("test_*.py")
        for name in re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.MULTILINE)
    }
    files = {path.stem for path in (ROOT / "tests" / "claims").glob("test_*.py")}
    assert named - defined - files == set()
    assert defined - named == set(), "claims tests that docs/CLAIMS.md does not list"
