"""K400-TA builder, presence report and attach_videos on a small, realistic Kinetics-400 tree with real mp4 files."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import datasets
import pytest
from factories import write_test_video

from mt_datasets import get_taxonomy
from mt_datasets.commands.cli import main as cli_main
from mt_datasets.sources.attach import attach_videos
from mt_datasets.sources.kinetics import build_k400_ta, kinetics_video_id
from mt_datasets.sources.presence import PRESENCE_JSON, PRESENCE_MD

TAXONOMY = get_taxonomy("k400-ta")
SET1 = TAXONOMY.fine_names_of_set(1)[:2]  # e.g. "balloon blowing", "building cabinet"
SET2 = [TAXONOMY.fine_names[i] for i in TAXONOMY.fine_indices(2)][:1]
DRINKING = "drinking water or soft drinks"  # Kinetics calls it "drinking"


def _csv(path: Path, rows: list[str]) -> None:
    path.write_text("label,youtube_id,time_start,time_end,split\n" + "".join(r + "\n" for r in rows))


@pytest.fixture(scope="module")
def kinetics(tmp_path_factory) -> dict[str, Path]:
    """Annotations with every kind of row, and a video tree mixing the flat and the per-class layout."""
    root = tmp_path_factory.mktemp("kinetics400")
    annotations, videos = root / "annotations", root / "videos"
    annotations.mkdir()
    assert TAXONOMY.fine_set[TAXONOMY.fine_index(DRINKING)] == 2
    _csv(
        annotations / "train.csv",
        [
            f"{SET1[0]},trainAAAAAA,10,20,train",  # flat layout
            f'"{SET1[1]}",trainBBBBBB,0,10,train',  # per-class folder with spaces
            f"{SET2[0]},trainCCCCCC,3,13,train",  # per-class folder with underscores
            "drinking,trainDDDDDD,0,10,train",  # Kinetics' name of a renamed class: the file is text, not video
            "drinking,trainEEEEEE,5,15,train",  # no file at all
            "abseiling,trainFFFFFF,1,11,train",  # a Kinetics class outside K400-TA
            f"{SET1[0]}x,trainGGGGGG,1,11,train",  # a near-miss of a K400-TA class
            f"{SET1[0]},../../secret,1,11,train",  # an id that would escape the video root
            f"{SET1[0]},trainAAAAAA,10,20,train",  # duplicate
            f"{SET1[0]},trainHHHHHH,ten,20,train",  # malformed time
            f"{SET1[0]},trainIIIIII,10",  # too few fields
        ],
    )
    _csv(
        annotations / "validate.csv",
        [f"{SET1[0]},valAAAAAAAA,1,11,val", f"{SET2[0]},valBBBBBBBB,2,12,val", "drinking,valCCCCCCCC,0,10,val"],
    )
    folder = {name: name.replace(" ", "_") for name in (SET2[0],)}
    files = [
        f"train/{kinetics_video_id('trainAAAAAA', 10, 20)}.mp4",
        f"train/{SET1[1]}/{kinetics_video_id('trainBBBBBB', 0, 10)}.mp4",
        f"train/{folder[SET2[0]]}/{kinetics_video_id('trainCCCCCC', 3, 13)}.mp4",
        f"val/{kinetics_video_id('valAAAAAAAA', 1, 11)}.mp4",
        f"validate/{kinetics_video_id('valBBBBBBBB', 2, 12)}.mp4",
        f"val/drinking/{kinetics_video_id('valCCCCCCCC', 0, 10)}.mp4",
    ]
    for seed, relative in enumerate(files):
        (videos / relative).parent.mkdir(parents=True, exist_ok=True)
        write_test_video(videos / relative, seed=seed)
    (videos / "train" / f"{kinetics_video_id('trainDDDDDD', 0, 10)}.mp4").write_text("this is not a video\n")
    return {"annotations": annotations, "videos": videos, "root": root}


@pytest.fixture(scope="module")
def metadata_build(kinetics, tmp_path_factory) -> Path:
    return build_k400_ta(kinetics["annotations"], tmp_path_factory.mktemp("k400-meta") / "k400-ta")


@pytest.fixture(scope="module")
def embedded_build(kinetics, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("k400-embed") / "k400-ta"
    return build_k400_ta(kinetics["annotations"], out, videos=kinetics["videos"], embed=True, workers=2)


def _all(out: Path) -> datasets.Dataset:
    """Every row: config "all" has one split per (fine set, split) group; split="all" is their union."""
    return datasets.load_dataset(str(out), "all", split="all")


def _rows(out: Path) -> dict[str, dict]:
    return {row["video_id"]: row for row in _all(out)}


# (YouTube id, start, end) of the well-formed annotation rows of the 205 classes that the fixture writes, and those of
# them whose video the fixture leaves missing or makes undecodable.
GOOD_CLIPS = [
    ("trainAAAAAA", 10, 20),
    ("trainBBBBBB", 0, 10),
    ("trainCCCCCC", 3, 13),
    ("trainDDDDDD", 0, 10),
    ("trainEEEEEE", 5, 15),
    ("valAAAAAAAA", 1, 11),
    ("valBBBBBBBB", 2, 12),
    ("valCCCCCCCC", 0, 10),
]
CLIPS_WITHOUT_A_GOOD_VIDEO = {("trainDDDDDD", 0, 10), ("trainEEEEEE", 5, 15)}


def test_metadata_release_keeps_every_clip_of_the_205_classes(metadata_build):
    rows = _rows(metadata_build)
    assert sorted(rows) == sorted(kinetics_video_id(*clip) for clip in GOOD_CLIPS)
    drinking = rows[kinetics_video_id("trainDDDDDD", 0, 10)]
    assert TAXONOMY.fine_names[drinking["fine_label"]] == DRINKING
    assert (
        TAXONOMY.coarse_names[drinking["coarse_label"]]
        == TAXONOMY.coarse_names[TAXONOMY.fine_to_coarse[TAXONOMY.fine_index(DRINKING)]]
    )
    assert drinking["fine_set"] == 2 and drinking["split"] == "train"
    assert drinking["youtube_id"] == "trainDDDDDD" and (drinking["time_start"], drinking["time_end"]) == (0, 10)
    assert drinking["relative_path"] == f"train/{kinetics_video_id('trainDDDDDD', 0, 10)}.mp4"
    val = rows[kinetics_video_id("valAAAAAAAA", 1, 11)]
    assert val["split"] == "val" and val["original_split"] == "val" and val["relative_path"].startswith("val/")
    assert "video" not in datasets.load_dataset(str(metadata_build), "set1")["train"].features
    # the protocol's configs: set1 = set-1 train / set-1 val / set-2 val
    set1 = datasets.load_dataset(str(metadata_build), "set1")
    assert {k: len(v) for k, v in set1.items()} == {"train": 2, "known": 1, "unknown": 2}


def test_bad_rows_are_reported_and_skipped(metadata_build):
    report = json.loads((metadata_build / PRESENCE_JSON).read_text())
    kinds = {(p["where"], p["kind"]) for p in report["problems"]}
    assert kinds == {
        ("train.csv:9", "unsafe_id"),
        ("train.csv:10", "duplicate_id"),
        ("train.csv:11", "malformed_row"),
        ("train.csv:12", "malformed_row"),
    }
    assert report["skipped_labels"] == {"abseiling": 1, f"{SET1[0]}x": 1}
    assert SET1[0] in report["skipped_label_hints"][f"{SET1[0]}x"]
    assert report["videos_checked"] is False and report["complete"] is True
    assert report["totals"] == {"expected": 8, "found": None, "missing": None, "undecodable": None}
    card = (metadata_build / "README.md").read_text()
    assert "No videos are included" in card and "CC BY 4.0" in card and "4 annotation rows were skipped" in card


def test_videos_found_in_both_layouts_missing_and_undecodable_reported(embedded_build, kinetics):
    rows = _rows(embedded_build)
    present = {kinetics_video_id(*clip): clip for clip in GOOD_CLIPS if clip not in CLIPS_WITHOUT_A_GOOD_VIDEO}
    assert set(rows) == set(present)
    # embedded bytes are the file's bytes, and relative_path is where the file was found
    raw = _all(embedded_build).cast_column("video", datasets.Video(decode=False))
    for row in raw:
        assert row["video"]["bytes"] == (kinetics["videos"] / row["relative_path"]).read_bytes()
    by_id = {row["video_id"]: row["relative_path"] for row in raw}
    assert by_id[kinetics_video_id("trainBBBBBB", 0, 10)] == f"train/{SET1[1]}/trainBBBBBB_000000_000010.mp4"
    assert by_id[kinetics_video_id("valBBBBBBBB", 2, 12)].startswith("validate/")

    report = json.loads((embedded_build / PRESENCE_JSON).read_text())
    assert report["totals"] == {"expected": 8, "found": 6, "missing": 1, "undecodable": 1}
    assert report["splits"]["set2-train"]["missing"] == [kinetics_video_id("trainEEEEEE", 5, 15)]
    undecodable = report["classes"][DRINKING]["undecodable"]
    assert [u["video_id"] for u in undecodable] == [kinetics_video_id("trainDDDDDD", 0, 10)]
    markdown = (embedded_build / PRESENCE_MD).read_text()
    assert "8 expected, 6 found, 1 missing, 1 undecodable" in markdown
    assert "trainEEEEEE_000005_000015" in markdown
    assert "1 missing, 1 undecodable" in (embedded_build / "README.md").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("label,youtube_id,time_start,time_end,split\n", "no rows"),
        ("label,youtube,start,end\nx,y,1,2\n", "lacks the columns"),
    ],
)
def test_unusable_csv_fails_before_anything_is_lost(kinetics, tmp_path, content, message):
    # A finished build, then a rebuild into the same directory from a broken annotation file.
    out = tmp_path / "k400-ta"
    build_k400_ta(kinetics["annotations"], out)
    shards = {p.name: p.read_bytes() for p in (out / "data").iterdir()}
    broken = tmp_path / "broken"
    shutil.copytree(kinetics["annotations"], broken)
    (broken / "validate.csv").write_text(content)
    with pytest.raises(ValueError, match=message):
        build_k400_ta(broken, out)
    assert {p.name: p.read_bytes() for p in (out / "data").iterdir()} == shards
    assert len(_all(out)) == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (gzip.compress(b"label,youtube_id,time_start,time_end,split\n", mtime=0), "validate.csv is gzip-compressed"),
        (
            "label,youtube_id,time_start,time_end,split\nabseiling,aaaaaaaaaaa,1,2,val\ncaf\xe9,b,1,2,val\n".encode(
                "latin-1"
            ),
            "validate.csv:3: not UTF-8 text (byte 0xe9 at column 4)",
        ),
        (
            # a damaged file: one "field" of 200 kB, beyond the csv module's limit
            b"label,youtube_id,time_start,time_end,split\nabseiling,a,1,2,val\nabseiling," + b"x" * 200_000 + b"\n",
            "validate.csv:3: not a readable CSV row (field larger than field limit",
        ),
    ],
)
def test_unreadable_csv_is_named_with_its_line_in_one_line(kinetics, tmp_path, capsys, content, message):
    broken = tmp_path / "broken"
    shutil.copytree(kinetics["annotations"], broken)
    (broken / "validate.csv").write_bytes(content)
    code = cli_main(["k400-ta", "build", "--annotations", str(broken), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert code == 2 and message in error and len(error.splitlines()) == 1, error


def test_a_byte_order_mark_is_not_part_of_the_header(kinetics, tmp_path):
    # Spreadsheet programs save "UTF-8 with BOM"; the first column must still be called "label".
    annotations = tmp_path / "bom"
    shutil.copytree(kinetics["annotations"], annotations)
    for name in ("train.csv", "validate.csv"):
        (annotations / name).write_bytes(b"\xef\xbb\xbf" + (kinetics["annotations"] / name).read_bytes())
    assert len(_all(build_k400_ta(annotations, tmp_path / "out"))) == 8


def test_a_copy_with_only_the_validation_videos_builds_and_says_what_it_lacks(kinetics, tmp_path, capsys):
    # The usual partial copy: only Kinetics' validation videos were downloaded, to evaluate.
    videos = tmp_path / "val-only"
    for folder in ("val", "validate"):
        shutil.copytree(kinetics["videos"] / folder, videos / folder)
    out = tmp_path / "k400-ta"
    args = ["k400-ta", "build", "--annotations", str(kinetics["annotations"]), "--videos", str(videos)]
    assert cli_main([*args, "--out", str(out), "--embed"]) == 0
    summary = capsys.readouterr().out
    assert "3 of 8 videos found (5 missing, 0 undecodable)" in summary
    assert "split set1-train: no rows (2 videos expected, 2 missing, 0 undecodable)" in summary
    assert "split set2-train: no rows (3 videos expected, 3 missing, 0 undecodable)" in summary
    # every split with rows loads; the train splits are left out of the configs
    ds = datasets.load_dataset(str(out), "set1")
    assert {split: len(rows) for split, rows in ds.items()} == {"known": 1, "unknown": 2}
    assert ds["known"][0]["video"] is not None
    report = json.loads((out / PRESENCE_JSON).read_text())
    assert report["left_out_splits"]["set1-train"] == {"expected": 2, "missing": 2, "undecodable": 0}
    assert SET1[1] in report["classes_without_rows"]
    assert "## Left out of this copy" in (out / PRESENCE_MD).read_text()
    card = (out / "README.md").read_text()
    assert "This copy is partial" in card and "Split `set2-train` has no rows (3 videos expected" in card


def test_a_build_without_any_usable_video_fails_in_one_line(kinetics, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    args = ["k400-ta", "build", "--annotations", str(kinetics["annotations"]), "--videos", str(tmp_path / "empty")]
    assert cli_main([*args, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    assert "none of the 8 videos of the annotations is usable" in error and "8 missing" in error
    assert "finalize" not in error and "(" in error
    # what the failed build leaves does not pass for a dataset: load_dataset says so, and how to go on
    with pytest.raises(FileNotFoundError, match="did not finish - rerun the same command to resume"):
        datasets.load_dataset(str(tmp_path / "out"), "set1")


def test_cli_reports_a_missing_annotation_file_in_one_line(tmp_path, capsys):
    (tmp_path / "train.csv").write_text("label,youtube_id,time_start,time_end,split\n")
    code = cli_main(["k400-ta", "build", "--annotations", str(tmp_path), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert code == 2 and "validate.csv" in error and len(error.splitlines()) == 1


def test_attach_videos_drops_or_flags_missing_files(metadata_build, kinetics, tmp_path):
    ds = datasets.load_dataset(str(metadata_build), "set2")  # a DatasetDict: train / known / unknown
    dropped = attach_videos(ds, kinetics["videos"], report_dir=tmp_path)
    # trainBBBBBB / trainCCCCCC / valBBBBBBBB / valCCCCCCCC live in other layouts than the canonical relative_path,
    # trainDDDDDD is text and trainEEEEEE is absent: only the two flat-layout clips remain.
    assert {name: split["video_id"] for name, split in dropped.items()} == {
        "train": [],
        "known": [],
        "unknown": [kinetics_video_id("valAAAAAAAA", 1, 11)],
    }
    assert isinstance(dropped["unknown"].features["video"], datasets.Video)
    decoder = dropped["unknown"][0]["video"]
    assert decoder.metadata.num_frames == 8
    flagged = attach_videos(_all(metadata_build), kinetics["videos"], on_missing="flag")
    assert len(flagged) == 8 and sum(flagged["video_present"]) == 2
    missing_row = flagged[flagged["video_id"].index(kinetics_video_id("trainEEEEEE", 5, 15))]
    assert missing_row["video"] is None and missing_row["video_present"] is False
    report = json.loads((tmp_path / PRESENCE_JSON).read_text())
    assert report["totals"] == {"expected": 6, "found": 1, "missing": 4, "undecodable": 1}
    assert report["splits"]["train"]["missing"] == [
        kinetics_video_id("trainCCCCCC", 3, 13),
        kinetics_video_id("trainEEEEEE", 5, 15),
    ]


def test_attach_videos_refuses_paths_outside_the_root(kinetics):
    ds = datasets.Dataset.from_dict(
        {"video_id": ["a", "b"], "relative_path": ["../annotations/train.csv", "/etc/passwd"]}
    )
    flagged = attach_videos(ds, kinetics["videos"], on_missing="flag")
    assert flagged["video_present"] == [False, False]
    with pytest.raises(ValueError, match="on_missing"):
        attach_videos(ds, kinetics["videos"], on_missing="ignore")
    with pytest.raises(ValueError, match="relative_path"):
        attach_videos(ds.remove_columns("relative_path"), kinetics["videos"])
