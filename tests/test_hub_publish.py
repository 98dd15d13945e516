"""Every Hub write path end to end against the loopback write Hub (``tests/writehub.py``), each followed by the read a
user does next.

The commands run as a user types them, in fresh interpreters from scratch directories, with ``HF_ENDPOINT`` set to the
server and ``HF_HUB_DISABLE_XET=1`` (what the README tells a user behind a plain Hub-compatible server to set):

    mt-datasets publish DIR --repo-id me/syn-ta --tag v1           then load_dataset("me/syn-ta", "set1"), streaming
    mt-datasets publish-metric --repo-id me/motion_transferability then evaluate.load("me/motion_transferability")
    python examples/train.py ... --push_to_hub --hub_model_id me/tiny then eval.py --model me/tiny, pipeline()

One server serves the module; every test uses its own repositories.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from factories import make_tiny_dataset, run_python_json, write_test_video
from test_publish import dataset_dir  # noqa: F401 - the fixture: a metadata-only K400-TA build
from test_release_convert import release  # noqa: F401 - the fixture: a partial copy of the authors' Syn-TA release
from writehub import client_env, write_hub

from mt_datasets import get_taxonomy
from mt_datasets.hub.publish import metric_release_tag

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with write_hub(tmp_path_factory.mktemp("writehub")) as server:
        yield server


@pytest.fixture(scope="module")
def syn_ta(tmp_path_factory) -> Path:
    return make_tiny_dataset(tmp_path_factory.mktemp("hub-syn-ta") / "syn-ta", coarse_classes=(0, 1), clips_per_fine=1)


def _env(hub, tmp_path: Path, token: str | None = "hf_test_token") -> dict[str, str]:
    return client_env(hub, os.environ, tmp_path / "hf-home", token=token)


def mt_datasets(*args: str, env: dict[str, str], cwd: Path, setup: str = "") -> subprocess.CompletedProcess:
    """``mt-datasets ARGS`` in a fresh interpreter (``setup``: a statement run first, e.g. to shrink commits)."""
    code = f"import sys; {setup}\nfrom mt_datasets.commands.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def published(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr[-3000:]


def one_line(done: subprocess.CompletedProcess, command: str = "publish") -> str:
    """The error: exit code 1, one line after huggingface_hub's progress bars, no traceback."""
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    last = done.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith(f"mt-datasets {command}: "), done.stderr[-3000:]
    return last


# Runs in the subprocess: what a user reads back from a dataset repository (argv: repo, revision, tag, config...).
_READ = """
import json, sys
import datasets
repo, revision, tag, *configs = sys.argv[1:]
revision = revision or None
out = {}
for config in configs:
    loaded = datasets.load_dataset(repo, config, revision=revision)
    out[config] = {split: sorted(loaded[split]["video_id"]) for split in loaded}
if tag:
    out["tag"] = sorted(datasets.load_dataset(repo, configs[0], revision=tag, split="train")["video_id"])
stream = datasets.load_dataset(repo, configs[0], revision=revision, split="train", streaming=True)
row = next(iter(stream))
out["stream"] = {"video_id": row["video_id"], "columns": sorted(row)}
print(json.dumps(out))
"""


def read_back(hub, tmp_path: Path, repo: str, *configs: str, revision: str = "", tag: str = "", token="hf_test_token"):
    env = {**_env(hub, tmp_path, token), "HF_HOME": str(tmp_path / f"read-{len(list(tmp_path.iterdir()))}")}
    return run_python_json(_READ, repo, revision, tag, *configs, cwd=tmp_path, env=env)


def local_ids(folder: Path, config: str) -> dict[str, list[str]]:
    import datasets

    loaded = datasets.load_dataset(str(folder), config)
    return {split: sorted(loaded[split]["video_id"]) for split in loaded}


def remote_files(hub, repo_type: str, repo_id: str, revision: str = "main") -> dict[str, str]:
    """path -> sha256 of the content, of the repository at ``revision`` as the server stores it."""
    repo = hub.repos[(repo_type, repo_id)]
    files = repo.commits[repo.resolve(revision)][1]
    return {path: hashlib.sha256(hub.content(blob).read_bytes()).hexdigest() for path, blob in files.items()}


