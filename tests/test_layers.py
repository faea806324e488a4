"""The layers of DESIGN.md, checked on the code's own imports (function-level ones too).

An edge goes from a module to every jhe_sync module an import statement in it runs,
wherever the statement is (module level, inside a function, under ``TYPE_CHECKING``):
``from a.b import c`` runs ``a.b.c`` when that is a module, else ``a.b``; and
importing a module runs the ``__init__`` of each package above it, except the
packages the importer is itself in (those are already running when it runs).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jhe_sync"

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(name: str, modules: Iterable[str]) -> bool:
    return any(other.startswith(name + ".") for other in modules)


def ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def imported(module: str, source: str, modules: set[str], package: bool) -> set[str]:
    """The jhe_sync modules the import statements of ``source`` run, anywhere in it."""
    found: set[str] = set()
    here = module if package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        for target in targets:
            if target not in modules:
                continue
            found.add(target)
            running = {*ancestors(module), module}
            found.update(a for a in ancestors(target) if a not in running)
    found.discard(module)
    return found


@cache
def import_graph() -> Graph:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {
        name: imported(name, path.read_text(encoding="utf-8"), modules, path.name == "__init__.py")
        for name, path in paths.items()
    }


def reachable(graph: Graph, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def inside(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def layer(prefix: str) -> list[str]:
    return sorted(m for m in import_graph() if inside(m, prefix))


def offending(modules: Iterable[str], forbidden: tuple[str, ...], *, transitive: bool) -> list[str]:
    graph = import_graph()
    found = []
    for module in modules:
        targets = reachable(graph, module) if transitive else graph[module]
        found += [f"{module} -> {t}" for t in sorted(targets) if inside(t, *forbidden)]
    return found


def cycles(graph: Graph) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), each as a list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


# -- the checker itself ---------------------------------------------------------------


MODULES = {"pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c", "pkg.sub.d"}


def test_an_import_inside_a_function_counts_as_an_import() -> None:
    source = "def later():\n    from pkg.b import thing\n"
    assert imported("pkg.a", source, MODULES, package=False) == {"pkg.b"}


def test_importing_a_module_of_a_package_runs_the_package_init() -> None:
    assert imported("pkg.a", "import pkg.sub.c\n", MODULES, package=False) == {
        "pkg.sub",
        "pkg.sub.c",
    }


def test_a_sibling_import_does_not_run_the_package_init_again() -> None:
    assert imported("pkg.sub.c", "from pkg.sub import d\n", MODULES, package=False) == {"pkg.sub.d"}


def test_relative_imports_are_resolved() -> None:
    assert imported("pkg.sub.c", "from . import d\nfrom ..b import x\n", MODULES, False) == {
        "pkg.sub.d",
        "pkg.b",
    }


def test_a_cycle_through_a_package_init_is_found() -> None:
    graph = {"pkg.a": {"pkg.sub"}, "pkg.sub": {"pkg.sub.c"}, "pkg.sub.c": {"pkg.a"}}
    assert cycles(graph) == [["pkg.a", "pkg.sub", "pkg.sub.c"]]


# -- the rules ---------------------------------------------------------------------------


def test_the_graph_holds_every_module_of_the_package() -> None:
    graph = import_graph()
    assert {"jhe_sync.exchange.client", "jhe_sync.snapshot.read", "jhe_sync.cli"} <= set(graph)
    assert {"jhe_sync.exchange", "jhe_sync.emulator"} <= graph["jhe_sync.local"]


def test_the_http_client_imports_nothing_of_the_stages_above_it() -> None:
    above = (
        "jhe_sync.snapshot",
        "jhe_sync.plan",
        "jhe_sync.apply",
        "jhe_sync.lifecycle",
        "jhe_sync.cli",
        "jhe_sync.workflow",
        "jhe_sync.local",
    )
    assert offending(layer("jhe_sync.exchange"), above, transitive=False) == []


def test_the_http_client_does_not_import_the_emulator_even_indirectly() -> None:
    assert offending(layer("jhe_sync.exchange"), ("jhe_sync.emulator",), transitive=True) == []


def test_the_emulator_imports_nothing_of_jhe_sync_outside_itself() -> None:
    graph = import_graph()
    outside = [
        f"{module} -> {target}"
        for module in layer("jhe_sync.emulator")
        for target in sorted(graph[module])
        if not inside(target, "jhe_sync.emulator")
    ]
    assert outside == []


@pytest.mark.parametrize("transitive", [False, True], ids=["directly", "indirectly"])
def test_planning_imports_neither_apply_lifecycle_the_cli_nor_the_emulator(
    transitive: bool,
) -> None:
    above = (
        "jhe_sync.apply",
        "jhe_sync.lifecycle",
        "jhe_sync.cli",
        "jhe_sync.workflow",
        "jhe_sync.local",
        "jhe_sync.emulator",
    )
    assert offending(layer("jhe_sync.plan"), above, transitive=transitive) == []


@pytest.mark.parametrize("transitive", [False, True], ids=["directly", "indirectly"])
def test_telling_drift_sides_apart_reads_and_writes_nothing(transitive: bool) -> None:
    io = (
        "jhe_sync.exchange",
        "jhe_sync.snapshot",
        "jhe_sync.apply",
        "jhe_sync.lifecycle",
        "jhe_sync.cli",
        "jhe_sync.workflow",
        "jhe_sync.local",
        "jhe_sync.emulator",
    )
    assert offending(layer("jhe_sync.drift"), io, transitive=transitive) == []


def test_the_github_client_imports_nothing_but_the_errors() -> None:
    assert import_graph()["jhe_sync.ci.github"] <= {"jhe_sync.errors"}


@pytest.mark.parametrize("transitive", [False, True], ids=["directly", "indirectly"])
def test_the_pull_request_hand_off_talks_to_github_only(transitive: bool) -> None:
    exchange_side = (
        "jhe_sync.exchange",
        "jhe_sync.snapshot",
        "jhe_sync.apply",
        "jhe_sync.local",
        "jhe_sync.emulator",
        "jhe_sync.workflow",
        "jhe_sync.cli",
    )
    modules = ["jhe_sync.ci.review", "jhe_sync.ci.actions", "jhe_sync.ci.report"]
    assert offending(modules, exchange_side, transitive=transitive) == []


def test_only_the_command_line_runs_the_actions_steps() -> None:
    graph = import_graph()
    assert sorted(m for m, targets in graph.items() if "jhe_sync.ci.steps" in targets) == [
        "jhe_sync.cli"
    ]


def test_only_the_local_wiring_imports_both_the_client_and_the_emulator() -> None:
    graph = import_graph()
    both = [
        module
        for module, targets in graph.items()
        if any(inside(t, "jhe_sync.exchange") for t in targets)
        and any(inside(t, "jhe_sync.emulator") for t in targets)
    ]
    assert both == ["jhe_sync.local"]


def test_no_module_imports_itself_through_a_cycle() -> None:
    assert cycles(import_graph()) == []
