"""The floor plan stays true: imports point down the stages, and nothing imports in a circle.

Every module under src/smarchive is parsed (ast, not imported: a module that fails to import still
counts) and each `import smarchive...` in it, at the top or inside a function, is an edge. Each module
belongs to a package (its first name below `smarchive`), and each package to a layer. A module may
import from its own package and from packages in lower layers; never from a higher layer, and never
from a sibling package in the same layer (capture, extract, retention and the sandbox do not know
each other: the pipeline wires them). A new module needs no new row: it inherits its package's layer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "smarchive"

# Lowest first. Packages in one row are siblings: they may not import each other.
LAYERS: list[tuple[str, ...]] = [
    # `smarchive` = the root __init__ (version, dependency_version); `resources` = package data lookup
    ("smarchive", "errors", "model", "resources"),
    ("account_ids",),  # the ids file config loads into the register (#12)
    ("config",),
    ("platforms",),
    ("archive",),
    ("capture", "extract", "retention", "sandbox", "imports"),  # imports: platform exports (#18)
    ("deliver",),  # the SIP for the city archive (#15): reads the archive and the cull's records
    ("pipeline",),
    ("scaleout",),  # several accounts at once: processes here, or Celery workers (#17)
    ("workbench",),  # `smarchive serve`, the web workbench (#16): reads the archive, started by cli/serve.py
    ("cli",),
]
RANK = {package: n for n, row in enumerate(LAYERS) for package in row}
# Modules whose package is not their first name below smarchive (explicit exceptions, kept short).
PACKAGE_OF = {"smarchive.__main__": "cli"}  # `python -m smarchive` is the command line


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module in the source tree."""
    found = {}
    for path in sorted((SRC / ROOT).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def package_of(module: str) -> str:
    if module in PACKAGE_OF:
        return PACKAGE_OF[module]
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def imported(path: Path, module: str, known: set[str]) -> Iterator[tuple[str, int]]:
    """The smarchive modules `path` imports, with the line: `from a.b import c` is a.b.c when c is a module."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import smarchive.x.y` of a name inside a module
                target = target.rpartition(".")[0]
            if target.split(".")[0] == ROOT and target != module:
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: first line}."""
    files = module_files()
    graph: dict[str, dict[str, int]] = {}
    for module, path in files.items():
        edges = graph.setdefault(module, {})
        for target, line in imported(path, module, set(files)):
            edges.setdefault(target, line)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def forbidden_edges(graph: dict[str, dict[str, int]]) -> list[str]:
    """Edges that go up a layer or sideways to a sibling package, as readable lines."""
    problems = []
    for module, edges in sorted(graph.items()):
        source = package_of(module)
        for target, line in sorted(edges.items()):
            dest = package_of(target)
            if source == dest:
                continue
            if RANK[dest] > RANK[source]:
                problems.append(f"up:       {module}:{line} -> {target} ({source} must not import {dest})")
            elif RANK[dest] == RANK[source]:
                problems.append(f"sideways: {module}:{line} -> {target} ({source} and {dest} are siblings)")
    return problems


def test_every_package_has_a_layer() -> None:
    packages = {package_of(m) for m in module_files()}
    assert packages - set(RANK) == set(), "add the new package to LAYERS in tests/test_architecture.py"


def test_no_upward_or_sideways_import() -> None:
    problems = forbidden_edges(import_graph())
    assert not problems, f"{len(problems)} forbidden import(s):\n" + "\n".join(problems)


def test_no_circle_between_modules() -> None:
    graph = {m: set(edges) for m, edges in import_graph().items()}
    found = cycles(graph)
    assert not found, f"{len(found)} import circle(s) between modules:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_circle_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for module, edges in import_graph().items():
        graph.setdefault(package_of(module), set()).update(package_of(t) for t in edges)
    for package, targets in graph.items():
        targets.discard(package)
    found = cycles(graph)
    assert not found, f"{len(found)} import circle(s) between packages:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_checker_sees_a_forbidden_edge() -> None:
    # The rules above pass vacuously if the parser found no edges: make sure it reads real ones.
    graph = import_graph()
    assert "smarchive.archive.warc" in graph["smarchive.capture.account"]
    assert forbidden_edges({"smarchive.model": {"smarchive.pipeline": 1}}) == [
        "up:       smarchive.model:1 -> smarchive.pipeline (model must not import pipeline)"]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
