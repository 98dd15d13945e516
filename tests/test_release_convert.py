"""``mt-datasets syn-ta convert`` on a small copy of the authors' release layout, with real mp4 files."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
from factories import hold_directory_lock, write_test_video

from mt_datasets import get_taxonomy
from mt_datasets.commands.cli import main as cli_main
from mt_datasets.sources.presence import PRESENCE_JSON
from mt_datasets.syn_ta.release import convert_release, iter_release_clips
from mt_datasets.video import probe_video

TAXONOMY = get_taxonomy("syn-ta")
# one fine class of each set, from the same coarse class; clip 1 (train) and 31 (val) in both views
FINE_1 = TAXONOMY.fine_indices(1)[0]
FINE_2 = next(f for f in TAXONOMY.fine_classes_of(TAXONOMY.fine_to_coarse[FINE_1]) if TAXONOMY.fine_set[f] == 2)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synta-release")
    for seed, (fine, clip_id, view) in enumerate(
        (f, k, v) for f in (FINE_1, FINE_2) for k in (1, 31) for v in ("regular", "front")
    ):
        path = root / TAXONOMY.release_path(fine, clip_id, view)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_test_video(path, num_frames=12, size=48, seed=seed)
    # a clip that is really an HTML error page, and a truncated one
    (root / TAXONOMY.release_path(FINE_1, 2, "regular")).write_text("<html>quota exceeded</html>")
    good = (root / TAXONOMY.release_path(FINE_1, 1, "regular")).read_bytes()
    (root / TAXONOMY.release_path(FINE_2, 2, "front")).write_bytes(good[: len(good) // 3])
    return root


def test_clip_order_and_splits_follow_the_release_lists():
    clips = list(iter_release_clips())
    assert len(clips) == 10_000 and len({c.video_id for c in clips}) == 10_000
    listed = [f"{c.candidates[0]} {TAXONOMY.fine_to_coarse[c.fine_index]}" for c in clips if c.split == "train"]
    assert listed[:3180] == TAXONOMY.split_list("coarse", "train", 1)
    first = clips[0]
    assert (first.extra, first.split) == ({"view": "regular", "clip_id": 1}, "train")
    assert first.video_id == Path(first.candidates[0]).stem


def test_convert_keeps_the_decodable_clips_and_reports_the_rest(release, tmp_path):
    out = convert_release(release, tmp_path / "syn-ta", workers=2)
    ds = datasets.load_dataset(str(out), "set1").cast_column("video", datasets.Video(decode=False))
    assert {k: len(v) for k, v in ds.items()} == {"train": 2, "known": 2, "unknown": 2}
    for row in ds["train"]:
        assert row["video"]["bytes"] == (release / row["relative_path"]).read_bytes()
        assert TAXONOMY.fine_names[row["fine_label"]] == TAXONOMY.fine_names[FINE_1]
    assert sorted(ds["train"]["view"]) == ["front", "regular"]
    report = json.loads((out / PRESENCE_JSON).read_text())
    assert report["totals"] == {"expected": 10_000, "found": 8, "missing": 9_990, "undecodable": 2}
    undecodable = [u["video_id"] for e in report["classes"].values() for u in e["undecodable"]]
    assert sorted(undecodable) == sorted(
        [Path(TAXONOMY.release_path(FINE_1, 2, "regular")).stem, Path(TAXONOMY.release_path(FINE_2, 2, "front")).stem]
    )
    card = (out / "README.md").read_text()
    assert "The clips are the release's files, unchanged." in card and "9990 are missing" in card


def test_convert_can_downscale_and_change_the_frame_rate(release, tmp_path):
    out = convert_release(release, tmp_path / "small", size=16, fps=4)
    row = datasets.load_dataset(str(out), "set2")["train"].cast_column("video", datasets.Video(decode=False))[0]
    info = probe_video(row["video"]["bytes"])
    # the source: 12 frames of 48x48 at 8 fps (1.5 s) -> 16x16 at 4 fps, 6 frames
    assert (info.width, info.height, info.num_frames) == (16, 16, 6)
    assert info.fps == pytest.approx(4)
    assert "shorter side scaled to 16 pixels at 4 fps" in (out / "README.md").read_text()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="release folder"):
        convert_release(tmp_path / "nowhere", tmp_path / "out")
    with pytest.raises(ValueError, match="--fps must be positive"):
        convert_release(tmp_path, tmp_path / "out", fps=0)


def test_convert_into_a_directory_another_process_writes_stops_in_one_line(release, tmp_path, capsys):
    out = tmp_path / "syn-ta"
    with hold_directory_lock(out, "mt-datasets syn-ta convert --out X") as pid:
        assert cli_main(["syn-ta", "convert", "--source", str(release), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1, error
    assert f"is being written by another process (pid {pid}" in error and "syn-ta convert --out X" in error
    assert not out.exists()  # nothing was written
    # a partial release converts: its splits with rows load, the summary names what it lacks
    assert cli_main(["syn-ta", "convert", "--source", str(release), "--out", str(out)]) == 0
    assert "fine classes have no rows" in capsys.readouterr().out
    assert {split: len(rows) for split, rows in datasets.load_dataset(str(out), "set1").items()} == {
        "train": 2,
        "known": 2,
        "unknown": 2,
    }
