"""One run, one directory, and numbers that mean what they say (issue 28).

Every script that writes refuses, before any work, an output directory that holds what it does not make (a dataset,
a user's README, a file where the folder should be) or that another live run holds; a resume continues the same run
only; and the small mistakes a user makes end in one line. The scripts run in this process (``run_example``); their
one-line errors come back as ``SystemExit`` with the message.
"""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
from factories import hold_directory_lock, make_tiny_dataset, run_example

from mt_datasets import get_taxonomy
from mt_datasets.commands.cli import main as cli_main
from mt_models import DisentangledVideoClassifier, create_backbone, save_tiny_checkpoint
from mt_models.experiments.findings import findings
from mt_models.scoring.records import read_record
from mt_models.train.loop import read_train_results

SYN_TA = get_taxonomy("syn-ta")


def refusal(script: str, *args: str) -> str:
    """The one line a script ends with (``SCRIPT.py: ...``); fails if it ran to the end."""
    with pytest.raises(SystemExit) as stopped:
        run_example(script, *args)
    message = str(stopped.value.code)
    assert message.startswith(f"{script}.py: ") and "\n" not in message, message
    return message


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def syn_ta(tmp_path_factory) -> Path:
    return make_tiny_dataset(tmp_path_factory.mktemp("runs-syn-ta") / "syn-ta", coarse_classes=(0, 1), clips_per_fine=1)


@pytest.fixture(scope="module")
def other_classes(tmp_path_factory) -> Path:
    """A Syn-TA of other coarse classes than ``syn_ta`` (none trained on)."""
    return make_tiny_dataset(tmp_path_factory.mktemp("runs-other") / "syn-ta", coarse_classes=(2, 3), clips_per_fine=1)


@pytest.fixture(scope="module")
def backbone(tmp_path_factory) -> Path:
    return save_tiny_checkpoint("videomae", tmp_path_factory.mktemp("runs-videomae"))


def train_args(syn_ta: Path, backbone: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--dataset", str(syn_ta), "--model", str(backbone), "--output_dir", str(out),
        "--batch_size", "2", "--num_workers", "0", "--num_epochs", "2", "--checkpointing_steps", "1", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def trained(syn_ta, backbone, tmp_path_factory) -> Path:
    """An uninterrupted two-epoch run with a checkpoint at every step."""
    out = tmp_path_factory.mktemp("runs-trained") / "run"
    run_example("train", *train_args(syn_ta, backbone, out))
    return out


# ---- an output directory belongs to one run ------------------------------------------------------------------------


def test_train_refuses_a_dataset_folder_and_a_users_readme(syn_ta, backbone, tmp_path):
    before = snapshot(syn_ta)
    message = refusal("train", *train_args(syn_ta, backbone, syn_ta))
    assert f"--output_dir {syn_ta} is a dataset folder" in message and "README.md" in message
    assert "nothing was written" in message
    assert snapshot(syn_ta) == before  # the dataset's card and files untouched, no lock left inside

    mine = tmp_path / "my-project"
    mine.mkdir()
    (mine / "README.md").write_text("# my notes\n")
    message = refusal("train", *train_args(syn_ta, backbone, mine, "--overwrite_output_dir"))
    assert f"--output_dir {mine} holds README.md, which a training does not write" in message
    assert (mine / "README.md").read_text() == "# my notes\n" and sorted(p.name for p in mine.iterdir()) == [
        "README.md"
    ]

    checkpoint = tmp_path / "a-backbone"  # a backbone's checkpoint (config.json of another model) is not a run's
    shutil.copytree(backbone, checkpoint)
    assert "config.json" in refusal("train", *train_args(syn_ta, backbone, checkpoint, "--overwrite_output_dir"))


def test_train_onto_a_file_is_refused_before_training(syn_ta, backbone, tmp_path, capsys):
    target = tmp_path / "model.bin"
    target.write_bytes(b"keep me")
    message = refusal("train", *train_args(syn_ta, backbone, target))
    assert f"--output_dir {target} is a file, not a folder" in message
    assert "epoch 0" not in capsys.readouterr().err  # refused before any training
    message = refusal("train", *train_args(syn_ta, backbone, target / "run"))
    assert f"lies under {target}, which is a file" in message
    assert target.read_bytes() == b"keep me"


@pytest.mark.parametrize("script", ["train", "eval", "diagnose", "run_protocol", "demo"])
def test_a_directory_another_live_run_holds_is_refused_naming_it(script, syn_ta, backbone, tmp_path):
    out = tmp_path / "out"
    args = {
        "train": train_args(syn_ta, backbone, out),
        "eval": ["--dataset", str(syn_ta), "--model", str(backbone), "--output_dir", str(out)],
        "diagnose": ["--dataset", str(syn_ta), "--model", str(backbone), "--report", str(out)],
        "run_protocol": ["--dataset", str(syn_ta), "--models", str(backbone), "--output_dir", str(out)],
        "demo": ["--output_dir", str(out), "--num_epochs", "1"],
    }[script]
    with hold_directory_lock(out, command="train.py --output_dir out") as pid:
        message = refusal(script, *args)
    assert f"is being written by another process (pid {pid} on " in message
    assert "running `train.py --output_dir out`" in message
    assert not out.exists()  # nothing was made


def test_eval_and_diagnose_refuse_a_dataset_folder_and_an_existing_file(syn_ta, trained, tmp_path, capsys):
    before = snapshot(syn_ta)
    message = refusal("eval", "--dataset", str(syn_ta), "--model", str(trained), "--output_dir", str(syn_ta))
    assert f"--output_dir {syn_ta} is a dataset folder" in message and "an evaluation does not write" in message
    message = refusal("diagnose", "--dataset", str(syn_ta), "--model", str(trained), "--report", str(syn_ta))
    assert f"--report {syn_ta} is a dataset folder" in message
    assert snapshot(syn_ta) == before  # meta/ (presence report included) untouched

    target = tmp_path / "results.json"
    target.write_text("{}")
    message = refusal("eval", "--dataset", str(syn_ta), "--model", str(trained), "--output_dir", str(target))
    assert f"--output_dir {target} is a file, not a folder" in message
    message = refusal("diagnose", "--dataset", str(syn_ta), "--model", str(trained), "--report", str(target))
    assert f"--report {target} is a file, not a folder" in message
    assert target.read_text() == "{}"
    assert "known:" not in capsys.readouterr().err  # no video decoded


def test_overwrite_replaces_only_what_a_training_wrote(syn_ta, backbone, trained, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(trained, run_dir)
    (run_dir / "notes.txt").write_text("mine")
    message = refusal("train", *train_args(syn_ta, backbone, run_dir, "--overwrite_output_dir"))
    assert "holds notes.txt, which a training does not write" in message
    (run_dir / "notes.txt").unlink()
    run_example("train", *train_args(syn_ta, backbone, run_dir, "--overwrite_output_dir", "--num_epochs", "1"))
    assert read_train_results(run_dir)["epochs_run"] == 1


# ---- a resume continues the same run -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (["--batch_size", "1"], "--batch_size 2, this one 1"),
        (["--config", "set2"], "--config 'set1', this one 'set2'"),
        (["--modality", "diff"], "--modality 'rgb', this one 'diff'"),
        (["--seed", "3"], "--seed 0, this one 3"),
        (["--head", "baseline"], "--head 'disentangled', this one 'baseline'"),
        ("other dataset", "--dataset"),
    ],
)
def test_a_resume_with_other_options_is_refused_naming_the_difference(
    change, named, syn_ta, other_classes, backbone, trained, tmp_path
):
    run_dir = tmp_path / "run"
    shutil.copytree(trained, run_dir)
    dataset = other_classes if change == "other dataset" else syn_ta
    extra = [] if change == "other dataset" else change
    message = refusal(
        "train", *train_args(dataset, backbone, run_dir, "--resume_from_checkpoint", f"{run_dir}/step_1", *extra)
    )
    assert f"--resume_from_checkpoint {run_dir}/step_1: that run used {named}" in message
    assert "resume with the same options" in message


@pytest.mark.parametrize("stop", ["mid_epoch", "end_of_epoch"])
def test_a_resumed_record_holds_every_epochs_loss(stop, syn_ta, backbone, trained, tmp_path):
    full = read_train_results(trained)
    steps_per_epoch = full["steps"] // 2
    stop_after = steps_per_epoch + (1 if stop == "mid_epoch" and steps_per_epoch > 1 else 0)
    run_example("train", *train_args(syn_ta, backbone, tmp_path, "--stop_after_steps", str(stop_after)))
    run_example("train", *train_args(syn_ta, backbone, tmp_path, "--resume_from_checkpoint", "latest"))
    resumed = read_train_results(tmp_path)
    assert resumed["epochs_run"] == 2 and resumed["resumed_from"].endswith(f"step_{stop_after}")
    # The same computation as the uninterrupted run: the same losses, bit for bit.
    assert resumed["train_loss_per_epoch"] == full["train_loss_per_epoch"]


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"),
     RuntimeError("[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file data/0: "
                  "file write failed")],  # what torch.save raises on a full disk
)  # fmt: skip
def test_a_full_disk_during_a_checkpoint_is_one_line_naming_the_space(failure, syn_ta, backbone, tmp_path, monkeypatch):
    import accelerate.checkpointing

    def full_disk(*args, **kwargs):
        raise failure

    monkeypatch.setattr(accelerate.checkpointing, "save", full_disk)
    message = refusal("train", *train_args(syn_ta, backbone, tmp_path / "run"))
    assert f"no space left on the disk of {tmp_path / 'run'} while writing checkpoint step_1" in message
    assert "MiB free" in message and "--resume_from_checkpoint latest" in message
    assert not list((tmp_path / "run").glob("step_*"))  # no partial checkpoint left for `latest` to pick


