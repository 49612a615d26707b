"""The package's shape stays true: one import name, layers that only point down, no import circles.

Layers, lowest first: ``letters`` → ``models`` → ``index`` → ``training`` → ``service``. A module may
import its own layer and the layers below it, never one above; and the module import graph
(every ``import``, also those inside functions) has no cycles.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["letters", "models", "index", "training", "service"]


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for layer in LAYERS:
        for path in (REPO / layer).rglob("*.py"):
            rel = path.relative_to(REPO).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods["congvan." + ".".join(parts)] = path
    return mods


def _imports(path: Path, module: str, is_pkg: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{a.name}" for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for imp in _imports(path, name, path.name == "__init__.py"):
            if imp in mods and imp != name:
                deps.add(imp)
        graph[name] = deps
    return graph


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[1])


def test_no_bare_top_level_packages_are_imported() -> None:
    bare = []
    for path in _modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bare += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] in LAYERS]
    assert not bare, "import congvan.<layer>, not the bare folder name:\n" + "\n".join(bare)


def test_layers_only_point_down() -> None:
    wrong = [f"{a} imports {b}" for a, deps in _graph().items() for b in deps if _layer(b) > _layer(a)]
    assert not wrong, "a lower layer imports a higher one:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    graph = _graph()
    # A package's __init__ re-exporting its own submodules is not a cycle worth reporting:
    # drop edges from a package to modules inside it.
    edges = {a: {b for b in deps if not b.startswith(a + ".")} for a, deps in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_one_import_name_from_outside_the_repository(tmp_path: Path) -> None:
    code = ("import importlib.util as u, sys; "
            "import congvan.index, congvan.letters, congvan.models, congvan.training, congvan.service; "
            "print(all(u.find_spec(n) is None for n in ('index', 'letters', 'models', 'training', 'service')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True", "a bare top-level package is importable"


def test_no_cycles_between_subpackages() -> None:
    """``service.api`` and ``service.web`` are both adapters over the core: neither imports the other."""
    mods = _modules()
    packages = {m for m, p in mods.items() if p.name == "__init__.py"}

    def package_of(module: str) -> str:
        return module if module in packages else module.rsplit(".", 1)[0]

    edges: dict[str, set[str]] = {}
    for a, deps in _graph().items():
        pa = package_of(a)
        for b in deps:
            pb = package_of(b)
            if pa != pb and not pa.startswith(pb + ".") and not pb.startswith(pa + "."):
                edges.setdefault(pa, set()).add(pb)
    both = sorted(f"{a} ⇄ {b}" for a in edges for b in edges[a] if a < b and a in edges.get(b, ()))
    assert not both, "subpackages import each other:\n" + "\n".join(both)
