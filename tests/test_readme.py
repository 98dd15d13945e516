"""The README's copy-paste examples (the fenced blocks marked ``<!-- tested -->``) run as written, in order."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # started first under pytest-xdist (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[1]
MARKED_BLOCK = re.compile(r"<!-- tested -->\n```(bash|python)\n(.*?)```", re.DOTALL)


def readme_blocks() -> list[tuple[str, str]]:
    """(language, code) of every tested block of README.md, in order."""
    return MARKED_BLOCK.findall((ROOT / "README.md").read_text())


def test_readme_has_tested_blocks_for_the_three_user_calls():
    code = "\n".join(block for _, block in readme_blocks())
    assert "load_dataset(" in code and 'evaluate.load("motion_transferability")' in code
    assert "accelerate launch examples/" in code and 'pipeline("video-classification"' in code


ENVIRONMENT_BLOCK = re.compile(r"<!-- environment -->\n```bash\n(.*?)```", re.DOTALL)


def test_readme_says_how_to_enter_the_environment_and_that_it_works():
    """The activation lines come before the first command, and in a shell without the venv they put ours on PATH."""
    text = (ROOT / "README.md").read_text()
    block = ENVIRONMENT_BLOCK.search(text)
    assert block and "source .venv/bin/activate" in block.group(1)
    assert text.index("<!-- environment -->") < text.index("<!-- tested -->")
    if not (ROOT / ".venv" / "bin" / "activate").is_file():
        pytest.skip("no .venv here: make setup was not run in this checkout")
    lines = [line for line in block.group(1).splitlines() if not line.startswith("make ")]  # setup already ran
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    script = "\n".join([*lines, "command -v python accelerate mt-datasets", 'python -c "import mt_models, mt_metrics"'])
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(path.startswith(str(ROOT / ".venv")) for path in done.stdout.split())


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory) -> Path:
    """Run every tested block in a scratch directory that links examples/; returns the directory."""
    work = tmp_path_factory.mktemp("readme")
    (work / "examples").symlink_to(ROOT / "examples")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    for number, (language, code) in enumerate(readme_blocks()):
        command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"README block {number} ({language}) failed:\n{code}\n{done.stderr[-3000:]}"
        (work / f"block{number}.out").write_text(done.stdout)
    return work


def test_readme_blocks_run_and_leave_their_results(readme_run):
    outputs = "\n".join(p.read_text() for p in sorted(readme_run.glob("block*.out")))
    assert "DatasetDict" in outputs and "torch.uint8" in outputs and "known_accuracy" in outputs
    assert "'label':" in outputs and "'score':" in outputs
    record = json.loads((readme_run / "runs" / "set1" / "eval" / "all_results.json").read_text())
    assert record["config"] == "set1" and 0.0 <= record["scores"]["known_accuracy"] <= 1.0
    assert (readme_run / "runs" / "set1" / "diagnosis" / "report.md").is_file()
    assert (readme_run / "syn-ta-mini" / "meta" / "info.json").is_file()
