"""The metric's three ways in, each as a user makes it, in a fresh interpreter from a scratch directory.

- ``import mt_metrics`` then ``evaluate.load("motion_transferability")``, offline and online (the "internet" is a
  loopback server that has no such Space), equals the NumPy core;
- ``evaluate.load("motion-transfer/motion_transferability")`` from a Hub-protocol server (olah) serving the Space that
  ``mt-datasets publish-metric`` uploads, in an interpreter that cannot import our packages at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from factories import run_python_json
from hubserver import commit_repo, olah_server, status_server
from test_metric import make_protocol_data

from mt_datasets.hub.publish import PublishError, metric_release_tag, plan_metric_upload, publish_metric
from mt_metrics import EVALUATE_MODULE_DIR, compute_transferability, register_with_evaluate

pytestmark = pytest.mark.slow  # started first under pytest-xdist (tests/conftest.py)

# Runs in the subprocess: load by the name in argv[1] (after argv[2], a statement), score the data in argv[3].
_USER = """
import json, sys
exec(sys.argv[2])
import evaluate
data = json.loads(sys.argv[3])
metric = evaluate.load(sys.argv[1], with_direction=True)
metric.add_batch(**data)
print(json.dumps(metric.compute(bootstrap_samples=50, seed=3)))
"""


@pytest.fixture(scope="module")
def data() -> dict[str, list]:
    raw = make_protocol_data(n=90, seed=4)
    keys = ("predictions", "references", "is_known", "direction")
    return {k: [v.item() if hasattr(v, "item") else v for v in raw[k].tolist()] for k in keys}


def expected(data: dict[str, list]) -> dict:
    scores = compute_transferability(**data, bootstrap_samples=50, seed=3)
    return json.loads(json.dumps(scores))  # as the subprocess prints it: JSON keys and tuples


def run_user(name: str, setup: str, data: dict, cwd: Path, env: dict[str, str], python: list[str]) -> dict:
    return run_python_json(_USER, name, setup, json.dumps(data), cwd=cwd, env=env, python=python)


def fresh_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_MODULES_CACHE", "PYTHONPATH")}
    return {**env, "HF_HOME": str(tmp_path / "hf-home"), **overrides}


def test_bare_name_after_import_offline_from_a_scratch_directory(tmp_path, data):
    env = fresh_env(tmp_path, HF_EVALUATE_OFFLINE="1")
    result = run_user("motion_transferability", "import mt_metrics", data, tmp_path, env, [sys.executable])
    assert result == expected(data)


@pytest.mark.parametrize("status", [404, 401])  # the Hub answers 401 for a repo that does not exist, unless logged in
def test_bare_name_after_import_online_when_the_hub_has_no_such_space(tmp_path, data, status):
    with status_server(status) as (url, seen):
        env = fresh_env(tmp_path, HF_EVALUATE_OFFLINE="0", HF_HUB_OFFLINE="0", HF_ENDPOINT=url)
        result = run_user("motion_transferability", "import mt_metrics", data, tmp_path, env, [sys.executable])
    assert result == expected(data)
    assert any("evaluate-metric/motion_transferability" in request for request in seen)  # evaluate asked the Hub


def test_bare_name_without_the_import_still_fails_as_evaluate_says(tmp_path, data):
    env = fresh_env(tmp_path, HF_EVALUATE_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-c", _USER, "motion_transferability", "", json.dumps(data)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "Couldn't find a module script" in done.stderr


def test_registration_is_idempotent_and_follows_a_new_version(tmp_path):
    first = register_with_evaluate(tmp_path)
    assert register_with_evaluate(tmp_path) == first
    assert sorted(p.name for p in first.iterdir()) == [
        "__init__.py",
        "inputs.py",
        "motion_transferability.py",
        "transferability.py",
    ]
    for name in ("transferability.py", "inputs.py"):
        assert (first / name).read_bytes() == (EVALUATE_MODULE_DIR / name).read_bytes()
    assert (first.parents[2] / "__init__.py").is_file()


def test_the_module_runs_on_evaluate_and_numpy_alone():
    from evaluate.loading import get_imports

    imports = get_imports(str(EVALUATE_MODULE_DIR / "motion_transferability.py"))
    # evaluate copies the script's own relative imports (not theirs): every .py file of the core beside the script.
    internal = {name for kind, name, _, _ in imports if kind == "internal"}
    core = {p.stem for p in EVALUATE_MODULE_DIR.glob("*.py")} - {"motion_transferability", "app"}
    assert internal == core == {"transferability", "inputs"}
    libraries = {name for kind, name, _, _ in imports if kind == "library"}
    assert not {name for name in libraries if name.startswith("mt_")}, libraries
    requirements = (EVALUATE_MODULE_DIR / "requirements.txt").read_text().split()
    assert [r.split(">")[0] for r in requirements] == ["evaluate", "numpy"]


def test_publish_metric_refuses_a_space_that_needs_our_package(tmp_path):
    space = tmp_path / "motion_transferability"
    shutil.copytree(EVALUATE_MODULE_DIR, space, ignore=shutil.ignore_patterns("__pycache__"))
    (space / "requirements.txt").write_text("evaluate>=0.4.6\nmotion-transfer\n")
    with pytest.raises(PublishError, match="asks for 'motion-transfer', which the Space cannot install"):
        plan_metric_upload(space)
    (space / "requirements.txt").write_text("evaluate\n")
    script = space / "motion_transferability.py"
    script.write_text("from mt_metrics import compute_transferability\n" + script.read_text())
    with pytest.raises(PublishError, match="imports mt_metrics, which the Space does not have"):
        plan_metric_upload(space)
    with pytest.raises(PublishError, match="ORG/NAME"):
        publish_metric("motion_transferability", dry_run=True)


def test_hub_id_from_the_published_space_with_nothing_of_ours_installed(tmp_path, data):
    # What `mt-datasets publish-metric` would upload, as the CLI lists it.
    listing = subprocess.run(
        ["mt-datasets", "publish-metric", "--repo-id", "motion-transfer/motion_transferability", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
    )
    assert listing.returncode == 0, listing.stderr
    files = [name for name, _ in plan_metric_upload().files]
    assert all(name in listing.stdout for name in files) and "dry run: nothing uploaded" in listing.stdout
    assert {"motion_transferability.py", "transferability.py", "inputs.py", "requirements.txt", "app.py"} <= set(files)

    mirrors, server_dir = tmp_path / "mirrors", tmp_path / "olah"
    server_dir.mkdir()
    # Tagged as publish-metric tags it. (olah answers 401 for an unknown revision where the Hub answers 404, on which
    # evaluate would retry with main; the tag makes the first request succeed, as it does on the Hub.)
    repo = "motion-transfer/motion_transferability"
    commit_repo(EVALUATE_MODULE_DIR, mirrors, repo, repo_type="spaces", files=files, tags=(metric_release_tag(),))
    # -S: no site processing, so the editable install's path hook (a .pth file) is not read; the site-packages
    # directory itself stays importable for evaluate and numpy.
    env = fresh_env(tmp_path, HF_EVALUATE_OFFLINE="0", HF_HUB_OFFLINE="0", PYTHONPATH=sysconfig.get_paths()["purelib"])
    check = subprocess.run(
        [sys.executable, "-S", "-c", "import mt_metrics"], cwd=tmp_path, env=env, capture_output=True
    )
    assert check.returncode != 0 and b"No module named 'mt_metrics'" in check.stderr
    with olah_server(mirrors, server_dir) as url:
        env["HF_ENDPOINT"] = url
        setup = "import importlib.util; assert importlib.util.find_spec('mt_datasets') is None"
        result = run_user("motion-transfer/motion_transferability", setup, data, tmp_path, env, [sys.executable, "-S"])
    assert result == expected(data)


def test_publish_metric_hub_errors_come_back_as_one_line(tmp_path):
    with status_server(403) as (url, seen):
        env = fresh_env(tmp_path, HF_ENDPOINT=url, HF_HUB_OFFLINE="0", HF_TOKEN="hf_test_token")
        done = subprocess.run(
            ["mt-datasets", "publish-metric", "--repo-id", "motion-transfer/motion_transferability"],
            env={**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        "mt-datasets publish-metric: no write access to motion-transfer/motion_transferability"
    )
    assert "POST /api/repos/create" in seen and "transferability.py" in done.stdout  # the listing came first
