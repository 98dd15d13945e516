"""The example scripts as a user meets them: one-line errors, ``--videos``, model cards, and the Hub.

Every script runs in a fresh interpreter from a scratch directory (``tmp_path``), as typed in a shell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from factories import make_tiny_dataset, run_python_json, write_test_video
from hubserver import commit_repo, olah_server, status_server
from huggingface_hub import ModelCard

from mt_datasets import get_taxonomy
from mt_datasets.sources.kinetics import build_k400_ta, kinetics_video_id
from mt_models import DisentangledVideoClassifier, create_backbone, save_tiny_checkpoint
from mt_models.models.cards import is_hub_id, training_model_card
from mt_models.scoring.records import read_record
from mt_models.train.loop import read_train_results

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
K400 = get_taxonomy("k400-ta")
pytestmark = pytest.mark.slow  # started first under pytest-xdist (tests/conftest.py)


def run(script: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python examples/<script>.py ARGS`` from ``cwd``."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{script}.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def one_line_error(done: subprocess.CompletedProcess, script: str) -> str:
    """The error a script printed: exit code 1, one line, no traceback."""
    assert done.returncode == 1, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr and lines[-1].startswith(f"{script}.py: "), done.stderr[-3000:]
    return lines[-1]


@pytest.fixture(scope="module")
def syn_ta(tiny_run) -> Path:
    return tiny_run.dataset


@pytest.fixture(scope="module")
def backbone(tiny_run) -> Path:
    return tiny_run.backbone


@pytest.fixture(scope="module")
def trained(tiny_run) -> Path:
    """``train.py --num_epochs 1 --batch_size 4 --num_workers 0`` run in a fresh interpreter (conftest's ``tiny_run``,
    shared with tests/test_pipeline.py: read it, never change it)."""
    assert "epoch 0: 100%" in tiny_run.log.read_text()  # the progress bar
    return tiny_run.model


def test_train_results_and_predictions_are_versioned(trained, syn_ta, tmp_path):
    assert read_train_results(trained)["format_version"] == 1
    done = run("eval", "--dataset", str(syn_ta), "--model", str(trained), "--output_dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "known: 100%" in done.stderr and "unknown: 100%" in done.stderr
    assert json.loads((tmp_path / "out" / "predictions.json").read_text())["format_version"] == 1


def test_a_bare_backbone_is_named_not_a_traceback(syn_ta, backbone, tmp_path):
    for script, extra in (("eval", ["--output_dir", "out"]), ("diagnose", ["--report", "out"])):
        done = run(script, "--dataset", str(syn_ta), "--model", str(backbone), *extra, cwd=tmp_path)
        message = one_line_error(done, script)
        assert f"--model {backbone} is a bare 'videomae' backbone, not a classifier trained by train.py" in message
        assert "examples/train.py --model" in message
    assert not (tmp_path / "out").exists()


def test_a_set1_model_with_config_set2_is_named(syn_ta, trained, tmp_path):
    done = run(
        "eval", "--dataset", str(syn_ta), "--config", "set2", "--model", str(trained), "--output_dir", "o", cwd=tmp_path
    )
    assert "trained on fine set 1 but --config set2" in one_line_error(done, "eval")


def test_label_spaces_are_checked_before_any_video(trained, tmp_path):
    k400 = make_tiny_dataset(tmp_path / "k400-ta", dataset="k400-ta", coarse_classes=(0,), clips_per_fine=1)
    done = run("eval", "--dataset", str(k400), "--model", str(trained), "--output_dir", "out", cwd=tmp_path)
    message = one_line_error(done, "eval")
    assert "20 coarse classes" in message and "is k400-ta with 41" in message
    assert "known:" not in done.stderr  # no video was decoded
    done = run("diagnose", "--dataset", str(k400), "--model", str(trained), "--report", "out", cwd=tmp_path)
    assert "is k400-ta with 41" in one_line_error(done, "diagnose")


@pytest.fixture(scope="module")
def k400_metadata(tmp_path_factory) -> dict[str, Path]:
    """A metadata-only K400-TA (two set-1 and two set-2 val clips, a train clip of each set), and a video folder
    without the train clips and one set-2 val clip."""
    root = tmp_path_factory.mktemp("k400-meta")
    annotations, videos = root / "annotations", root / "videos"
    annotations.mkdir()
    (videos / "val").mkdir(parents=True)
    set1 = [K400.source_name(i) for i in K400.fine_indices(1)[:2]]
    set2 = K400.source_name(K400.fine_indices(2)[0])
    header = "label,youtube_id,time_start,time_end,split\n"
    (annotations / "train.csv").write_text(
        header + f"{set1[0]},trainAAAAAA,0,10,train\n{set2},trainBBBBBB,0,10,train\n"
    )
    val = [(set1[0], "valAAAAAAAA"), (set1[1], "valBBBBBBBB"), (set2, "valCCCCCCCC"), (set2, "valDDDDDDDD")]
    (annotations / "validate.csv").write_text(header + "".join(f"{label},{yt},0,10,val\n" for label, yt in val))
    for seed, (_, youtube_id) in enumerate(val[:3]):  # valDDDDDDDD has no file
        write_test_video(videos / "val" / f"{kinetics_video_id(youtube_id, 0, 10)}.mp4", seed=seed)
    dataset = build_k400_ta(annotations, root / "k400-ta")
    classifier = DisentangledVideoClassifier.for_training_set(
        create_backbone(str(save_tiny_checkpoint("videomae", root / "backbone"))), K400, 1, dataset="k400-ta"
    )
    classifier.save_pretrained(root / "k400-classifier")
    return {"dataset": dataset, "videos": videos, "model": root / "k400-classifier"}


def test_videos_join_a_metadata_only_dataset_and_missing_ones_are_listed(k400_metadata, tmp_path):
    common = ["--dataset", str(k400_metadata["dataset"]), "--model", str(k400_metadata["model"])]
    done = run("eval", *common, "--output_dir", "out", cwd=tmp_path)
    assert "pass --videos DIR" in one_line_error(done, "eval")

    done = run("eval", *common, "--videos", str(k400_metadata["videos"]), "--output_dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    record = read_record(tmp_path / "out")
    assert (record.scores["num_known"], record.scores["num_unknown"]) == (2, 1)
    assert record.skipped_videos == {"known": 0, "unknown": 1}
    assert record.skipped == [
        {
            "split": "unknown",
            "video_id": kinetics_video_id("valDDDDDDDD", 0, 10),
            "reason": f"missing: no file val/{kinetics_video_id('valDDDDDDDD', 0, 10)}.mp4 under "
            f"{k400_metadata['videos']}",
        }
    ]
    assert record.extra["videos"] == str(k400_metadata["videos"])
    assert (tmp_path / "out" / "meta" / "presence.md").is_file()

    done = run(
        "diagnose", *common, "--videos", str(k400_metadata["videos"]), "--probes", "reverse", "--report", "diag",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    diagnosis = json.loads((tmp_path / "diag" / "diagnosis.json").read_text())
    assert [s["video_id"] for s in diagnosis["skipped"]] == [kinetics_video_id("valDDDDDDDD", 0, 10)]


def test_model_card_names_hub_ids_only_and_eval_adds_its_scores(trained, syn_ta, tmp_path):
    card = ModelCard.load(trained / "README.md")
    assert card.data.library_name == "transformers" and card.data.pipeline_tag == "video-classification"
    assert card.data.base_model is None and card.data.datasets is None  # local paths are not Hub ids
    context = {
        "base_model": "MCG-NJU/videomae-base", "backbone": "videomae", "dataset": "motion-transfer/syn-ta",
        "config": "set1", "fine_set": 1, "held_out_set": 2, "head": {"embedding_dim": 8, "fine_loss_weight": 0,
        "decorrelation_weight": 0, "adversarial_weight": 0}, "num_coarse": 20, "num_fine": 53, "num_frames": 8,
        "crop_size": (32, 32), "training": {"num_epochs": 1, "learning_rate": 0.1, "batch_size": 2, "seed": 0,
        "train_loss_per_epoch": [1.0]}, "package_version": "0",
    }  # fmt: skip
    hub_card = training_model_card(context)
    assert hub_card.data.base_model == "MCG-NJU/videomae-base"
    assert hub_card.data.datasets == ["motion-transfer/syn-ta"]
    assert is_hub_id("motion-transfer/syn-ta") and not is_hub_id(str(syn_ta)) and not is_hub_id("./runs/set1")

    mine = tmp_path / "trained"  # the card is updated in place: a copy of the shared run, reached through a link
    shutil.copytree(trained, mine)
    model_dir = tmp_path / "model"
    model_dir.symlink_to(mine, target_is_directory=True)
    done = run(
        "eval", "--dataset", str(syn_ta), "--model", str(model_dir), "--output_dir", "out", "--update_model_card",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    record = read_record(tmp_path / "out")
    results = ModelCard.load(mine / "README.md").data.eval_results
    by_type = {r.metric_type: r for r in results}
    assert by_type["known_accuracy"].metric_value == record.scores["known_accuracy"]
    assert by_type["harmonic_mean"].metric_value == record.scores["harmonic_mean"]
    first = by_type["known_accuracy"]
    assert (first.dataset_type, first.dataset_config, first.dataset_revision) == (
        syn_ta.name,
        "set1",
        record.dataset_revision,
    )
    assert first.task_type == "video-classification" and first.dataset_name == "syn-ta"


def test_push_to_hub_errors_are_one_line(syn_ta, backbone, tmp_path):
    with status_server(403) as (url, seen):
        env = {**os.environ, "HF_ENDPOINT": url, "HF_HUB_OFFLINE": "0", "HF_TOKEN": "hf_test_token"}
        done = run(
            "train", "--dataset", str(syn_ta), "--model", str(backbone), "--output_dir", "out", "--num_epochs", "1",
            "--batch_size", "4", "--num_workers", "0", "--push_to_hub", "--hub_model_id", "someone/tiny-classifier",
            cwd=tmp_path, env=env,
        )  # fmt: skip
    message = one_line_error(done, "train")
    assert "the Hub answered 403 for someone/tiny-classifier" in message
    assert "POST /api/repos/create" in seen
    assert (tmp_path / "out" / "model.safetensors").is_file()  # the local model was saved first
    done = run(
        "train", "--dataset", str(syn_ta), "--model", str(backbone), "--output_dir", "o", "--push_to_hub", cwd=tmp_path
    )
    assert "--push_to_hub needs --hub_model_id" in one_line_error(done, "train")


_FROM_HUB = """
import json, sys
import mt_models
from transformers import pipeline

