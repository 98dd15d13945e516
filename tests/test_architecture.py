"""The package's shape: no import circle, no module over 700 lines, and the layers import only downwards.

The import graph is drawn from the source with ``ast``: every import statement, at module level or inside a function
(a lazy import still ties two modules together), relative ones resolved. ``from pkg import name`` is an import of the
module ``pkg.name`` when that is a module of the package, else of ``pkg`` (the package's ``__init__``).

How a package ``__init__`` counts: an explicit import of a package (``from mt_datasets import __version__``) is an edge
into its ``__init__`` like any other. The implicit import of the parents of an imported module (importing
``mt_datasets.hub.layout`` runs ``mt_datasets/__init__.py`` and ``mt_datasets/hub/__init__.py`` first) is not an
edge: every submodule would otherwise form a circle with a parent ``__init__`` that re-exports from it. Names that
an ``__init__`` exports lazily by module path (``mt_datasets._exports.lazy_exports``), and the old paths of moved
modules (``mt_datasets._exports.moved``), import by string and draw no edge either.
"""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mt_datasets", "mt_metrics", "mt_models")
MAX_LINES = 700
# package -> the packages it must not import (a layer imports only the layers above it)
FORBIDDEN = {"mt_datasets": ("mt_metrics", "mt_models"), "mt_metrics": ("mt_models",), "mt_models": ()}


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The modules of the three packages that module ``name`` imports (anywhere in its source)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # `import a.b.c` where only `a.b` is a module of ours (c a name of it): the longest module prefix
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    """One import circle of the graph (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (circle := visit(target)):
                return circle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (circle := visit(node)):
            return circle
    return None


def test_the_graph_sees_the_imports_it_must():
    # Lazy (function-level), relative and `from pkg import module` imports are all edges.
    assert "mt_datasets.hub.writer" in GRAPH["mt_datasets.sources.build"]  # inside build_dataset
    assert "mt_datasets.errors" in GRAPH["mt_datasets.video"]  # `from .errors import ...`
    assert "mt_datasets.sources.build" in GRAPH["mt_datasets.commands.cli"]  # `from mt_datasets.sources import build`
    assert "mt_datasets" in GRAPH["mt_datasets.commands.cli"]  # `from mt_datasets import __version__`
    assert len(GRAPH) > 60


def test_no_import_circle():
    circle = _cycle()
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_no_module_over_700_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_layers_import_only_downwards():
    wrong = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if target.partition(".")[0] in FORBIDDEN[name.partition(".")[0]]
    ]
    assert not wrong, wrong


OLD_PATHS = {
    "mt_datasets.annotations": "mt_datasets.sources.annotations",
    "mt_datasets.attach": "mt_datasets.sources.attach",
    "mt_datasets.build": "mt_datasets.sources.build",
    "mt_datasets.kinetics": "mt_datasets.sources.kinetics",
    "mt_datasets.presence": "mt_datasets.sources.presence",
    "mt_datasets.ssv2": "mt_datasets.sources.ssv2",
    "mt_datasets.cards": "mt_datasets.hub.cards",
    "mt_datasets.layout": "mt_datasets.hub.layout",
    "mt_datasets.locks": "mt_datasets.hub.locks",
    "mt_datasets.publish": "mt_datasets.hub.publish",
    "mt_datasets.verify": "mt_datasets.hub.verify",
    "mt_datasets.cli": "mt_datasets.commands.cli",
    "mt_datasets.generate_command": "mt_datasets.commands.generate",
}


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_the_old_paths_still_import_and_warn(old):
    new = importlib.import_module(OLD_PATHS[old])
    sys.modules.pop(old, None)
    with pytest.warns(FutureWarning, match=rf"{old} has moved to {OLD_PATHS[old]}"):
        module = importlib.import_module(old)
    for name in new.__all__:
        assert getattr(module, name) is getattr(new, name)


def test_the_old_names_of_moved_modules_still_resolve_without_a_warning():
    from mt_datasets import hub, protocol
    from mt_datasets.hub import layout, writer

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # mt_datasets.hub, once the writer's module, is its package: it exports what the module did.
        assert hub.HubDatasetWriter is writer.HubDatasetWriter and hub.read_info is layout.read_info
        assert hub.CONFIG_SPLITS is protocol.CONFIG_SPLITS
    sys.modules.pop("mt_datasets.presence", None)
    with pytest.warns(FutureWarning):
        old_presence = importlib.import_module("mt_datasets.presence")
    from mt_datasets.sources.build import SourceClip

    assert old_presence.SourceClip is SourceClip  # names that had moved out of presence before
