"""The package's shape: no import circle, no module over 700 lines nor function over 100, the layers import only
downwards, mt_models in sub-packages by job (its old module paths warn), the installed top-level packages, and the old
paths unused inside.

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
import subprocess
import sys
import warnings
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mt_datasets", "mt_metrics", "mt_models")
MAX_LINES = 700
MAX_FUNCTION_LINES = 100
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


def test_no_function_over_100_lines():
    # A long function becomes named steps a reader can follow (the docstring counts: it is read too).
    long = [
        f"{name}.{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


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
    # mt_models by job (issue 29)
    **{f"mt_models.{module}": f"mt_models.models.{module}" for module in (
        "backbones", "cards", "classifier", "heads", "labels", "open_vocab", "pipeline", "preprocess", "resnet3d")},
    **{f"mt_models.{module}": f"mt_models.runtime.{module}" for module in (
        "autotune", "data", "fast_path", "output_dirs")},
    "mt_models.evaluation": "mt_models.scoring.evaluation",
    "mt_models.records": "mt_models.scoring.records",
    "mt_models.training": "mt_models.train.loop",
    "mt_models.augment": "mt_models.train.augment",
    "mt_models.validation": "mt_models.train.validation",
    "mt_models.protocol": "mt_models.experiments.protocol",
    "mt_models.findings": "mt_models.experiments.findings",
    "mt_models.diagnostics": "mt_models.diagnosis.diagnostics",
    "mt_models.diagnostics_report": "mt_models.diagnosis.report",
    "mt_models.opposites": "mt_models.diagnosis.opposites",
    "mt_models.probes": "mt_models.diagnosis.probes",
    "mt_options": "mt_models.options",
}  # fmt: skip
# mt_models' sub-packages, by job (ARCHITECTURE.md); its top level holds only __init__ and the old paths.
MT_MODELS_PACKAGES = ("models", "runtime", "train", "scoring", "experiments", "diagnosis", "options")


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_the_old_paths_still_import_and_warn(old):
    new = importlib.import_module(OLD_PATHS[old])
    parent, _, child = old.rpartition(".")
    # Importing a submodule binds it in its parent: keep what the parent had (mt_models.preprocess is a function).
    before = vars(sys.modules[parent]).get(child) if parent else None
    sys.modules.pop(old, None)
    try:
        with pytest.warns(FutureWarning, match=rf"{old} has moved to {OLD_PATHS[old]}"):
            module = importlib.import_module(old)
    finally:
        sys.modules.pop(old, None)
        if parent:
            vars(sys.modules[parent]).pop(child, None)
            if before is not None:
                setattr(sys.modules[parent], child, before)
    names = getattr(new, "__all__", None) or [
        *importlib.import_module("mt_models.options.run").__all__,
        *importlib.import_module("mt_models.options.arguments").__all__,
    ]
    for name in names:
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


def _is_old_path(path: Path) -> bool:
    """A two-line module over ``mt_datasets._exports.moved``: the old path of a moved module."""
    body = [node for node in ast.parse(path.read_text()).body if not isinstance(node, ast.Expr)]
    return (
        len(body) == 2
        and isinstance(body[0], ast.ImportFrom)
        and body[0].module == "mt_datasets._exports"
        and [alias.name for alias in body[0].names] == ["moved"]
        and isinstance(body[1], ast.Assign)
        and isinstance(body[1].value, ast.Call)
        and getattr(body[1].value.func, "id", None) == "moved"
    )


def test_mt_models_is_in_sub_packages_by_job():
    top = ROOT / "mt_models"
    packages = sorted(path.name for path in top.iterdir() if (path / "__init__.py").is_file())
    assert packages == sorted(MT_MODELS_PACKAGES)
    for package in packages:
        assert ast.get_docstring(ast.parse((top / package / "__init__.py").read_text())), f"{package}: no docstring"
    modules = {path.stem for path in top.glob("*.py")} - {"__init__"}
    plain = sorted(name for name in modules if not _is_old_path(top / f"{name}.py"))
    assert not plain, f"plain modules at mt_models' top level (put them in a sub-package): {plain}"
    # every old path at the top is listed (so tested) and leads into a sub-package
    assert {f"mt_models.{name}" for name in modules} == {old for old in OLD_PATHS if old.startswith("mt_models.")}
    assert all(OLD_PATHS[f"mt_models.{name}"] in MODULES for name in modules)


def test_no_code_of_ours_imports_an_old_path():
    old = set(OLD_PATHS)
    exported = set(importlib.import_module("mt_models").__all__)  # `from mt_models import preprocess`: the function
    sources = [path for folder in (*PACKAGES, "examples", "bench", "tests") for path in (ROOT / folder).rglob("*.py")]
    wrong = []
    for path in sources:
        if _is_old_path(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                targets = [node.module] + [
                    f"{node.module}.{alias.name}"
                    for alias in node.names
                    if not (node.module == "mt_models" and alias.name in exported)
                ]
            else:
                continue
            wrong += [f"{path.relative_to(ROOT)}:{node.lineno} imports {t}" for t in targets if t in old]
    assert not wrong, wrong


def test_the_models_sub_package_imports_nothing_of_mt_models_above_it():
    # mt_models' __init__ imports mt_models.models when transformers loads: a models module importing another
    # sub-package could meet it half-imported. The options are light and the models' configs take them.
    wrong = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.startswith("mt_models.models.")
        for target in targets
        if target.startswith("mt_models") and not target.startswith(("mt_models.models", "mt_models.options"))
    ]
    assert not wrong, wrong


def test_the_options_import_neither_torch_nor_transformers():
    # What keeps examples/*.py --help and a bad value under a second (bench/bench_help.py times it).
    code = (
        "import sys; import mt_models.options as o; o.RunOptions, o.add_training_arguments, o.HEAD_NAMES; "
        "print(sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_importing_mt_models_registers_the_models_once_transformers_loads():
    code = (
        "import sys; import mt_models; assert 'torch' not in sys.modules; "
        "from transformers import AutoConfig; from transformers.pipelines import PIPELINE_REGISTRY; "
        "print(AutoConfig.for_model('motion_transfer_disentangled').__class__.__name__, "
        "PIPELINE_REGISTRY.check_task('video-classification')[1]['impl'].__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["DisentangledConfig", "MotionVideoClassificationPipeline"]


def test_the_installed_top_level_packages_are_the_designs_three():
    with mock.patch("setuptools.setup") as setup:
        exec(compile((ROOT / "setup.py").read_text(), "setup.py", "exec"), {"__name__": "__main__"})
    kwargs = setup.call_args.kwargs
    packages = kwargs["packages"]
    assert {package.partition(".")[0] for package in packages} == set(PACKAGES)
    assert "mt_datasets.templates" in packages  # the card templates, from hub_cards/
    assert kwargs.get("py_modules", []) == ["mt_options"]  # the old path of mt_models.options, for one release
    assert _is_old_path(ROOT / "mt_options.py")
