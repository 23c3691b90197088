"""The dependency rule (README, "Design"): a module imports only its own layer or lower ones,
and no two packages import each other, directly or round a longer loop. Every module also
imports on its own in a fresh interpreter: an import that works only when some other module
happens to be imported first is a cycle waiting for the wrong entry point."""
from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cdr_agent"

# Lowest first. A module belongs to the layer of the longest prefix that names it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wire and words", ("cdr_agent.ami", "cdr_agent.calltree.vocab", "cdr_agent.hours", "cdr_agent.logs",
                        "cdr_agent.progress")),
    ("call tree", ("cdr_agent.calltree",)),
    ("agi", ("cdr_agent.agi",)),
    ("ingest", ("cdr_agent.ingest",)),
    # The AGI importer and the FastAGI storing handler keep observations in the store.
    ("store", ("cdr_agent.store", "cdr_agent.agi.importer", "cdr_agent.agi.sink")),
    ("readers", ("cdr_agent.stats", "cdr_agent.render", "cdr_agent.live", "cdr_agent.formula",
                 "cdr_agent.views")),
    ("programs", ("cdr_agent.daemon", "cdr_agent.web", "cdr_agent.cli", "cdr_agent.commands",
                  "cdr_agent.replay", "cdr_agent.callgen")),
)
PROGRAM = len(LAYERS) - 1  # and so is every package's `cli` module: the command line's front


def modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def layer(module: str) -> int:
    if module.endswith(".cli"):
        return PROGRAM
    best, rank = "", -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, i
    if rank < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to the README's picture)")
    return rank


def unit(module: str) -> str:
    """The package a module counts in for cycles: cdr_agent.<package>, or a top-level module."""
    return ".".join(module.split(".")[:2])


def imports(module: str, known: set[str]) -> set[str]:
    """The cdr_agent modules `module` imports anywhere in its text (top level, functions,
    TYPE_CHECKING): `from .x import name` counts as x.name where that is a module."""
    path = PACKAGE.parent.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return {m for m in found if m in known and m != module}


def graph() -> dict[str, set[str]]:
    known = set(modules())
    return {m: imports(m, known) for m in known}


def upward(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} ({LAYERS[layer(m)][0]}) imports {t} ({LAYERS[layer(t)][0]})"
                  for m, targets in edges.items() for t in targets if layer(t) > layer(m))


def package_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Cycles in the graph of packages (strongly connected components of more than one)."""
    between: dict[str, set[str]] = {}
    for m, targets in edges.items():
        between.setdefault(unit(m), set()).update(unit(t) for t in targets if unit(t) != unit(m))
    return [sorted(c) for c in _components(between) if len(c) > 1]


def _components(g: dict[str, set[str]]) -> Iterable[set[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            out.append(component)

    for v in list(g):
        if v not in index:
            visit(v)
    return out


def test_every_module_is_in_a_layer_and_imports_none_above_it() -> None:
    edges = graph()
    assert len(edges) > 60
    assert upward(edges) == []


def test_no_two_packages_import_each_other() -> None:
    assert package_cycles(graph()) == []


def test_the_checks_see_what_they_guard_against() -> None:
    assert upward({"cdr_agent.calltree.model": {"cdr_agent.store.tables"}}) == [
        "cdr_agent.calltree.model (call tree) imports cdr_agent.store.tables (store)"]
    assert upward({"cdr_agent.agi.cli": {"cdr_agent.cli"}, "cdr_agent.stats.fill": {"cdr_agent.store.writer"}}) == []
    loop = {"cdr_agent.replay": {"cdr_agent.daemon.feed"}, "cdr_agent.daemon.feed": {"cdr_agent.replay"}}
    assert package_cycles(loop) == [["cdr_agent.daemon", "cdr_agent.replay"]]
    assert package_cycles({"cdr_agent.store.writer": {"cdr_agent.store.tables"}}) == []


def _import_alone(module: str) -> str:
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, cwd=ROOT)
    return "" if done.returncode == 0 else f"{module}: {done.stderr.strip().splitlines()[-1]}"


def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    with ThreadPoolExecutor(4) as pool:
        failures = [f for f in pool.map(_import_alone, modules()) if f]
    assert failures == []
