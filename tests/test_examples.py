"""examples/: train.py, eval.py, run_protocol.py and quickstart.py run as scripts on a tiny real-mp4 dataset.

In-process runs go through ``runpy`` with ``sys.argv`` (the script's own ``__main__`` path); the two-process
evaluation goes through ``accelerate launch`` with two gloo processes.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
from factories import EXAMPLES, accelerate_launch, make_tiny_dataset, run_example
from safetensors.torch import load_file
from scripts.models_checkpoints import make_xclip_checkpoint

from mt_datasets import get_taxonomy
from mt_models import save_tiny_checkpoint
from mt_models.models.open_vocab import DEFAULT_PROMPT_TEMPLATE, make_prompts
from mt_models.scoring.records import FORMAT_VERSION, read_record

pytestmark = pytest.mark.slow  # started first under pytest-xdist (tests/conftest.py)

TRAIN_ARGS = ["--num_epochs", "2", "--batch_size", "4", "--learning_rate", "1e-3", "--num_workers", "1"]


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory) -> Path:
    return make_tiny_dataset(tmp_path_factory.mktemp("examples-syn-ta"))


@pytest.fixture(scope="session")
def corrupt_dataset_dir(dataset_dir, tmp_path_factory) -> Path:
    """The tiny dataset with the video of one known-split (set-1 val) row truncated."""
    out = tmp_path_factory.mktemp("corrupt") / "syn-ta"
    shutil.copytree(dataset_dir, out)
    shard = next((out / "data").glob("set1-val-*.parquet"))
    table = pq.read_table(shard)
    rows = table.to_pylist()
    rows[3]["video"]["bytes"] = rows[3]["video"]["bytes"][:300]
    pq.write_table(table.from_pylist(rows, schema=table.schema), shard)
    return out


@pytest.fixture(scope="session")
def backbone_dir(tmp_path_factory) -> Path:
    return save_tiny_checkpoint("videomae", tmp_path_factory.mktemp("videomae-tiny"))


@pytest.fixture(scope="session")
def trained(dataset_dir, backbone_dir, tmp_path_factory) -> Path:
    """An uninterrupted run with checkpoints every 2 steps."""
    out = tmp_path_factory.mktemp("train-full")
    run_example(
        "train",
        *("--dataset", str(dataset_dir), "--model", str(backbone_dir), "--output_dir", str(out)),
        *TRAIN_ARGS,
        "--checkpointing_steps",
        "2",
    )
    return out


def test_train_writes_model_card_and_summary(trained):
    summary = json.loads((trained / "train_results.json").read_text())
    assert summary["steps"] == 10 and summary["epochs_run"] == 2 and not summary["stopped_early"]
    assert (trained / "model.safetensors").is_file() and (trained / "step_4").is_dir()
    card = (trained / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers") and "videomae disentangled" in card


@pytest.mark.cpu_sensitive
def test_resumed_run_ends_like_an_uninterrupted_one(dataset_dir, backbone_dir, trained, tmp_path):
    common = ["--dataset", str(dataset_dir), "--model", str(backbone_dir), "--output_dir", str(tmp_path)]
    common += [*TRAIN_ARGS, "--checkpointing_steps", "2"]
    run_example("train", *common, "--stop_after_steps", "7")  # interrupted mid epoch 1, last checkpoint at step 6
    assert not (tmp_path / "model.safetensors").exists()
    run_example("train", *common, "--resume_from_checkpoint", "latest")
    full, resumed = load_file(trained / "model.safetensors"), load_file(tmp_path / "model.safetensors")
    assert full.keys() == resumed.keys()
    # Exact on any machine: steps 7-10 are the same computation in both runs (the checkpoint restores the weights,
    # the optimizer and the RNG bit for bit; the same batches come through the same code path, one data worker each).
    assert all(torch.equal(full[k], resumed[k]) for k in full)

    scores = []
    for model_dir in (trained, tmp_path):
        eval_dir = model_dir / "eval"
        run_example("eval", "--dataset", str(dataset_dir), "--model", str(model_dir), "--output_dir", str(eval_dir))
        scores.append(read_record(eval_dir).scores)
    assert scores[0] == scores[1]  # equal weights, same batches, same process: the same computation


@pytest.mark.cpu_sensitive
def test_cached_clips_train_like_decoding_every_epoch(dataset_dir, backbone_dir, trained, tmp_path):
    run_example(
        "train",
        *("--dataset", str(dataset_dir), "--model", str(backbone_dir), "--output_dir", str(tmp_path)),
        *TRAIN_ARGS,
        "--cache_clips",
    )
    full, cached = load_file(trained / "model.safetensors"), load_file(tmp_path / "model.safetensors")
    assert full.keys() == cached.keys()
    # Not the same computation: cached clips are prepared in the main process, decoded ones in a data worker (one
    # thread), so the float ops before the model may take other kernels on some CPUs; on an AMD EPYC the weights
    # differed by up to 1.3e-8 after 10 steps. A wrong clip, label or order moves them by ~1e-3 (learning rate 1e-3),
    # so these tolerances (a few hundred float32 ulps) still catch any real difference.
    for name in full:
        torch.testing.assert_close(cached[name], full[name], rtol=1e-5, atol=1e-6, msg=name)


def test_two_processes_score_like_one_and_corrupt_videos_are_counted(corrupt_dataset_dir, trained, tmp_path):
    args = ["--dataset", str(corrupt_dataset_dir), "--model", str(trained), "--batch_size", "4"]
    args += ["--num_workers", "1"]
    run_example("eval", *args, "--output_dir", str(tmp_path / "one"))
    launch, env = accelerate_launch()
    completed = subprocess.run(
        [*launch, str(EXAMPLES / "eval.py"), *args, "--output_dir", str(tmp_path / "two")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    printed = json.loads(completed.stdout.strip().splitlines()[-1])
    assert printed["skipped_videos"] == {"known": 1, "unknown": 0}
    # one progress bar per split, from the main process only
    assert len(re.findall(r"(?<!un)known:   0%", completed.stderr)) == completed.stderr.count("unknown:   0%") == 1

    one, two = read_record(tmp_path / "one"), read_record(tmp_path / "two")
    assert one.skipped_videos == two.skipped_videos == {"known": 1, "unknown": 0}
    assert (one.scores["num_known"], one.scores["num_unknown"]) == (17, 18)
    assert (two.scores["num_known"], two.scores["num_unknown"]) == (17, 18)
    # Which videos are scored is exact (below); the scores are compared within one video's weight. Each process
    # batches other videos together, and a matrix kernel's summation order can depend on the batch's shape, so a
    # video's logits may differ in the last bits between one process and two: an argmax or a top-5 rank then flips
    # only at a near-tie, which moves an accuracy by 1/17 at most.
    one_video = 1 / 17 + 1e-12
    for name in ("known_accuracy", "unknown_accuracy", "known_top5_accuracy", "unknown_top5_accuracy"):
        assert two.scores[name] == pytest.approx(one.scores[name], abs=one_video), name
    for name in ("one", "two"):
        per_video = json.loads((tmp_path / name / "predictions.json").read_text())
        known = [i for i, s in zip(per_video["index"], per_video["split"], strict=True) if s == "known"]
        assert known == list(range(18))  # every sample exactly once: none duplicated, none dropped
        assert per_video["decoded"].count(False) == 1
    assert one.direction == "set1->set2" and one.format_version == FORMAT_VERSION
    assert one.dataset_revision.startswith("sha256:")
    # the skipped video is named, with the decoder's reason
    truncated = pq.read_table(next((corrupt_dataset_dir / "data").glob("set1-val-*.parquet"))).to_pylist()[3]
    assert one.skipped == two.skipped
    assert [(s["split"], s["video_id"]) for s in one.skipped] == [("known", truncated["video_id"])]
    assert one.skipped[0]["reason"]


def test_eval_refuses_the_wrong_direction(dataset_dir, trained, tmp_path):
    with pytest.raises(SystemExit, match="pass --config set1"):
        run_example(
            "eval", "--dataset", str(dataset_dir), "--config", "set2", "--model", str(trained),
            "--output_dir", str(tmp_path),
        )  # fmt: skip


def test_open_vocabulary_eval_scores_both_tasks(dataset_dir, tmp_path):
    taxonomy = get_taxonomy("syn-ta")
    texts = make_prompts([*taxonomy.coarse_names, *taxonomy.fine_names], DEFAULT_PROMPT_TEMPLATE)
    checkpoint = make_xclip_checkpoint(tmp_path / "xclip", texts)
    run_example(
        "eval", "--dataset", str(dataset_dir), "--config", "set2", "--model", str(checkpoint), "--open_vocabulary",
        "--num_clips", "2", "--num_workers", "1", "--output_dir", str(tmp_path / "eval"),
    )  # fmt: skip
    record = read_record(tmp_path / "eval")
    assert record.model_kind == "open_vocabulary" and record.direction == "set2->set1" and record.num_clips == 2
    assert record.fine_scores["num_known"] == record.scores["num_known"] == 18
    assert record.extra["prompt_template"] == DEFAULT_PROMPT_TEMPLATE


def test_run_protocol_script_writes_table_and_chart(dataset_dir, backbone_dir, tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "run_protocol.py"),
            "--dataset",
            str(dataset_dir),
            "--models",
            str(backbone_dir),
            "--heads",
            "baseline",
            "--num_epochs",
            "1",
            "--batch_size",
            "9",
            "--num_workers",
            "1",
            "--bootstrap_samples",
            "20",
            "--output_dir",
            str(tmp_path),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    outputs = json.loads(completed.stdout.strip().splitlines()[-1])
    with open(outputs["table_csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    ours = [row for row in rows if row["source"] == "ours"]
    assert [row["model"] for row in ours] == [f"{backbone_dir.name}-baseline"]
    records = [read_record(tmp_path / ours[0]["model"] / "seed0" / c / "eval") for c in ("set1", "set2")]
    # The table's Known is the mean over the two directions, in percent.
    mean_known = 100 * sum(r.scores["known_accuracy"] for r in records) / 2
    assert float(ours[0]["known_accuracy"]) == pytest.approx(mean_known)
    assert float(ours[0]["known_accuracy_ci_low"]) <= float(ours[0]["known_accuracy"])
    assert any(row["source"] == "paper" and row["model"] == "X-CLIP" for row in rows)
    assert "| ours |" in Path(outputs["table_md"]).read_text()
    assert Path(outputs["chart"]).read_bytes().startswith(b"\x89PNG")


def test_quickstart_prints_headline_scores(dataset_dir, trained, capsys):
    run_example("quickstart", "--dataset", str(dataset_dir), "--model", str(trained), "--max_videos", "3")
    headline = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(headline) == {"known_accuracy", "unknown_accuracy", "absolute_drop", "harmonic_mean"}


def test_train_rejects_bad_options(dataset_dir, backbone_dir, tmp_path):
    with pytest.raises(SystemExit, match="multiple of --gradient_accumulation_steps"):
        run_example(
            "train", "--dataset", str(dataset_dir), "--model", str(backbone_dir), "--output_dir", str(tmp_path),
            "--checkpointing_steps", "3", "--gradient_accumulation_steps", "2",
        )  # fmt: skip