def local_files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def test_publish_syn_ta_then_load_every_config_the_tag_and_a_stream(hub, syn_ta, tmp_path):
    done = mt_datasets(
        "publish", str(syn_ta), "--repo-id", "me/syn-ta", "--tag", "v1", env=_env(hub, tmp_path), cwd=tmp_path
    )
    published(done)
    assert "published" in done.stdout and "README.md" in done.stdout
    assert remote_files(hub, "dataset", "me/syn-ta").items() >= local_files(syn_ta).items()
    assert hub.repos[("dataset", "me/syn-ta")].tags["v1"] == hub.repos[("dataset", "me/syn-ta")].branches["main"]
    result = read_back(hub, tmp_path, "me/syn-ta", "set1", "set2", "all", tag="v1")
    for config in ("set1", "set2", "all"):
        assert result[config] == local_ids(syn_ta, config), config
    assert result["tag"] == result["set1"]["train"]
    assert result["stream"]["video_id"] in result["set1"]["train"] and "video" in result["stream"]["columns"]


def test_a_converted_release_publishes_and_loads_like_the_local_copy(hub, release, tmp_path):  # noqa: F811
    from mt_datasets.syn_ta.release import convert_release

    converted = convert_release(release, tmp_path / "syn-ta-release", workers=1)
    published(mt_datasets("publish", str(converted), "--repo-id", "me/syn-ta-release", env=_env(hub, tmp_path),
                          cwd=tmp_path))  # fmt: skip
    assert remote_files(hub, "dataset", "me/syn-ta-release").items() >= local_files(converted).items()
    result = read_back(hub, tmp_path, "me/syn-ta-release", "set1", "set2", "all")
    for config in ("set1", "set2", "all"):
        assert result[config] == local_ids(converted, config), config


def test_private_publish_to_a_branch_is_read_with_a_token_only(hub, syn_ta, tmp_path):
    args = [
        "publish",
        str(syn_ta),
        "--repo-id",
        "me/syn-ta-private",
        "--private",
        "--revision",
        "dev",
        "--tag",
        "dev-1",
    ]
    published(mt_datasets(*args, env=_env(hub, tmp_path), cwd=tmp_path))
    repo = hub.repos[("dataset", "me/syn-ta-private")]
    assert repo.private and repo.tags["dev-1"] == repo.branches["dev"] != repo.branches["main"]
    assert "README.md" not in remote_files(hub, "dataset", "me/syn-ta-private", "main")  # main is untouched
    result = read_back(hub, tmp_path, "me/syn-ta-private", "set2", revision="dev", tag="dev-1")
    assert result["set2"] == local_ids(syn_ta, "set2") and result["tag"] == result["set2"]["train"]
    env = {**_env(hub, tmp_path, token=None), "HF_HOME": str(tmp_path / "anonymous")}
    code = "import datasets, sys; datasets.load_dataset('me/syn-ta-private', 'set2', revision='dev')"
    anonymous = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert anonymous.returncode != 0 and "DatasetNotFoundError" in anonymous.stderr


def test_a_new_version_replaces_the_old_one_and_the_old_tag_still_reads_it(hub, syn_ta, tmp_path):
    env = _env(hub, tmp_path)
    published(mt_datasets("publish", str(syn_ta), "--repo-id", "me/versions", "--tag", "v1", env=env, cwd=tmp_path))
    commits = len(hub.repos[("dataset", "me/versions")].commits)
    published(mt_datasets("publish", str(syn_ta), "--repo-id", "me/versions", "--tag", "v1", env=env, cwd=tmp_path))
    assert len(hub.repos[("dataset", "me/versions")].commits) == commits  # the same version again: nothing sent

    bigger = make_tiny_dataset(tmp_path / "syn-ta-v2", coarse_classes=(0, 1, 2), clips_per_fine=1)
    refused = one_line(
        mt_datasets("publish", str(bigger), "--repo-id", "me/versions", "--tag", "v1", env=env, cwd=tmp_path)
    )
    assert "already has the tag 'v1' on another version; nothing was uploaded" in refused
    published(mt_datasets("publish", str(bigger), "--repo-id", "me/versions", "--tag", "v2", env=env, cwd=tmp_path))
    stored = remote_files(hub, "dataset", "me/versions")
    assert {p: s for p, s in stored.items() if p != ".gitattributes"} == local_files(bigger)  # old shards deleted
    result = read_back(hub, tmp_path, "me/versions", "set1", "all", tag="v2")
    assert result["all"] == local_ids(bigger, "all") and result["tag"] == local_ids(bigger, "set1")["train"]
    v1 = read_back(hub, tmp_path, "me/versions", "set1", revision="v1")
    assert v1["set1"] == local_ids(syn_ta, "set1") != local_ids(bigger, "set1")


