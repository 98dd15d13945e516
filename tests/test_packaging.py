"""The release a user installs: ``python -m build`` makes an sdist without tests and a wheel carrying the licence and
the card templates under ``mt_datasets/templates``; the wheel, installed into a fresh venv, runs from outside the
repository."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    pytest.importorskip("build", reason="`build` comes with the test extra: run `make setup`")
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the setuptools already installed builds it, offline.
    _run([sys.executable, "-m", "build", "--sdist", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)])
    return out


def test_the_sdist_carries_the_license_and_no_tests(dist):
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    assert "LICENSE" in names and "setup.py" in names and "hub_cards/model_card.md.j2" in names
    assert not [name for name in names if name.startswith(("tests/", "bench/", "examples/"))]


def test_the_wheel_installs_into_a_fresh_venv_and_runs_outside_the_repository(dist, tmp_path):
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "mt_datasets/templates/syn_ta_card.md.j2" in names and "mt_datasets/templates/model_card.md.j2" in names
    assert not [name for name in names if name.startswith(("hub_cards/", "tests/"))]
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    target = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # Without PYTHONPATH: a checkout on it (with the build's egg-info) would count as motion-transfer installed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)]
    _run(install, env=env)
    # Once the wheel is in, the dependencies (torch, datasets, ...) come from this environment's site-packages,
    # appended to sys.path by a .pth line; that directory's own .pth files (the editable install's hook) are not read,
    # so the wheel is what `import mt_datasets` finds.
    (Path(target) / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert "publish" in _run([str(venv / "bin" / "mt-datasets"), "--help"], cwd=scratch, env=env).stdout
    check = (
        "import mt_datasets, mt_metrics, mt_models; from mt_datasets.hub.cards import CARD_DIR\n"
        "print(mt_datasets.__file__); print(CARD_DIR); assert (CARD_DIR / 'syn_ta_card.md.j2').is_file()"
    )
    printed = _run([str(python), "-c", check], cwd=scratch, env=env).stdout.splitlines()
    assert printed[0].startswith(target) and printed[1] == str(Path(target) / "mt_datasets" / "templates")


def test_a_path_looking_model_that_does_not_exist_fails_at_once(tmp_path):
    """No Hub retries for ``./runs/x``-style names: one line, in the time it takes to start the script."""
    import time

    env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"}  # a Hub would be retried
    for model in ("./runs/no-such-model", "runs/set1/no-such-model", "~/no-such-model"):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "eval.py"), "--dataset", "motion-transfer/syn-ta", "--model",
             model, "--output_dir", "out"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
        assert f"--model {model}: no such " in done.stderr.strip().splitlines()[-1]  # folder or directory
        assert time.monotonic() - started < 25


def test_evaluate_says_it_loaded_the_registered_module(tmp_path):
    code = "import mt_metrics, evaluate; evaluate.load('motion_transferability')"
    env = {**os.environ, "HF_HOME": str(tmp_path / "home"), "HF_EVALUATE_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "couldn't be found" not in done.stderr
    assert "loaded the module that `import mt_metrics` installed in evaluate's modules cache" in done.stderr