classify = pipeline("video-classification", model=sys.argv[1])
print(json.dumps(classify(sys.argv[2], top_k=1)))
"""


def test_a_pushed_model_loads_from_the_hub_like_any_model(trained, syn_ta, tmp_path):
    """What push_to_hub uploads (the output directory's files; no training states here), served by olah, into
    pipeline()."""
    files = [p.name for p in trained.iterdir() if p.is_file()]
    assert {"config.json", "model.safetensors", "README.md", "train_results.json"} <= set(files)
    mirrors, server = tmp_path / "mirrors", tmp_path / "olah"
    server.mkdir()
    commit_repo(trained, mirrors, "someone/tiny-classifier", repo_type="models", files=files)
    video = tmp_path / "clip.mp4"
    write_test_video(video)
    with olah_server(mirrors, server) as url:
        env = {**os.environ, "HF_ENDPOINT": url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "home")}
        [answer] = run_python_json(_FROM_HUB, "someone/tiny-classifier", str(video), cwd=tmp_path, env=env)
    assert answer["label"] in get_taxonomy("syn-ta").coarse_names and 0 < answer["score"] <= 1


def test_a_dataset_that_is_not_there_is_one_line(backbone, tmp_path):
    done = run("train", "--dataset", "no-such-dataset", "--model", str(backbone), "--output_dir", "out", cwd=tmp_path)
    assert "no-such-dataset" in one_line_error(done, "train")


# ---- nothing half-done looks finished (issue 21) -------------------------------------------------------------------


def train_args(syn_ta: Path, backbone: Path, out: Path | str, *extra: str) -> list[str]:
    return [
        "--dataset", str(syn_ta), "--model", str(backbone), "--output_dir", str(out),
        "--batch_size", "2", "--num_workers", "0", "--num_epochs", "2", "--checkpointing_steps", "1", *extra,
    ]  # fmt: skip


def test_a_rerun_into_another_runs_directory_is_refused_and_latest_is_the_highest_step(syn_ta, backbone, tmp_path):
    done = run("train", *train_args(syn_ta, backbone, "run", "--stop_after_steps", "3"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = tmp_path / "run"
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith("step_")) == ["step_1", "step_2", "step_3"]
    assert not list(run_dir.glob("*.tmp"))  # written as step_N.tmp, renamed once complete

    done = run("train", *train_args(syn_ta, backbone, "run"), cwd=tmp_path)  # no --resume_from_checkpoint
    message = one_line_error(done, "train")
    assert "holds another run (step_1, step_2, step_3" in message
    assert "--resume_from_checkpoint latest" in message and "--overwrite_output_dir" in message
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith("step_")) == ["step_1", "step_2", "step_3"]

    os.utime(run_dir / "step_1")  # the newest file is not the furthest step
    done = run("train", *train_args(syn_ta, backbone, "run", "--resume_from_checkpoint", "latest"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"resuming from {Path('run') / 'step_3'}" in done.stdout + done.stderr

    done = run(
        "train", *train_args(syn_ta, backbone, "run", "--overwrite_output_dir", "--num_epochs", "1"), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert read_train_results(run_dir)["epochs_run"] == 1
    assert max(int(p.name.split("_")[1]) for p in run_dir.glob("step_*")) < 5  # the old run's later steps are gone


def test_latest_compares_steps_and_epochs_not_modification_times(tmp_path):
    from mt_models.train.loop import find_checkpoint

    for name in ("step_30", "epoch_1", "step_10"):  # step_10 written last
        (tmp_path / name).mkdir()
    assert find_checkpoint(tmp_path, "latest", steps_per_epoch=10).name == "step_30"
    assert find_checkpoint(tmp_path, "latest", steps_per_epoch=20).name == "epoch_1"  # ends at step 40


def test_an_incomplete_or_truncated_checkpoint_is_refused_naming_the_file(syn_ta, backbone, tmp_path):
    done = run("train", *train_args(syn_ta, backbone, "run", "--stop_after_steps", "2"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    latest = tmp_path / "run" / "step_2"
    states = latest / "random_states_0.pkl"
    kept = states.read_bytes()
    states.unlink()  # as a kill during save_state leaves it
    resume = train_args(syn_ta, backbone, "run", "--resume_from_checkpoint", "latest")
    message = one_line_error(run("train", *resume, cwd=tmp_path), "train")
    assert f"checkpoint {Path('run') / 'step_2'} is incomplete: random_states_0.pkl missing" in message
    assert "resume from an earlier checkpoint" in message
    states.write_bytes(kept[: len(kept) // 2])
    assert "random_states_0.pkl is truncated" in one_line_error(run("train", *resume, cwd=tmp_path), "train")
    states.write_bytes(kept)
    weights = latest / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    assert "model.safetensors is truncated" in one_line_error(run("train", *resume, cwd=tmp_path), "train")


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("--num_epochs", "0", "argument --num_epochs: 0 must be at least 1"),
        ("--num_epochs", "-3", "argument --num_epochs: -3 must be at least 1"),
        ("--batch_size", "0", "argument --batch_size: 0 must be at least 1"),
        ("--learning_rate", "-1", "argument --learning_rate: -1 must be a positive number"),
    ],
)
def test_nothing_untrained_is_saved_for_zero_or_negative_options(syn_ta, backbone, tmp_path, option, value, expected):
    done = run("train", "--dataset", "no-such-dataset", "--model", str(backbone), "--output_dir", "out",
               f"{option}={value}", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and expected in done.stderr.splitlines()[-1], done.stderr[-3000:]
    assert not (tmp_path / "out").exists()


def test_bad_option_values_are_one_line_before_any_dataset_loads(backbone, tmp_path):
    # The dataset does not exist: an error about it would mean it was looked for first.
    common = ["--dataset", "no-such-dataset", "--model", str(backbone)]
    message = one_line_error(run("train", *common, "--output_dir", "o", "--modality", "bogus", cwd=tmp_path), "train")
    assert "--modality: input modality 'bogus' is not understood" in message
    done = run("diagnose", *common, "--report", "r", "--probes", "reverse,nonsense", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "argument --probes" not in done.stderr and "--probes: Unknown probe 'nonsense'" in done.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "r").exists()


def test_a_damaged_weights_file_is_named_with_the_fix(trained, syn_ta, tmp_path):
    damaged = tmp_path / "model"
    shutil.copytree(trained, damaged)
    weights = damaged / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    done = run("eval", "--dataset", str(syn_ta), "--model", str(damaged), "--output_dir", "out", cwd=tmp_path)
    message = one_line_error(done, "eval")
    assert f"{weights} is truncated" in message and "copy the model again or retrain it" in message
    weights.write_bytes(b"\x08")
    assert f"{weights} is truncated or not a safetensors file" in one_line_error(
        run("eval", "--dataset", str(syn_ta), "--model", str(damaged), "--output_dir", "out", cwd=tmp_path), "eval"
    )


def test_eval_with_none_of_the_videos_stops_in_one_line(k400_metadata, tmp_path):
    common = ["--dataset", str(k400_metadata["dataset"]), "--model", str(k400_metadata["model"])]
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run("eval", *common, "--videos", str(empty), "--output_dir", "out", cwd=tmp_path)
    message = one_line_error(done, "eval")
    assert "the known split has no decodable video: 2 missing, 0 undecodable of 2" in message
    assert not (tmp_path / "out" / "all_results.json").exists()


def test_eval_with_no_known_video_stops_in_one_line_not_in_the_metric(k400_metadata, tmp_path):
    common = ["--dataset", str(k400_metadata["dataset"]), "--model", str(k400_metadata["model"])]
    only_unknown = tmp_path / "only-unknown"
    shutil.copytree(k400_metadata["videos"], only_unknown)
    for youtube_id in ("valAAAAAAAA", "valBBBBBBBB"):  # the known (set-1) ones: one gone, one broken
        path = only_unknown / "val" / f"{kinetics_video_id(youtube_id, 0, 10)}.mp4"
        path.unlink() if youtube_id == "valAAAAAAAA" else path.write_bytes(b"not a video")
    done = run("eval", *common, "--videos", str(only_unknown), "--output_dir", "out2", cwd=tmp_path)
    assert "the known split has no decodable video: 1 missing, 1 undecodable of 2" in one_line_error(done, "eval")
    assert not (tmp_path / "out2" / "all_results.json").exists()


def test_train_joins_a_metadata_only_dataset_with_your_videos(k400_metadata, tmp_path):
    backbone = str(save_tiny_checkpoint("videomae", tmp_path / "backbone"))
    common = ["--dataset", str(k400_metadata["dataset"]), "--model", backbone, "--num_epochs", "1"]
    common += ["--batch_size", "1", "--num_workers", "0"]
    done = run("train", *common, "--output_dir", "none", cwd=tmp_path)
    assert "pass --videos DIR" in one_line_error(done, "train")
    done = run("train", *common, "--videos", str(k400_metadata["videos"]), "--output_dir", "none", cwd=tmp_path)
    assert "the train split has no decodable video: 1 missing, 0 undecodable of 1" in one_line_error(done, "train")
    assert not (tmp_path / "none" / "model.safetensors").exists()

    videos = tmp_path / "videos"
    shutil.copytree(k400_metadata["videos"], videos)
    (videos / "train").mkdir()
    write_test_video(videos / "train" / f"{kinetics_video_id('trainAAAAAA', 0, 10)}.mp4", seed=7)
    done = run("train", *common, "--videos", str(videos), "--output_dir", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    results = read_train_results(tmp_path / "run")
    assert results["steps"] == 1 and results["skipped_videos"] == {"missing": 0, "undecodable": 0}
    done = run("eval", "--dataset", str(k400_metadata["dataset"]), "--model", "run", "--videos", str(videos),
               "--output_dir", "eval", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("script", ["train", "eval", "diagnose", "demo", "run_protocol", "quickstart"])
def test_every_script_answers_help_at_once(script, tmp_path):
    # ~0.1-0.2 s here (bench/bench_help.py; 7-8 s when torch and transformers loaded first). 2 s leaves room for a
    # loaded CI machine while still failing if a heavy import comes back before the arguments are read.
    times = []
    for _ in range(2):
        start = time.perf_counter()
        done = run(script, "--help", cwd=tmp_path)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0 and "usage:" in done.stdout, done.stderr[-3000:]
    assert min(times) < 2.0, times