@pytest.fixture(scope="module")
def k400_ta(dataset_dir) -> Path:  # noqa: F811
    """test_publish's metadata-only K400-TA build (two clips of each set, both splits)."""
    return dataset_dir


@pytest.fixture(scope="module")
def ssv2_ta(tmp_path_factory) -> Path:
    """A metadata-only SSv2-TA build (a clip of each set in train and validation)."""
    from mt_datasets.sources.ssv2 import build_ssv2_ta

    taxonomy = get_taxonomy("ssv2-ta")
    set1, set2 = taxonomy.fine_names_of_set(1)[0], taxonomy.fine_names_of_set(2)[0]
    annotations = tmp_path_factory.mktemp("hub-ssv2-annotations")
    (annotations / "labels.json").write_text(json.dumps({n: str(i) for i, n in enumerate(taxonomy.fine_names)}))

    def entry(video_id: str, name: str) -> dict:
        return {"id": video_id, "label": name.lower(), "template": name.replace("something", "[something]", 1)}

    (annotations / "train.json").write_text(json.dumps([entry("101", set1), entry("102", set2)]))
    (annotations / "validation.json").write_text(json.dumps([entry("201", set1), entry("202", set2)]))
    return build_ssv2_ta(annotations, tmp_path_factory.mktemp("hub-ssv2") / "ssv2-ta")


def test_k400_and_ssv2_metadata_builds_publish_and_load(hub, k400_ta, ssv2_ta, tmp_path):
    env = _env(hub, tmp_path)
    for folder, repo in ((k400_ta, "me/k400-ta"), (ssv2_ta, "me/ssv2-ta")):
        published(mt_datasets("publish", str(folder), "--repo-id", repo, env=env, cwd=tmp_path))
        result = read_back(hub, tmp_path, repo, "set1", "set2", "all")
        for config in ("set1", "set2", "all"):
            assert result[config] == local_ids(folder, config), (repo, config)
        assert "video" not in result["stream"]["columns"]  # metadata only


def test_a_repository_holding_another_dataset_is_refused_unless_overwrite(hub, k400_ta, ssv2_ta, tmp_path):
    env = _env(hub, tmp_path)
    published(mt_datasets("publish", str(k400_ta), "--repo-id", "me/taken", env=env, cwd=tmp_path))
    before = remote_files(hub, "dataset", "me/taken")
    refused = one_line(mt_datasets("publish", str(ssv2_ta), "--repo-id", "me/taken", env=env, cwd=tmp_path))
    assert "me/taken already holds the dataset 'k400-ta', not 'ssv2-ta'; nothing was uploaded" in refused
    assert "--overwrite" in refused and remote_files(hub, "dataset", "me/taken") == before
    published(mt_datasets("publish", str(ssv2_ta), "--repo-id", "me/taken", "--overwrite", env=env, cwd=tmp_path))
    stored = remote_files(hub, "dataset", "me/taken")
    assert {p: s for p, s in stored.items() if p != ".gitattributes"} == local_files(ssv2_ta)
    assert read_back(hub, tmp_path, "me/taken", "set1")["set1"] == local_ids(ssv2_ta, "set1")


def test_an_interrupted_upload_resumes_and_sends_only_what_is_missing(hub, syn_ta, tmp_path):
    env = _env(hub, tmp_path)
    shrink = "import mt_datasets.hub.publish as p; p.COMMIT_MAX_FILES = 2"
    args = ("publish", str(syn_ta), "--repo-id", "me/interrupted")
    uploads_before = len(hub.lfs_uploads)
    hub.drop_next("commit", 2)  # the second commit reaches the server, its answer never leaves
    failed = one_line(mt_datasets(*args, env=env, cwd=tmp_path, setup=shrink))
    assert "the connection to the Hub at http://127.0.0.1:" in failed and "rerun the same command" in failed
    repo = hub.repos[("dataset", "me/interrupted")]
    partial = remote_files(hub, "dataset", "me/interrupted")
    assert 1 < len(partial) < len(local_files(syn_ta)) and not repo.tags
    first_run = hub.lfs_uploads[uploads_before:]
    published(mt_datasets(*args, env=env, cwd=tmp_path, setup=shrink))
    second_run = hub.lfs_uploads[uploads_before + len(first_run) :]
    assert not set(first_run) & set(second_run)  # nothing uploaded twice
    assert {p: s for p, s in remote_files(hub, "dataset", "me/interrupted").items() if p != ".gitattributes"} == (
        local_files(syn_ta)
    )
    assert sorted(repo.tags) == ["v" + json.loads((syn_ta / "meta/info.json").read_text())["format_version"].__str__()]
    assert read_back(hub, tmp_path, "me/interrupted", "set1")["set1"] == local_ids(syn_ta, "set1")


