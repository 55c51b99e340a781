"""The project's source modules and their imports, read with ``ast`` (nothing is imported).

Every import statement counts: at module level, inside a function, and under
``if TYPE_CHECKING:`` (a cycle there is still a cycle for a reader and for a refactoring).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = ("vgcore", "vgapp", "vgserve", "vgui")
"""The first-party packages of the page (``vgui``: the Streamlit drawing layer, once it exists);
those present are read, with ``app.py``."""
TOOLING = ("pagetools", "bench", "deploy", "tests")
"""Top-level packages that are not the page's source (test, benchmark and serving tooling)."""
SCRIPTS = ("app",)


@dataclass(frozen=True)
class Import:
    """One imported name: ``target`` is the module it resolves to (a first-party module, or the
    top-level name of another distribution); ``name`` the name taken from it, if any."""

    target: str
    name: str | None
    line: int
    typing_only: bool


def packages_present() -> tuple[str, ...]:
    return tuple(root for root in SOURCE_ROOTS if (ROOT / root / "__init__.py").is_file())


def top_level_packages() -> set[str]:
    """Every directory at the repository's root that is a Python package."""
    return {path.parent.name for path in ROOT.glob("*/__init__.py")}


@cache
def source_modules() -> dict[str, Path]:
    """Module name -> file, for every module of the source packages and the page's script."""
    found = {script: ROOT / f"{script}.py" for script in SCRIPTS}
    for package in packages_present():
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def is_package(module: str) -> bool:
    return source_modules()[module].name == "__init__.py"


def _absolute(module: str, base: str | None, level: int) -> str:
    """The module named by ``from <.. base> import`` inside ``module``."""
    if level == 0:
        return base or ""
    package = module if is_package(module) else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{base}" if base else package


def _known(name: str) -> str:
    """The longest prefix of a dotted name that is a source module (else its first part)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in source_modules():
            return ".".join(parts[:end])
    return parts[0]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str) -> None:
        self.module = module
        self.found: list[Import] = []
        self.typing_only = False

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        outer, self.typing_only = self.typing_only, True
        for child in node.body:
            self.visit(child)
        self.typing_only = outer
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append(Import(_known(alias.name), None, node.lineno, self.typing_only))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _absolute(self.module, node.module, node.level)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in source_modules():  # ``from pkg import submodule``
                self.found.append(Import(submodule, None, node.lineno, self.typing_only))
            else:
                target = _known(base)
                self.found.append(Import(target, alias.name, node.lineno, self.typing_only))


@cache
def imports_of(module: str) -> tuple[Import, ...]:
    """Every import in ``module``, in source order, each name resolved."""
    collector = _Collector(module)
    collector.visit(ast.parse(source_modules()[module].read_text(), str(source_modules()[module])))
    return tuple(collector.found)


def import_graph() -> dict[str, dict[str, list[Import]]]:
    """module -> {first-party module it imports: the imports that name it}."""
    graph: dict[str, dict[str, list[Import]]] = {module: {} for module in source_modules()}
    for module in source_modules():
        for found in imports_of(module):
            if found.target in source_modules():
                graph[module].setdefault(found.target, []).append(found)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module: each an import cycle (a
    module importing itself, as ``python -m`` needs of its ``__main__``, is no cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles
