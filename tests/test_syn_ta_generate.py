"""``mt-datasets syn-ta generate`` end to end: real renders, real mp4s, real Hub layout, real ``load_dataset``.

One small dataset (mini preset at 64x64, one set-1 and one set-2 fine class: 12 clips) is generated once; the other
runs (two workers, two shards, a killed and resumed run, ``accelerate launch``) must reproduce it byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import datasets
import numpy as np
import pytest
from factories import accelerate_launch, dataset_files

from mt_datasets.commands.cli import main as cli_main
from mt_datasets.errors import DatasetMismatchError
from mt_datasets.hub.layout import is_incomplete
from mt_datasets.syn_ta.appearance import PALETTE, get_protocol
from mt_datasets.syn_ta.generate import GenerationOptions, generate, plan_clips
from mt_datasets.video import read_clip

pytestmark = pytest.mark.slow  # started first under pytest-xdist (tests/conftest.py)

CLASSES = ("falling1", "falling3")  # a set-1 and a set-2 fine class, one object each
CLI_OPTIONS = ["--preset", "mini", "--size", "64", "--classes", *CLASSES, "--seed", "7", "--no-progress"]
NUM_CLIPS = 12  # 2 classes x (2 train + 1 val) x 2 views


def options(**overrides) -> GenerationOptions:
    values = {"appearance_split": "paper", "preset": "mini", "size": 64, "classes": CLASSES, "seed": 7} | overrides
    return GenerationOptions.resolve(**values)


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synta") / "reference"
    result = generate(out, options(), workers=1, progress=False)
    assert (result.num_clips, result.made, result.packed) == (NUM_CLIPS, NUM_CLIPS, True)
    return out


def test_generated_dataset_loads_with_the_protocols_counts_and_factors(reference):
    ds = datasets.load_dataset(str(reference), "set1")
    assert {split: ds[split].num_rows for split in ds} == {"train": 4, "known": 2, "unknown": 2}
    train = ds["train"]
    assert set(train["video_id"]) == {f"falling/falling1{v}_id_{k}" for v in ("", "_front") for k in (1, 2)}
    assert set(ds["unknown"]["video_id"]) == {"falling/falling3_id_31", "falling/falling3_front_id_31"}
    assert set(train["view"]) == {"regular", "front"}
    paper = get_protocol("paper")
    for split, fine_set in (("train", 1), ("unknown", 2)):
        rows = ds[split]
        assert set(rows["fine_set"]) == {fine_set}
        assert {s for shapes in rows["shapes"] for s in shapes} <= set(paper.shapes[fine_set - 1])
        assert {c for colors in rows["colors"] for c in colors} <= set(PALETTE.values())
        backgrounds = {int(name.split("-")[1]) for name in rows["background"]}
        assert backgrounds <= set(paper.background_indices(fine_set, 20))
        assert set(rows["material"]) == {"metallic"} and set(rows["protocol"]) == {"paper"}
        assert set(rows["num_frames"]) == {16} and rows["generator"][0].startswith("motion-transfer ")
    assert len(set(train["seed"])) == train.num_rows
    assert all(-75 <= a <= 75 for a in train["camera_azimuth"]) and min(train["camera_elevation"]) > 0
    assert (
        json.loads(train["motion"][0])["fine_name"] == "Single object falling straight down without changing direction"
    )
    video = datasets.load_dataset(str(reference), "set1", split="known").cast_column(
        "video", datasets.Video(decode=False)
    )
    frames = read_clip(video[0]["video"], 16)
    assert tuple(frames.shape) == (16, 3, 64, 64) and frames.float().std() > 5  # a real picture, not a blank
    assert (reference / "images" / "contact_sheet.png").stat().st_size > 1000
    readme = (reference / "README.md").read_text()
    assert "images/contact_sheet.png" in readme and "`paper`" in readme and "camera_azimuth" in readme
    assert "mt-datasets syn-ta generate --out DIR --appearance-split paper --size 64x64" in readme
    info = json.loads((reference / "meta" / "info.json").read_text())["info"]
    assert info["options"]["classes"] == list(CLASSES) and "Mesa" in info["generators"][0]
    assert not (reference / ".staging").exists()


def test_same_bytes_with_two_workers_and_with_two_shards(reference, tmp_path):
    two_workers = tmp_path / "two_workers"
    generate(two_workers, options(), workers=2, progress=False)
    assert dataset_files(two_workers) == dataset_files(reference)

    sharded = tmp_path / "sharded"
    first = generate(sharded, options(), workers=1, num_shards=2, shard_index=0, progress=False)
    assert not first.packed and first.made == NUM_CLIPS // 2 and first.missing == NUM_CLIPS // 2
    assert is_incomplete(sharded)  # half made: the README marks it unfinished until the last shard packs
    second = generate(sharded, options(), workers=1, num_shards=2, shard_index=1, progress=False)
    assert second.packed and second.made == NUM_CLIPS // 2
    assert dataset_files(sharded) == dataset_files(reference)
    # rerunning a finished dataset does nothing
    again = generate(sharded, options(), workers=1, progress=False)
    assert again.already_complete and again.made == 0 and dataset_files(sharded) == dataset_files(reference)


def start_generation(out: Path, workers: int, **popen: object) -> subprocess.Popen:
    """``mt-datasets syn-ta generate`` into ``out`` in a child process, returned once it has staged a clip."""
    command = [sys.executable, "-m", "mt_datasets.commands.cli", "syn-ta", "generate", "--out", str(out)]
    process = subprocess.Popen([*command, "--workers", str(workers), *CLI_OPTIONS], text=True, **popen)
    clips = out / ".staging" / "clips"
    deadline = time.monotonic() + 120
    while not (clips.is_dir() and any(clips.glob("*.json"))):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the generator staged nothing in 120 s"
        time.sleep(0.01)
    return process


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_kill_then_resume_gives_the_uninterrupted_dataset(reference, tmp_path):
    out = tmp_path / "killed"
    process = start_generation(out, 2, start_new_session=True, stderr=subprocess.PIPE)
    clips = out / ".staging" / "clips"
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its workers, mid-run
    process.wait()
    process.stderr.close()
    staged = {p.stem for p in clips.glob("*.json")}
    assert 0 < len(staged) < NUM_CLIPS
    # The killed run's directory does not pass for a dataset: load_dataset says to rerun the command.
    with pytest.raises(FileNotFoundError, match="did not finish - rerun the same command to resume"):
        datasets.load_dataset(str(out), "set1")
    assert "Rerun the same command to resume" in (out / "README.md").read_text()
    # what a kill can leave besides: a half-written temp file, and an mp4 whose row was never written
    unfinished = next(spec.video_id for spec in plan_clips(options()) if spec.video_id.replace("/", "__") not in staged)
    (clips / ".orphan.mp4.4242.tmp").write_bytes(b"\x00" * 100)
    (clips / f"{unfinished.replace('/', '__')}.mp4").write_bytes(b"truncated")

    result = generate(out, options(), workers=1, progress=False)
    assert result.packed and result.skipped == len(staged) and result.made == NUM_CLIPS - len(staged)
    assert dataset_files(out) == dataset_files(reference)


def test_a_second_run_on_the_same_directory_stops_at_once_naming_the_first(reference, tmp_path):
    out = tmp_path / "busy"
    command = [sys.executable, "-m", "mt_datasets.commands.cli", "syn-ta", "generate", "--out", str(out)]
    command += ["--workers", "1"]
    first = start_generation(out, 1, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.run(command + CLI_OPTIONS, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert f"is being written by another process (pid {first.pid} on {socket.gethostname()}" in second.stderr
    assert "syn-ta generate --out" in second.stderr
    first.communicate(timeout=300)
    assert first.returncode == 0 and dataset_files(out) == dataset_files(reference)


def test_nothing_to_do_verifies_and_regenerates_a_damaged_shard(reference, tmp_path, capsys):
    out = tmp_path / "damaged"
    shutil.copytree(reference, out)
    shard = next((out / "data").glob("set2-val-*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-100])  # a copy cut short
    assert cli_main(["syn-ta", "generate", "--out", str(out), *CLI_OPTIONS]) == 0
    message = capsys.readouterr().out
    assert f"damaged (1 problem(s); the first: data/{shard.name}: " in message and "bytes, the manifest says" in message
    assert dataset_files(out) == dataset_files(reference)
    assert cli_main(["syn-ta", "generate", "--out", str(out), *CLI_OPTIONS]) == 0
    assert "verified); nothing to do" in capsys.readouterr().out


def test_accelerate_processes_split_the_clips_and_the_main_process_packs(reference, tmp_path):
    out = tmp_path / "accelerate"
    command, env = accelerate_launch()
    command += ["-m", "mt_datasets.commands.cli", "syn-ta", "generate"]
    run = subprocess.run(
        command + ["--out", str(out), "--workers", "1", *CLI_OPTIONS], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert dataset_files(out) == dataset_files(reference)


def test_appearance_shift_puts_every_variant_in_both_sets_with_held_out_looks(tmp_path):
    out = tmp_path / "shift"
    result = generate(
        out, options(appearance_split="appearance-shift", classes=("falling1",)), workers=1, progress=False
    )
    assert result.num_clips == NUM_CLIPS  # one class, in both sets
    ds = datasets.load_dataset(str(out), "set1")
    assert {split: ds[split].num_rows for split in ds} == {"train": 4, "known": 2, "unknown": 2}
    assert set(ds["train"]["fine_label"]) == set(ds["unknown"]["fine_label"])  # the same motion variant
    assert all(video_id.startswith("set2/") for video_id in ds["unknown"]["video_id"])
    shift = get_protocol("appearance-shift")
    for split, fine_set in (("train", 1), ("unknown", 2)):
        rows = ds[split]
        assert set(rows["fine_set"]) == {fine_set}
        assert {s for shapes in rows["shapes"] for s in shapes} <= set(shift.shapes[fine_set - 1])
        allowed = {PALETTE[name] for name in shift.colors[fine_set - 1]}
        assert {c for colors in rows["colors"] for c in colors} <= allowed
        backgrounds = {int(name.split("-")[1]) for name in rows["background"]}
        assert backgrounds <= set(shift.background_indices(fine_set, 20))


def test_options_define_the_clip_plan():
    plan = plan_clips(options(clips_per_class=50))
    assert len(plan) == 2 * 50 * 2
    ids = [spec.video_id for spec in plan if spec.fine_set == 1]
    assert ids[:4] == [
        "falling/falling1_id_1",
        "falling/falling1_front_id_1",
        "falling/falling1_id_2",
        "falling/falling1_front_id_2",
    ]
    assert {spec.split for spec in plan if spec.clip_id <= 30} == {"train"}
    assert {spec.split for spec in plan if spec.clip_id > 30} == {"val"} and max(s.clip_id for s in plan) == 50
    assert [s.index for s in plan] == list(range(len(plan)))
    coarse = GenerationOptions.resolve(preset="small", classes=["falling"])
    assert len(coarse.classes) == 4 and (coarse.width, coarse.num_frames) == (128, 32)


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        ({"appearance_split": "papr"}, ValueError, "Did you mean 'paper'"),
        ({"classes": ("orbitng6",)}, ValueError, "Did you mean 'orbiting6'"),
        ({"size": 63}, ValueError, "63x63 .*even"),
        ({"size": (112, 65)}, ValueError, "112x65 .*even"),
        ({"preset": "tiny"}, ValueError, "Did you mean 'mini'"),
        ({"num_frames": 4}, ValueError, "at least 16"),
        ({"clips_per_class": 1}, ValueError, "at least 2"),
        ({"x264_preset": "ultrafastest"}, ValueError, "ultrafast"),
        ({"backgrounds": "/nonexistent/backgrounds"}, FileNotFoundError, "/nonexistent/backgrounds"),
    ],
)
def test_bad_options_get_clear_errors(overrides, error, message):
    with pytest.raises(error, match=message):
        options(**overrides)


def test_an_output_directory_with_other_data_is_refused_and_left_untouched(reference, tmp_path, capsys):
    before = dataset_files(reference)
    with pytest.raises(DatasetMismatchError, match="protocol: stored 'paper', given 'motion-only'"):
        generate(reference, options(appearance_split="motion-only"), workers=1, progress=False)
    assert dataset_files(reference) == before

    partial = tmp_path / "partial"
    generate(partial, options(), workers=1, num_shards=4, shard_index=0, progress=False)
    staged = dataset_files(partial)
    with pytest.raises(DatasetMismatchError, match="seed: stored 7, given 8"):
        generate(partial, options(seed=8), workers=1, progress=False)
    assert dataset_files(partial) == staged

    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    (unrelated / "notes.txt").write_text("mine")
    with pytest.raises(DatasetMismatchError, match="not empty"):
        generate(unrelated, options(), workers=1, progress=False)
    assert [p.name for p in unrelated.iterdir()] == ["notes.txt"]

    # the command line reports the same errors as one line and exit status 2
    code = cli_main(["syn-ta", "generate", "--out", str(reference), "--appearance-split", "motion-only", *CLI_OPTIONS])
    assert code == 2 and "motion-only" in capsys.readouterr().err
    code = cli_main(["syn-ta", "generate", "--out", str(tmp_path / "x"), "--backgrounds", str(tmp_path / "none")])
    assert code == 2 and "does not exist" in capsys.readouterr().err and not (tmp_path / "x").exists()
    assert dataset_files(reference) == before


def test_clip_seeds_do_not_depend_on_the_selected_classes():
    from mt_datasets.syn_ta.generate import clip_seed

    alone = {s.video_id: clip_seed(7, s) for s in plan_clips(options(classes=("falling3",)))}
    together = {s.video_id: clip_seed(7, s) for s in plan_clips(options())}
    assert alone.items() <= together.items()
    assert len(set(together.values())) == len(together)
    assert np.all(np.asarray(list(together.values())) >= 0)


def test_user_backgrounds_are_split_between_the_sets_and_recorded(tmp_path):
    from PIL import Image

    folder = tmp_path / "backgrounds"
    folder.mkdir()
    for index, color in enumerate([(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]):
        Image.new("RGB", (48, 32), color).save(folder / f"bg{index}.png")
    out = tmp_path / "user"
    generate(out, options(backgrounds=folder), workers=1, progress=False)
    rows = datasets.load_dataset(str(out), "all", split="all")
    by_set = {s: {b for b, f in zip(rows["background"], rows["fine_set"], strict=True) if f == s} for s in (1, 2)}
    assert by_set[1] <= {"bg0.png", "bg1.png"} and by_set[2] <= {"bg2.png", "bg3.png"} and by_set[1] and by_set[2]
    stored = json.loads((out / "meta" / "info.json").read_text())["info"]["options"]["backgrounds"]
    assert [entry.split(":")[0] for entry in stored] == ["bg0.png", "bg1.png", "bg2.png", "bg3.png"]
    # replacing an image changes the dataset's identity: resuming with it is refused
    Image.new("RGB", (48, 32), (0, 0, 0)).save(folder / "bg3.png")
    with pytest.raises(DatasetMismatchError, match="backgrounds"):
        generate(out, options(backgrounds=folder), workers=1, progress=False)


def test_the_old_protocol_name_still_works_with_a_warning(capsys):
    with pytest.warns(FutureWarning, match="appearance_split"):
        old = GenerationOptions.resolve(protocol="motion-only", size=64, classes=CLASSES)
    assert old == GenerationOptions.resolve(appearance_split="motion-only", size=64, classes=CLASSES)
    from mt_datasets.commands.cli import build_parser

    args = build_parser().parse_args(["syn-ta", "generate", "--out", "x", "--protocol", "motion-only"])
    assert args.protocol == "motion-only" and args.appearance_split is None


def test_a_full_disk_and_ctrl_c_end_in_one_line(tmp_path, monkeypatch, capsys):
    import mt_datasets.commands.generate

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "x" / "clip.mp4"))

    monkeypatch.setattr(mt_datasets.commands.generate, "generate", full)
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["syn-ta", "generate", "--out", str(tmp_path / "x"), *CLI_OPTIONS])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"mt-datasets syn-ta generate: [Errno 28] No space left on device: '{tmp_path / 'x' / 'clip.mp4'}'\n"
    )
    with pytest.raises(OSError, match="No space left"):  # --debug: the traceback, for a bug report
        cli_main(["--debug", "syn-ta", "generate", "--out", str(tmp_path / "x"), *CLI_OPTIONS])

    # Ctrl-C in a terminal: SIGINT to the command and its workers. The command starts with SIGINT at its default, as
    # from a terminal: a shell's background job (`make test &`) starts with SIGINT ignored, and so would its children.
    process = start_generation(
        tmp_path / "interrupted", 2, start_new_session=True, stderr=subprocess.PIPE, preexec_fn=_default_sigint
    )
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1] == "mt-datasets syn-ta generate: interrupted"