_EVALUATE = """
import importlib.util, json, sys
assert importlib.util.find_spec("mt_metrics") is None and importlib.util.find_spec("mt_datasets") is None
import evaluate
metric = evaluate.load(sys.argv[1])
metric.add_batch(predictions=[0, 1, 1, 0], references=[0, 1, 0, 0], is_known=[True, True, False, False])
print(json.dumps(metric.compute(bootstrap_samples=20, seed=0)))
"""


def test_publish_metric_then_evaluate_load_from_a_fresh_cache_without_the_package(hub, tmp_path):
    done = mt_datasets(
        "publish-metric", "--repo-id", "me/motion_transferability", env=_env(hub, tmp_path), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    repo = hub.repos[("space", "me/motion_transferability")]
    assert repo.sdk == "gradio" and metric_release_tag() in repo.tags
    # -S: no site processing, so the editable install's path hook is not read; site-packages stays importable.
    env = {k: v for k, v in _env(hub, tmp_path, token=None).items() if k not in ("PYTHONPATH", "HF_MODULES_CACHE")}
    env.update(PYTHONPATH=sysconfig.get_paths()["purelib"], HF_HOME=str(tmp_path / "fresh-home"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    requests = len(hub.requests)
    scores = run_python_json(
        _EVALUATE, "me/motion_transferability", cwd=scratch, env=env, python=[sys.executable, "-S"]
    )
    assert scores["known_accuracy"] == 1.0 and scores["unknown_accuracy"] == 0.5
    assert any("/spaces/me/motion_transferability/resolve/" in r for r in hub.requests[requests:])


@pytest.fixture(scope="module")
def pushed_model(hub, syn_ta, tmp_path_factory) -> str:
    from mt_models import save_tiny_checkpoint

    work = tmp_path_factory.mktemp("hub-train")
    backbone = save_tiny_checkpoint("videomae", work / "backbone")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "train.py"), "--dataset", str(syn_ta), "--model", str(backbone),
         "--output_dir", "out", "--num_epochs", "1", "--batch_size", "4", "--num_workers", "0",
         "--push_to_hub", "--hub_model_id", "me/tiny"],
        cwd=work, env=_env(hub, work), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return "me/tiny"


_PIPELINE = """
import json, sys
import mt_models
from transformers import pipeline

classify = pipeline("video-classification", model=sys.argv[1])
print(json.dumps(classify(sys.argv[2], top_k=1)))
"""


def test_train_push_to_hub_then_eval_and_pipeline_from_the_hub_id(hub, pushed_model, syn_ta, tmp_path):
    stored = remote_files(hub, "model", pushed_model)
    assert {"config.json", "model.safetensors", "README.md", "train_results.json"} <= set(stored)
    env = _env(hub, tmp_path)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "eval.py"), "--dataset", str(syn_ta), "--model", pushed_model,
         "--output_dir", "out", "--update_model_card"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    scores = json.loads(done.stdout.strip().splitlines()[-1])
    # --update_model_card on a Hub id pushed the scores into the card's model-index
    from huggingface_hub import ModelCard

    card = (
        hub.content(
            hub.repos[("model", pushed_model)].commits[hub.repos[("model", pushed_model)].branches["main"]][1][
                "README.md"
            ]
        )
    ).read_text()  # noqa: E501
    index = {r.metric_type: r.metric_value for r in ModelCard(card).data.eval_results}
    assert index["known_accuracy"] == scores["known_accuracy"] and "harmonic_mean" in index
    video = tmp_path / "clip.mp4"
    write_test_video(video)
    [answer] = run_python_json(
        _PIPELINE, pushed_model, str(video), cwd=tmp_path, env={**env, "HF_HOME": str(tmp_path / "h2")}
    )
    assert answer["label"] in get_taxonomy("syn-ta").coarse_names and 0 < answer["score"] <= 1
    shutil.rmtree(tmp_path / "h2", ignore_errors=True)
