"""The shape of the source, read with ``ast``: no import cycle between the project's modules (the
imports under ``TYPE_CHECKING`` count), no private name or private module imported from outside
its home, and modules short enough to read."""

from __future__ import annotations

import re

import pytest
from sourcetree import (
    SCRIPTS,
    SOURCE_ROOTS,
    TOOLING,
    import_graph,
    imports_of,
    source_modules,
    strongly_connected,
    top_level_packages,
)

from vgapp.page import PANELS

MAX_LINES = 450
MAX_APP_LINES = 150
EXCUSE = re.compile(r"^\s*# Over 450 lines: .+\.\s*$")
EXCUSE_WITHIN = 15


def private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def test_every_top_level_package_is_known():
    """A new package is either page source (read by these checks) or tooling, never unread."""
    unknown = top_level_packages() - set(SOURCE_ROOTS) - set(TOOLING)
    assert not unknown, f"add {sorted(unknown)} to SOURCE_ROOTS or TOOLING in tests/sourcetree.py"
    assert {"vgcore", "vgapp", "vgserve", *SCRIPTS} <= {m.split(".")[0] for m in source_modules()}


def test_the_reader_resolves_every_kind_of_import():
    """``from pkg import submodule``, ``from . import x`` and dotted names resolve to modules: the
    registry reaches the module of every panel's view through the imports read."""
    graph = import_graph()
    assert all(target in source_modules() for edges in graph.values() for target in edges)
    reached, todo = set(), ["vgapp.page"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph[module])
    assert {panel.view.__module__ for panel in PANELS.values()} <= reached


def test_no_import_cycle_between_modules():
    graph = import_graph()
    described = []
    for cycle in strongly_connected(graph):
        edges = [
            f"  {module} -> {target} (line {', '.join(sorted({str(i.line) for i in found}))}"
            + (", under TYPE_CHECKING)" if all(i.typing_only for i in found) else ")")
            for module in cycle
            for target, found in graph[module].items()
            if target in cycle
        ]
        described.append(" <-> ".join(cycle) + "\n" + "\n".join(edges))
    if described:
        pytest.fail("import cycles:\n" + "\n".join(described), pytrace=False)


def private_imports() -> list[str]:
    """``from X import _name`` of another module, and a private module (a dotted part starting
    with one underscore) imported from outside the package that holds it."""
    found = []
    for module in source_modules():
        for imported in imports_of(module):
            where = f"{module} (line {imported.line})"
            if imported.target not in source_modules():
                continue
            if imported.name is not None and private(imported.name):
                found.append(f"{where} imports the private name {imported.target}.{imported.name}")
            parts = imported.target.split(".")
            for depth, part in enumerate(parts):
                home = ".".join(parts[:depth])
                if private(part) and not module.startswith(home + "."):
                    found.append(f"{where} imports the private module {imported.target}")
                    break
    return list(dict.fromkeys(found))


def test_no_private_name_is_imported_across_modules():
    """A leading underscore means "only here": a private name stays in its module, a private
    module in its package."""
    found = private_imports()
    if found:
        pytest.fail("\n".join(["private imports:", *found]), pytrace=False)


def line_count(module: str) -> int:
    return len(source_modules()[module].read_text().splitlines())


def test_modules_stay_short_unless_they_say_why():
    """Over 450 lines, a module says why in its first 15 lines (``# Over 450 lines: <reason>.``)."""
    unexplained = {}
    for module, path in source_modules().items():
        lines = path.read_text().splitlines()
        if len(lines) > MAX_LINES and not any(EXCUSE.match(x) for x in lines[:EXCUSE_WITHIN]):
            unexplained[module] = len(lines)
    assert unexplained == {}, f"over {MAX_LINES} lines without a reason: {unexplained}"


def test_the_page_script_is_short():
    """``app.py`` only wires the registry to the drawing layer."""
    assert line_count("app") <= MAX_APP_LINES


def test_the_cycle_finder_finds_cycles_and_only_cycles():
    chain = {"a": {"b": []}, "b": {"c": []}, "c": {"a": []}, "d": {"a": []}, "e": {"e": []}}
    assert strongly_connected(chain) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b": []}, "b": {}}) == []
