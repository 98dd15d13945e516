"""The Hub-layout writer: real mp4s in, ``load_dataset`` out; atomic, resumable, deterministic; clear errors."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import datasets
import jinja2
import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from factories import class_motion, make_tiny_dataset, render_square_clip, write_test_video
from huggingface_hub import DatasetCard
from torchcodec.decoders import VideoDecoder

from mt_datasets import get_taxonomy
from mt_datasets.hub import (
    DatasetMismatchError,
    HubDatasetWriter,
    card_context_of,
    dataset_counts,
    dataset_features,
    is_incomplete,
    read_info,
    render_card,
)
from mt_datasets.video import encode_mp4, read_frames

TESTS_DIR = Path(__file__).resolve().parent
SYNTA = get_taxonomy("syn-ta")
COARSE = (0, 1, 2)


def load(directory: Path, config: str, cache: Path, **kwargs):
    return datasets.load_dataset(str(directory), config, cache_dir=str(cache), **kwargs)


def file_bytes(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (relative path -> content), the lock file aside."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hf-cache")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    return make_tiny_dataset(tmp_path_factory.mktemp("tiny") / "syn-ta", coarse_classes=COARSE, clips_per_fine=2)


# ---- layout and loading --------------------------------------------------------------------------------------------
def test_every_config_loads_with_the_protocol_splits(tiny, cache):
    per_set = {s: sum(1 for c in COARSE for f in SYNTA.fine_classes_of(c) if SYNTA.fine_set[f] == s) for s in (1, 2)}
    for trained, held_out in ((1, 2), (2, 1)):
        ds = load(tiny, f"set{trained}", cache)
        assert {name: len(split) for name, split in ds.items()} == {
            "train": 2 * per_set[trained],
            "known": 2 * per_set[trained],
            "unknown": 2 * per_set[held_out],
        }
        expected = {"train": (trained, "train"), "known": (trained, "val"), "unknown": (held_out, "val")}
        for name, (fine_set, split) in expected.items():
            rows = ds[name].select_columns(["fine_set", "split", "coarse_label", "fine_label"])
            assert set(rows["fine_set"]) == {fine_set} and set(rows["split"]) == {split}
            assert set(rows["coarse_label"]) == set(COARSE)
            assert all(
                SYNTA.fine_to_coarse[f] == c for f, c in zip(rows["fine_label"], rows["coarse_label"], strict=True)
            )
        features = ds["train"].features
        assert isinstance(features["video"], datasets.Video)
        assert features["coarse_label"].names == list(SYNTA.coarse_names)
        assert features["fine_label"].names == list(SYNTA.fine_names)

    every = load(tiny, "all", cache)
    assert sorted(every) == ["set1_train", "set1_val", "set2_train", "set2_val"]
    union = load(tiny, "all", cache, split="all")
    assert len(union) == 4 * (per_set[1] + per_set[2]) == dataset_counts(tiny)["num_rows"]
    assert len(set(union["video_id"])) == len(union)


def test_configs_share_the_shards(tiny):
    shards = sorted(p.name for p in (tiny / "data").iterdir())
    assert shards == [f"set{s}-{split}-00000.parquet" for s in (1, 2) for split in ("train", "val")]

    def resolved(config):
        files = datasets.load_dataset_builder(str(tiny), config).config.data_files
        return {split: sorted(Path(f).name for f in files[split]) for split in files}

    set1, set2, every = resolved("set1"), resolved("set2"), resolved("all")
    assert set1["unknown"] == set2["known"] == every["set2_val"] == ["set2-val-00000.parquet"]
    assert set2["unknown"] == set1["known"] == every["set1_val"] == ["set1-val-00000.parquet"]
    assert sorted(sum(every.values(), [])) == shards


def test_readme_yaml_and_card(tiny):
    card = DatasetCard.load(tiny / "README.md")
    data = card.data.to_dict()
    assert data["task_categories"] == ["video-classification"]
    assert data["license"] and data["pretty_name"] == "tiny syn-ta" and data["size_categories"] == ["n<1K"]
    configs = {c["config_name"]: c for c in data["configs"]}
    assert configs["set1"]["default"] is True and "default" not in configs["set2"]
    assert {f["split"]: f["path"] for f in configs["set2"]["data_files"]} == {
        "train": "data/set2-train-*.parquet",
        "known": "data/set2-val-*.parquet",
        "unknown": "data/set1-val-*.parquet",
    }
    counts = dataset_counts(tiny)
    infos = {i["config_name"]: i for i in data["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in infos["set1"]["splits"]} == counts["configs"]["set1"]
    # The body is the rendered template: per-class counts, no unrendered Jinja left.
    fine = SYNTA.fine_names[SYNTA.fine_classes_of(COARSE[0])[0]]
    assert f"| {SYNTA.coarse_names[COARSE[0]]} | {fine} | 1 | 2 | 2 |" in card.text
    assert "{{" not in card.text and "{%" not in card.text
    assert counts["fine"][fine] == {"train": 2, "val": 2}
    assert read_info(tiny)["format_version"] == "1.0" and read_info(tiny)["dataset"] == "syn-ta"


def test_decoded_frames_equal_the_source(tmp_path, cache):
    sources = []
    for k, fine in enumerate(SYNTA.fine_classes_of(3)[:2]):
        path = tmp_path / f"clip{k}.mp4"
        frames = write_test_video(path, num_frames=8, size=32, seed=k, pattern=class_motion(SYNTA, fine))
        sources.append((fine, path, frames))
    with HubDatasetWriter(tmp_path / "ds", SYNTA, dataset_features(SYNTA)) as writer:
        for k, (fine, path, _) in enumerate(sources):
            writer.add(_row(SYNTA, fine, "val", f"clip{k}", video=path))  # a path: its bytes are embedded
        writer.finalize(allow_missing_splits=True)
    ds = load(tmp_path / "ds", "all", cache)
    split = f"set{SYNTA.fine_set[sources[0][0]]}_val"
    assert ds[split].cast_column("video", datasets.Video(decode=False))[0]["video"]["path"] == "clip0.mp4"
    row = ds[split][0]
    assert isinstance(row["video"], VideoDecoder)
    _, path, frames = sources[0]
    loaded = read_frames(row["video"], [0, 5])
    assert torch.equal(loaded, read_frames(path, [0, 5]))  # the embedded bytes are the file's bytes
    for decoded, index in zip(loaded, (0, 5), strict=True):
        error = np.abs(decoded.permute(1, 2, 0).numpy().astype(int) - frames[index].astype(int))
        assert error.mean() < 2.5, "decoded frame is not the source frame"


def test_tiny_dataset_motion_tells_the_coarse_class(tiny, cache):
    """The factory's promise to other tests: the square's motion direction (decoded) gives the coarse class."""
    directions = {c: class_motion(SYNTA, SYNTA.fine_classes_of(c)[0]).direction for c in COARSE}
    ds = load(tiny, "set2", cache)["unknown"]  # set-1 val rows
    for row in ds:
        first, last = (row["video"][i].float().mean(0) for i in (0, -1))
        centroids = [np.argwhere(frame.numpy() > 150).mean(0) for frame in (first, last)]
        dy, dx = centroids[1] - centroids[0]
        angle = np.arctan2(dy, dx)
        nearest = min(COARSE, key=lambda c: abs(np.angle(np.exp(1j * (angle - directions[c])))))
        assert nearest == row["coarse_label"], row["video_id"]


def test_metadata_only_dataset(tmp_path, cache):
    k400 = get_taxonomy("k400-ta")
    features = dataset_features(
        k400,
        with_video=False,
        extra={"youtube_id": datasets.Value("string"), "time_start": datasets.Value("int32")},
    )
    with HubDatasetWriter(tmp_path, k400, features, info={"source": "kinetics-400"}) as writer:
        for fine in (0, k400.fine_indices(2)[0]):
            for split in ("train", "val"):
                row = _row(k400, fine, split, f"yt{fine}{split}", video=None)
                del row["video"]
                writer.add({**row, "youtube_id": f"yt{fine}", "time_start": 12, "fine_label": np.int64(fine)})
        with pytest.raises(ValueError, match="row 'late' does not fit the schema"):
            writer.add({**row, "video_id": "late", "youtube_id": "yt", "time_start": "noon"})
        writer.finalize(license="cc-by-4.0")
    ds = load(tmp_path, "set2", cache)
    assert {k: len(v) for k, v in ds.items()} == {"train": 1, "known": 1, "unknown": 1}
    assert "video" not in ds["train"].features and ds["unknown"][0]["time_start"] == 12


# ---- atomic, resumable, deterministic -------------------------------------------------------------------------------
# Enough rows for several shards per group at a ~3-row shard size.
RESUME_FINE = [f for c in (4, 5) for f in SYNTA.fine_classes_of(c)]


def resume_rows(num_frames: int = 4) -> list[dict]:
    """Deterministic rows over two coarse classes; several clips share one encoding to keep the test fast."""
    clips = {
        fine: encode_mp4(render_square_clip(class_motion(SYNTA, fine), num_frames=num_frames, size=16), fps=8)
        for fine in RESUME_FINE
    }
    return [
        _row(SYNTA, fine, split, f"{fine}-{split}-{k}", video={"bytes": clips[fine], "path": f"{fine}.mp4"})
        for fine in RESUME_FINE
        for split in ("train", "val")
        for k in range(3)
    ]


def write_rows(out_dir: str, *, stop_after: int | None = None, how: str = "kill") -> None:
    """Write ``resume_rows()``; with ``stop_after``, die (SIGKILL) or raise after that many ``add`` calls."""
    rows = resume_rows()
    shard_size = 3 * len(rows[0]["video"]["bytes"])
    with HubDatasetWriter(out_dir, SYNTA, dataset_features(SYNTA), info={"run": 1}, shard_size_bytes=shard_size) as w:
        for i, row in enumerate(rows):
            if i == stop_after:
                if how == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                raise RuntimeError("simulated crash")
            w.add(row)
        w.finalize()


@pytest.fixture(scope="session")
def uninterrupted(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("uninterrupted")
    write_rows(str(out))
    return file_bytes(out)


@pytest.mark.parametrize("how", ["kill", "raise"])
def test_resume_after_a_crash_gives_the_same_files(tmp_path, uninterrupted, how, cache):
    out = tmp_path / "ds"
    stop_after = 17
    if how == "kill":
        script = f"from test_hub_writer import write_rows; write_rows({str(out)!r}, stop_after={stop_after})"
        done = subprocess.run([sys.executable, "-c", script], cwd=TESTS_DIR, capture_output=True)
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    else:
        with pytest.raises(RuntimeError, match="simulated crash"):
            write_rows(str(out), stop_after=stop_after, how="raise")
    with HubDatasetWriter(out, SYNTA, dataset_features(SYNTA), info={"run": 1}) as reopened:
        committed = reopened.committed_ids()
    assert 0 < len(committed) < stop_after, "the crash should leave some rows committed and some lost"
    # The directory does not pass for a dataset: load_dataset says it is unfinished and how to finish it.
    assert is_incomplete(out)
    with pytest.raises(FileNotFoundError, match="did not finish - rerun the same command to resume"):
        load(out, "set1", cache)
    # Leftovers of a crash between a shard's write and its rename, and between its rename and the manifest update.
    (out / "data" / ".set1-train-00009.parquet.tmp").write_bytes(b"half a shard")
    shutil.copy(next((out / "data").glob("*.parquet")), out / "data" / "set2-val-00007.parquet")

    skipped = []
    rows = resume_rows()
    shard_size = 3 * len(rows[0]["video"]["bytes"])
    with HubDatasetWriter(out, SYNTA, dataset_features(SYNTA), info={"run": 1}, shard_size_bytes=shard_size) as w:
        for row in rows:
            if not w.add(row):
                skipped.append(row["video_id"])
        w.finalize()
    assert set(skipped) == committed
    resumed = file_bytes(out)
    assert resumed.keys() == uninterrupted.keys()
    assert resumed == uninterrupted
    assert sum(1 for name in resumed if name.startswith("data/set1-train-")) > 1, "several shards per group expected"


def test_stray_tmp_files_never_load(tiny, tmp_path, cache):
    copy = tmp_path / "ds"
    shutil.copytree(tiny, copy)
    shard = copy / "data" / "set1-train-00000.parquet"
    shutil.copy(shard, copy / "data" / "set1-train-00001.parquet.tmp")
    shutil.copy(shard, copy / "data" / ".set1-train-00002.parquet.tmp")
    ds = load(copy, "set1", cache)
    assert len(ds["train"]) == dataset_counts(tiny)["configs"]["set1"]["train"]


def test_missing_groups_fail_clearly_or_are_left_out(tmp_path, cache):
    out = tmp_path / "ds"
    fine1 = SYNTA.fine_indices(1)[0]
    fine2 = next(f for f in SYNTA.fine_classes_of(SYNTA.fine_to_coarse[fine1]) if SYNTA.fine_set[f] == 2)
    video = encode_mp4(render_square_clip(class_motion(SYNTA, fine1), num_frames=4, size=16), fps=8)
    with HubDatasetWriter(out, SYNTA, dataset_features(SYNTA)) as writer:
        writer.add(_row(SYNTA, fine1, "train", "a", video=video))
        with pytest.raises(ValueError, match=r"no rows for set1-val, set2-train, set2-val.*set1/unknown"):
            writer.finalize()
        writer.finalize(allow_missing_splits=True)
    assert "no rows for set1-val, set2-train, set2-val" in (out / "README.md").read_text()
    assert {k: len(v) for k, v in load(out, "set1", cache).items()} == {"train": 1}
    with pytest.raises(ValueError, match="BuilderConfig 'set2' not found"):
        load(out, "set2", cache)  # set2 has no rows at all, so it is not declared

    with HubDatasetWriter(out, SYNTA, dataset_features(SYNTA)) as writer:
        assert writer.add(_row(SYNTA, fine1, "train", "a", video=video)) is False
        assert writer.add(_row(SYNTA, fine2, "val", "b", video=video)) is True
        writer.finalize(allow_missing_splits=True)
    assert dataset_counts(out)["groups"] == {"set1-train": 1, "set1-val": 0, "set2-train": 0, "set2-val": 1}
    assert {k: len(v) for k, v in load(out, "set1", cache).items()} == {"train": 1, "unknown": 1}


def test_an_empty_split_does_not_load_so_missing_groups_are_left_out(tmp_path, cache):
    # Why the writer leaves a group without rows out of the configs instead of writing it empty: datasets fails on an
    # empty Parquet shard. Should a release of datasets load it, this test says the choice can be revisited.
    out = tmp_path / "ds"
    fine1 = SYNTA.fine_indices(1)[0]
    video = encode_mp4(render_square_clip(class_motion(SYNTA, fine1), num_frames=4, size=16), fps=8)
    with HubDatasetWriter(out, SYNTA, dataset_features(SYNTA)) as writer:
        writer.add(_row(SYNTA, fine1, "train", "a", video=video))
        writer.finalize(allow_missing_splits=True)
    shard = next((out / "data").glob("set1-train-*.parquet"))
    pq.write_table(pq.read_schema(shard).empty_table(), out / "data" / "set1-val-00000.parquet")
    (out / "README.md").write_text(
        "---\nconfigs:\n- config_name: set1\n  data_files:\n  - split: train\n    path: data/set1-train-*.parquet\n"
        "  - split: known\n    path: data/set1-val-*.parquet\n---\n"
    )
    with pytest.raises(datasets.exceptions.DatasetGenerationError):
        load(out, "set1", cache)


# ---- errors ---------------------------------------------------------------------------------------------------------
def _row(taxonomy, fine: int, split: str, video_id: str, *, video) -> dict:
    return {
        "video": video,
        "video_id": video_id,
        "coarse_label": taxonomy.fine_to_coarse[fine],
        "fine_label": fine,
        "fine_set": taxonomy.fine_set[fine],
        "split": split,
    }


@pytest.fixture(scope="module")
def good_video() -> bytes:
    return encode_mp4(render_square_clip(class_motion(SYNTA, 0), num_frames=4, size=16), fps=8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fine_label": "Single object appearing by increasing opacityy"}, "Did you mean 'Single object appearing by"),
        ({"coarse_label": "apearing"}, "Did you mean 'appearing'"),
        ({"coarse_label": 5}, "belongs to coarse class 'appearing', not 'cloning'"),
        ({"fine_set": 2}, "is in fine set 1, not 2"),
        ({"split": "test"}, "Unknown split 'test'"),
        ({"fine_label": 100}, r"index in \[0, 100\)"),
        ({"video": b""}, "is empty"),
        ({"video": b"\x00\x00\x00\x18ftypmp42 not really a video"}, "cannot be decoded"),
        ({"video": "/nonexistent/clip.mp4"}, "does not exist"),
        ({"video": {"bytes": b"x", "path": "../../etc/clip.mp4"}}, "must be relative and stay inside"),
        ({"colour": "red"}, r"columns \['colour'\] that are not in the features"),
    ],
)
def test_bad_rows_are_refused_naming_the_row(tmp_path, good_video, change, message):
    with HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA)) as writer:
        with pytest.raises(ValueError, match=message) as info:
            writer.add({**_row(SYNTA, 0, "train", "bad-row", video=good_video), **change})
        assert "'bad-row'" in str(info.value)
        assert writer.add(_row(SYNTA, 0, "train", "good-row", video=good_video))  # the writer is still usable


def test_fine_set_from_rows_lets_a_fine_class_appear_in_both_sets(tmp_path, good_video):
    # appearance-shift: the set names the appearance, so a set-1 fine class may be written as set 2 too
    with HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA), fine_set_from_rows=True) as writer:
        assert writer.add(_row(SYNTA, 0, "val", "as-set1", video=good_video))
        assert writer.add({**_row(SYNTA, 0, "val", "as-set2", video=good_video), "fine_set": 2})
        with pytest.raises(ValueError, match="fine_set must be 1 or 2, got 3"):
            writer.add({**_row(SYNTA, 0, "val", "bad", video=good_video), "fine_set": 3})
        writer.flush()
    shards = sorted(p.name for p in (tmp_path / "data").glob("*.parquet"))
    assert shards == ["set1-val-00000.parquet", "set2-val-00000.parquet"]


def test_missing_columns_truncated_video_and_duplicates(tmp_path, good_video):
    with HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA)) as writer:
        row = _row(SYNTA, 0, "train", "r1", video=good_video)
        with pytest.raises(ValueError, match=r"'r1' lacks the columns \['split'\]"):
            writer.add({k: v for k, v in row.items() if k != "split"})
        with pytest.raises(ValueError, match="'r1'.*cannot be decoded"):
            writer.add({**row, "video": good_video[: len(good_video) // 2]})
        assert writer.add(row)
        with pytest.raises(ValueError, match="duplicate video_id 'r1'"):
            writer.add(row)
        with pytest.raises(ValueError, match="no usable video_id"):
            writer.add({**row, "video_id": ""})


def test_reopening_with_other_info_or_taxonomy_fails(tmp_path, good_video):
    with HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA), info={"seed": 0}) as writer:
        writer.add(_row(SYNTA, 0, "train", "r1", video=good_video))
    with pytest.raises(DatasetMismatchError, match=r'info: stored \{"seed": 0\}, given \{"seed": 1\}'):
        HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA), info={"seed": 1})
    ssv2 = get_taxonomy("ssv2-ta")
    with pytest.raises(DatasetMismatchError, match='dataset: stored "syn-ta", given "ssv2-ta"'):
        HubDatasetWriter(tmp_path, ssv2, dataset_features(ssv2), info={"seed": 0})
    extra = dataset_features(SYNTA, extra={"view": datasets.Value("string")})
    with pytest.raises(DatasetMismatchError, match=r"features: columns \['view'\] differ"):
        HubDatasetWriter(tmp_path, SYNTA, extra, info={"seed": 0})
    with pytest.raises(DatasetMismatchError, match="does not match the ssv2-ta taxonomy"):
        HubDatasetWriter(tmp_path / "other", ssv2, dataset_features(SYNTA))
    # The mismatches left the directory as it was: the original writer still resumes it.
    with HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA), info={"seed": 0}) as writer:
        assert writer.committed_ids() == {"r1"}


def test_one_writer_per_directory(tmp_path):
    with HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA)):
        with pytest.raises(RuntimeError, match="another HubDatasetWriter is writing"):
            HubDatasetWriter(tmp_path, SYNTA, dataset_features(SYNTA))


def test_card_templates_can_extend_the_base(tiny, tmp_path):
    child = tmp_path / "child_card.md.j2"
    child.write_text(
        '{% extends "dataset_card_base.md.j2" %}\n{% block creation %}## How it was made\n{{ how }}\n{% endblock %}\n'
    )
    context = {
        **card_context_of(SYNTA, dataset_counts(tiny), dataset_features(SYNTA)),
        "pretty_name": "Child",
        "license": "cc-by-4.0",
        "info": {},
        "missing_groups": [],
        "how": "procedurally",
    }
    text = render_card(child, context)
    assert text.startswith("# Child\n") and "## How it was made\nprocedurally\n" in text
    assert "| `set1` | train on set 1" in text
    del context["how"]
    with pytest.raises(jinja2.UndefinedError, match="'how' is undefined"):
        render_card(child, context)  # a variable the template needs and nobody gave fails loudly


def test_schema_and_card_errors():
    with pytest.raises(ValueError, match="clashes with a base column"):
        dataset_features(SYNTA, extra={"split": datasets.Value("string")})
    with pytest.raises(FileNotFoundError, match="Did you mean 'dataset_card_base.md.j2'"):
        render_card("dataset_card_bse.md.j2", {})