# ---- numbers that mean what they say -------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["demo", "run_protocol"])
def test_repeated_seeds_are_refused_in_one_line(script, syn_ta, backbone, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["--output_dir", str(out), "--seeds", "0", "1", "0"]
    if script == "run_protocol":
        args += ["--dataset", str(syn_ta), "--models", str(backbone)]
    with pytest.raises(SystemExit) as stopped:
        run_example(script, *args)
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--seeds 0 1 0 names seed 0 more than once" in error and "--seeds 0 1" in error
    assert not out.exists()


def test_eval_says_when_the_model_was_trained_on_none_or_only_some_of_the_classes(
    trained, other_classes, tmp_path, capsys
):
    run_example("eval", "--dataset", str(other_classes), "--model", str(trained), "--output_dir", str(tmp_path / "a"))
    names = [SYN_TA.coarse_names[c] for c in (2, 3)]
    note = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note: ")]
    assert len(note) == 1 and "no coarse class of the data" in note[0] and all(n in note[0] for n in names)
    untrained = read_record(tmp_path / "a").extra["untrained_classes"]
    assert untrained["classes_not_trained"] == names
    assert untrained["classes_trained"] == sorted(SYN_TA.coarse_names[c] for c in (0, 1))

    mixed = make_tiny_dataset(tmp_path / "mixed", coarse_classes=(1, 2), clips_per_fine=1)
    run_example("eval", "--dataset", str(mixed), "--model", str(trained), "--output_dir", str(tmp_path / "b"))
    assert "1 of the 2 coarse classes of the data were not in the model's training data" in capsys.readouterr().out
    assert read_record(tmp_path / "b").extra["untrained_classes"]["classes_not_trained"] == [SYN_TA.coarse_names[2]]


def test_a_class_is_never_among_both_the_best_and_the_worst_transferring():
    names = ["rising", "falling", "moving in a path", "orbiting", "bouncing", "spinning"]
    per_class = {"paper": {name: (90.0, 80.0 - 10 * k) for k, name in enumerate(names)}}
    rows = {("paper", "fg+diff", "baseline"): {"known_accuracy": 90.0, "unknown_accuracy": 50.0,
                                               "absolute_drop": 40.0}}  # fmt: skip
    line = next(line for line in findings(rows, chance=5.0, per_class=per_class) if "transfer best" in line)
    best, worst = line.split("transfer best: ")[1].split("; worst: ")
    assert not {n.split(" (")[0] for n in best.split(", ")} & {n.split(" (")[0] for n in worst.split(", ")}
    assert best.startswith("rising (80/90), falling (70/90), moving in a path (60/90)")
    assert worst.startswith("spinning (30/90), bouncing (40/90), orbiting (50/90)")


# ---- the unclear cases end in one clear line -----------------------------------------------------------------------


def test_a_mistyped_local_path_is_named_not_the_network(syn_ta, trained, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copytree(syn_ta, tmp_path / "data" / "syn-ta")
    message = refusal("train", "--dataset", "data/syn-tq", "--model", "videomae", "--output_dir", "out")
    assert "--dataset data/syn-tq: no such folder (data/syn-tq does not exist). Did you mean 'syn-ta'?" in message
    (tmp_path / "runs").mkdir()
    shutil.copytree(trained, tmp_path / "runs" / "set1", ignore=shutil.ignore_patterns("step_*"))
    message = refusal("eval", "--dataset", "data/syn-ta", "--model", "runs/set2", "--output_dir", "out")
    assert "--model runs/set2: no such folder (runs/set2 does not exist). Did you mean 'set1'?" in message
    message = refusal("diagnose", "--dataset", "data/syn-ta", "--model", "runs/set2", "--report", "out")
    assert "--model runs/set2: no such folder" in message
    assert "Hub" not in message and "network" not in message and not (tmp_path / "out").exists()


def test_publish_names_a_model_folder_a_missing_folder_and_a_bad_tag(syn_ta, trained, tmp_path, capsys):
    def publish_error(*args: str) -> str:
        assert cli_main(["publish", *args, "--repo-id", "me/set", "--dry-run"]) != 0
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        return lines[0]

    assert "is a model's folder (config.json), not a dataset" in publish_error(str(trained))
    mistyped = syn_ta.parent / "syn-tq"
    assert f"{mistyped} does not exist" in publish_error(str(mistyped))
    assert "Did you mean 'syn-ta'?" in publish_error(str(mistyped))
    assert not mistyped.exists() and not list(syn_ta.parent.glob(".syn-tq*"))  # no lock made beside it
    message = publish_error(str(syn_ta), "--tag", "my release 1")
    assert "--tag 'my release 1' is not a valid tag name" in message and "--tag my-release-1" in message
    assert cli_main(["publish", str(syn_ta), "--repo-id", "me/set", "--dry-run", "--tag", "v1.0"]) == 0


def test_the_pipeline_says_an_empty_string_is_no_video(tmp_path):
    from transformers import pipeline

    model = DisentangledVideoClassifier.for_training_set(
        create_backbone(str(save_tiny_checkpoint("videomae", tmp_path / "backbone"))), SYN_TA, 1
    )
    model.save_pretrained(tmp_path / "model")
    classify = pipeline("video-classification", model=str(tmp_path / "model"))
    for empty in ("", "  "):
        with pytest.raises(ValueError, match=r"no video given \('.*'\): pass a file path, an http\(s\) URL"):
            classify(empty)


def test_train_results_record_what_the_run_was(trained):
    summary = read_train_results(trained)
    assert summary["coarse_classes_trained"] == sorted(SYN_TA.coarse_names[c] for c in (0, 1))
    assert summary["dataset_revision"].startswith("sha256:") and summary["batch_size"] == 2
    run = json.loads((trained / "step_1" / "run.json").read_text())["run"]
    assert run["--dataset"] == summary["dataset"] and run["--modality"] == "rgb" and run["--seed"] == 0


def test_fp16_on_a_cpu_is_refused_in_one_line_before_any_work(syn_ta, backbone, trained, tmp_path):
    """It used to run in fp32 and record fp16 (issue 28)."""
    out = tmp_path / "fp16"
    message = refusal("train", "--dataset", str(syn_ta), "--model", str(backbone), "--output_dir", str(out),
                      "--mixed_precision", "fp16")  # fmt: skip
    assert "--mixed_precision fp16 runs on a CUDA GPU only" in message and not out.exists()
    message = refusal("eval", "--dataset", str(syn_ta), "--model", str(trained), "--output_dir", str(tmp_path / "e"),
                      "--mixed_precision", "fp16")  # fmt: skip
    assert "--mixed_precision fp16 runs on a CUDA GPU only" in message


@pytest.mark.parametrize("variable", ["MT_COMPILE", "MT_MIXED_PRECISION"])
def test_a_bad_environment_default_is_one_line_naming_the_variable(variable, tmp_path):
    """``MT_COMPILE=garbage`` used to end in a 21-line traceback after 8 s, naming the flag, not the variable."""
    import os
    import subprocess
    import sys

    from factories import EXAMPLES

    env = {**os.environ, variable: "garbage"}
    done = subprocess.run([sys.executable, str(EXAMPLES / "train.py"), "--dataset", "x", "--output_dir",
                           str(tmp_path / "o")], capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0, done.stderr
    assert f"${variable}='garbage' is not one of auto" in done.stderr
