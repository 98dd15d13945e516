"""SSv2-TA builder on a small, realistic Something-Something-v2 tree with real webm files."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import datasets
import pytest
from factories import SquareMotion, render_square_clip

from mt_datasets import get_taxonomy
from mt_datasets.commands.cli import main as cli_main
from mt_datasets.sources.presence import PRESENCE_JSON
from mt_datasets.sources.ssv2 import build_ssv2_ta, template_name
from mt_datasets.video import encode_video

TAXONOMY = get_taxonomy("ssv2-ta")
SET1 = TAXONOMY.fine_names_of_set(1)[0]  # "Bending something so that it deforms"
SET2 = TAXONOMY.fine_names_of_set(2)[0]
OUTSIDE = "Approaching something with your camera"  # an SSv2 template that SSv2-TA does not use


def _bracketed(name: str) -> str:
    """SSv2 writes templates in train.json with brackets around the placeholders."""
    return name.replace("something", "[something]", 1)


def _entry(video_id, name, label=None):
    return {"id": video_id, "label": label or name.lower(), "template": _bracketed(name), "placeholders": ["a pen"]}


def _webm(path: Path, seed: int) -> None:
    frames = render_square_clip(SquareMotion(direction=seed), num_frames=8, size=32, seed=seed)
    encode_video(frames, path, container_format="webm", codec="libvpx-vp9", pix_fmt="yuv420p", fps=12)


@pytest.fixture(scope="module")
def ssv2(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ssv2")
    annotations, videos = root / "annotations", root / "videos"
    annotations.mkdir()
    videos.mkdir()
    assert OUTSIDE not in TAXONOMY.fine_names
    labels = {name: str(i) for i, name in enumerate([*TAXONOMY.fine_names, OUTSIDE])}
    (annotations / "labels.json").write_text(json.dumps(labels))
    train = [
        _entry("101", SET1, "bending a pen so that it deforms"),
        _entry(102, SET2),  # ids may be numbers
        _entry("103", OUTSIDE),
        {"id": "104", "label": "no template"},  # malformed
        "not an object",  # malformed
        _entry("105", "Juggling something"),  # not a template of labels.json
        _entry("../../etc/passwd", SET1),  # unsafe id
        _entry("101", SET2),  # duplicate id
        _entry("106", SET1),  # the file is text named .webm
        _entry("107", SET2),  # no file
    ]
    validation = [_entry("201", SET1), _entry("202", SET2)]
    (annotations / "train.json").write_text(json.dumps(train))
    (annotations / "validation.json").write_text(json.dumps(validation))
    for seed, video_id in enumerate(["101", "102", "103", "201", "202"]):
        _webm(videos / f"{video_id}.webm", seed)
    (videos / "106.webm").write_text("<html>this download failed</html>\n")
    return {"annotations": annotations, "videos": videos}


def test_template_names_drop_the_brackets():
    assert template_name("Putting [something] on a surface") == "Putting something on a surface"
    assert template_name(_bracketed(SET1)) == SET1


def test_metadata_and_embedded_builds(ssv2, tmp_path):
    meta = build_ssv2_ta(ssv2["annotations"], tmp_path / "meta")
    rows = {r["video_id"]: r for r in datasets.load_dataset(str(meta), "all", split="all")}
    assert sorted(rows) == ["101", "102", "106", "107", "201", "202"]
    assert rows["101"]["caption"] == "bending a pen so that it deforms" and rows["101"]["placeholders"] == ["a pen"]
    assert TAXONOMY.fine_names[rows["102"]["fine_label"]] == SET2 and rows["102"]["fine_set"] == 2
    assert rows["201"]["split"] == "val" and rows["201"]["original_split"] == "validation"
    assert rows["201"]["relative_path"] == "201.webm"
    report = json.loads((meta / PRESENCE_JSON).read_text())
    assert [(p["where"], p["kind"]) for p in report["problems"]] == [
        ("train.json[3]", "malformed_row"),
        ("train.json[4]", "malformed_row"),
        ("train.json[5]", "unknown_label"),
        ("train.json[6]", "unsafe_id"),
        ("train.json[7]", "duplicate_id"),
    ]
    assert report["skipped_labels"] == {OUTSIDE: 1}
    card = (meta / "README.md").read_text()
    assert "No videos are included" in card and "Qualcomm" in card

    embedded = build_ssv2_ta(ssv2["annotations"], tmp_path / "embedded", videos=ssv2["videos"], embed=True)
    ds = datasets.load_dataset(str(embedded), "set1")
    assert {k: sorted(v["video_id"]) for k, v in ds.items()} == {"train": ["101"], "known": ["201"], "unknown": ["202"]}
    frame = ds["train"][0]["video"].get_frame_at(0).data
    assert tuple(frame.shape) == (3, 32, 32)
    report = json.loads((embedded / PRESENCE_JSON).read_text())
    assert report["totals"] == {"expected": 6, "found": 4, "missing": 1, "undecodable": 1}
    assert report["classes"][SET2]["missing"] == ["107"]
    assert [u["video_id"] for u in report["classes"][SET1]["undecodable"]] == ["106"]
    assert "106.webm" in report["classes"][SET1]["undecodable"][0]["reason"]


def test_a_copy_with_only_the_validation_videos_builds(ssv2, tmp_path, capsys):
    videos = tmp_path / "val-only"
    videos.mkdir()
    for video_id in ("201", "202"):
        (videos / f"{video_id}.webm").write_bytes((ssv2["videos"] / f"{video_id}.webm").read_bytes())
    args = ["ssv2-ta", "build", "--annotations", str(ssv2["annotations"]), "--videos", str(videos), "--embed"]
    assert cli_main([*args, "--out", str(tmp_path / "out")]) == 0
    summary = capsys.readouterr().out
    assert "2 of 6 videos found (4 missing, 0 undecodable)" in summary and "split set1-train: no rows" in summary
    for config in ("set1", "set2"):
        ds = datasets.load_dataset(str(tmp_path / "out"), config)
        assert {split: len(rows) for split, rows in ds.items()} == {"known": 1, "unknown": 1}


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("train.json", "", "is empty"),
        ("train.json", '[{"id": "1", "template": ', "not valid JSON"),
        ("validation.json", "{}", "non-empty JSON list"),
        ("labels.json", "[]", "labels.json must be"),
        (
            "train.json",
            '[\n{"id": "1",\n "template": }]',
            "train.json:3: not valid JSON (Expecting value at column 14)",
        ),
        ("train.json", gzip.compress(b"[]", mtime=0), "train.json is gzip-compressed"),
        (
            "validation.json",
            '[\n{"id": "caf\u00e9"}]'.encode("latin-1"),
            "validation.json:2: not UTF-8 text (byte 0xe9",
        ),
    ],
)
def test_unusable_annotation_files_raise_clearly(ssv2, tmp_path, file, content, message):
    broken = tmp_path / "annotations"
    broken.mkdir()
    for name in ("labels.json", "train.json", "validation.json"):
        (broken / name).write_bytes((ssv2["annotations"] / name).read_bytes())
    if isinstance(content, bytes):
        (broken / file).write_bytes(content)
    else:
        (broken / file).write_text(content)
    with pytest.raises(ValueError, match=re.escape(message)):
        build_ssv2_ta(broken, tmp_path / "out")
    assert not (tmp_path / "out" / "data").exists() or not any((tmp_path / "out" / "data").glob("*.parquet"))


def test_missing_annotation_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="labels.json"):
        build_ssv2_ta(tmp_path, tmp_path / "out")
