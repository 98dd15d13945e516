"""Diagnostics: temporal probes, per-factor scores, the report, and examples/diagnose.py run as a script."""

from __future__ import annotations

from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from factories import make_tiny_dataset, run_example, write_test_video
from PIL import Image

from mt_datasets import get_taxonomy
from mt_datasets.video import read_clip
from mt_metrics import compute_transferability
from mt_models import DisentangledVideoClassifier, create_backbone, save_tiny_checkpoint
from mt_models.diagnosis.diagnostics import (
    bin_labels,
    build_diagnosis,
    confusion_matrix,
    factor_groups,
    largest_unknown_falls,
    parse_group_spec,
    read_diagnosis,
)
from mt_models.diagnosis.probes import (
    PROBES,
    change_speed,
    opposite_pairs,
    pair_confusion,
    plain_clip,
    replace_background,
    resolve_probes,
    reverse_frames,
    shuffle_frames,
    speed_indices,
    static_frames,
)
from mt_models.diagnosis.report import render_report

SYN_TA = get_taxonomy("syn-ta")
NUM_FRAMES = 8


def numbered_clips(batch: int = 2, num_frames: int = NUM_FRAMES) -> torch.Tensor:
    """``(batch, T, 3, 4, 4)`` uint8 clips whose every pixel of frame t of clip b is ``10 * b + t``."""
    values = 10 * torch.arange(batch).view(batch, 1) + torch.arange(num_frames).view(1, num_frames)
    return values.to(torch.uint8).view(batch, num_frames, 1, 1, 1).expand(batch, num_frames, 3, 4, 4).contiguous()


def frame_ids(clips: torch.Tensor) -> list:
    return clips[..., 0, 0, 0].tolist()


# ---- probes -------------------------------------------------------------------------------------------------------


def test_reverse_is_the_clip_backwards():
    clips = numbered_clips()
    assert torch.equal(reverse_frames(clips), clips.flip(1))
    assert torch.equal(reverse_frames(clips[0]), torch.from_numpy(clips[0].numpy()[::-1].copy()))


def test_shuffle_is_a_seeded_permutation_per_video():
    clips = numbered_clips(batch=3)
    shuffled = shuffle_frames(clips, [(0, 0, b) for b in range(3)])
    for b in range(3):
        order = frame_ids(shuffled[b])
        assert sorted(order) == frame_ids(clips[b])  # a permutation: every frame once
        assert order != frame_ids(clips[b])  # never the identity
    assert torch.equal(shuffled, shuffle_frames(clips, [(0, 0, b) for b in range(3)]))  # seeded
    orders = {tuple(t % 10 for t in frame_ids(shuffle_frames(clips[0], (0, 0, k)))) for k in range(5)}
    assert len(orders) > 1  # different videos get different orders
    with pytest.raises(ValueError, match="2 seeds for a batch of 3"):
        shuffle_frames(clips, [1, 2])


def test_static_repeats_the_middle_frame():
    clips = numbered_clips()
    assert frame_ids(static_frames(clips)) == [[4] * NUM_FRAMES, [14] * NUM_FRAMES]
    assert frame_ids(static_frames(clips[1], index=0)) == [10] * NUM_FRAMES
    with pytest.raises(IndexError, match="outside a clip of 8 frames"):
        static_frames(clips, index=8)


def test_speed_probes_take_the_documented_frames():
    dense = numbered_clips(batch=1, num_frames=3 * NUM_FRAMES)  # frame j shows the value j
    assert frame_ids(plain_clip(dense, NUM_FRAMES)) == [[1, 4, 7, 10, 13, 16, 19, 22]]
    assert frame_ids(change_speed(dense, NUM_FRAMES, 1 / 3)) == [list(range(8, 16))]  # consecutive: 3x slower
    fast = frame_ids(change_speed(dense, NUM_FRAMES, 2.0))[0]
    assert fast == [0, 0, 3, 9, 15, 21, 23, 23]  # twice the plain spacing, ends held
    assert speed_indices(24, 8, 1.0).tolist() == [1, 4, 7, 10, 13, 16, 19, 22]
    with pytest.raises(ValueError, match="odd oversampling"):
        plain_clip(numbered_clips(num_frames=16), NUM_FRAMES)
    with pytest.raises(ValueError, match="speed factor must be > 0"):
        speed_indices(24, 8, 0.0)


def test_plain_clip_of_a_dense_decode_is_the_plain_decode(tmp_path):
    """Decode once: the unmodified probe input is bit for bit what eval.py's single decode gives."""
    path = tmp_path / "clip.mp4"
    write_test_video(path, num_frames=20, size=32, seed=3)
    dense = read_clip(path, 3 * NUM_FRAMES)
    assert torch.equal(plain_clip(dense, NUM_FRAMES), read_clip(path, NUM_FRAMES))


def test_plain_background_keeps_the_moving_object_and_flattens_the_rest(tmp_path):
    path = tmp_path / "clip.mp4"
    written = torch.from_numpy(write_test_video(path, num_frames=24, size=32, seed=1, crf=0)).permute(0, 3, 1, 2)
    dense = read_clip(path, 24)
    clip = plain_clip(dense, NUM_FRAMES)
    replaced = replace_background(clip, reference=dense)
    square = written[1::3].amax(dim=1) > 150  # where the bright square is, per plain frame
    grey = (replaced == 128).all(dim=1)
    assert (replaced.permute(0, 2, 3, 1)[square] > 150).all()  # the object survives
    assert grey[~square].float().mean() > 0.95  # the noisy static background is flat grey
    assert not grey[square].any()
    with pytest.raises(ValueError, match="do not match the clips"):
        replace_background(clip, reference=dense[:, :, :16])


def test_probe_registry_and_selection():
    assert [p.name for p in resolve_probes("all", taxonomy=SYN_TA)] == list(PROBES)
    assert "plain_background" not in [p.name for p in resolve_probes("all", taxonomy=get_taxonomy("k400-ta"))]
    assert [p.name for p in resolve_probes("reverse, static")] == ["reverse", "static"]
    assert resolve_probes("none") == []
    with pytest.raises(ValueError, match="Did you mean 'reverse'"):
        resolve_probes("revrse")
    with pytest.raises(ValueError, match="for Syn-TA"):
        resolve_probes("plain_background", taxonomy=get_taxonomy("k400-ta"))
    dense = numbered_clips(num_frames=3 * NUM_FRAMES)
    for probe in PROBES.values():
        out = probe.apply(dense, NUM_FRAMES, [(0, 0, 0), (0, 0, 1)])
        assert out.shape == (2, NUM_FRAMES, 3, 4, 4) and out.dtype == torch.uint8


def test_opposite_pairs_and_their_confusion():
    pairs = opposite_pairs(SYN_TA)
    names = [(SYN_TA.coarse_names[a], SYN_TA.coarse_names[b]) for a, b in pairs]
    assert ("rising", "falling") in names and ("merging", "cloning") in names and len(pairs) == 5
    assert opposite_pairs(get_taxonomy("k400-ta")) == []
    rising, falling = SYN_TA.coarse_index("rising"), SYN_TA.coarse_index("falling")
    rows = pair_confusion(
        [falling, rising, rising, 0], [rising, rising, falling, 0], [(rising, falling), (1, 2)], SYN_TA.coarse_names
    )
    assert {k: rows[0][k] for k in ("a_as_b", "b_as_a", "num_a", "num_b")} == {
        "a_as_b": 1,
        "b_as_a": 1,
        "num_a": 2,
        "num_b": 1,
    }
    assert rows[0]["confusion"] == pytest.approx(2 / 3) and rows[0]["names"] == ["rising", "falling"]
    assert rows[1]["confusion"] is None  # no videos of either class: not measured, not 0


# ---- scores, grouping, record -------------------------------------------------------------------------------------


def random_predictions(seed: int = 0, n: int = 120):
    rng = np.random.default_rng(seed)
    references = rng.integers(0, 4, n)
    is_known = rng.random(n) < 0.5
    predictions = {name: np.where(rng.random(n) < 0.6, references, rng.integers(0, 4, n)) for name in ("plain", "x")}
    view = rng.choice(["front", "regular"], n)
    # "hidden" only among known videos: a group value with no unknown examples.
    background = np.where(is_known & (rng.random(n) < 0.3), "hidden", rng.choice(["sky", "grid"], n))
    return predictions, references, is_known, {"view": view, "background": background}


def test_per_group_scores_equal_the_scores_of_each_subset():
    predictions, references, is_known, groups = random_predictions()
    taxonomy = get_taxonomy("syn-ta")
    diagnosis = build_diagnosis(predictions, references, is_known, taxonomy, groups=groups)
    for name, values in groups.items():
        for value in set(values) - {"hidden"}:
            subset = values == value
            alone = compute_transferability(predictions["plain"][subset], references[subset], is_known[subset])
            got = diagnosis["plain"]["per_group"][name][value]
            for score in ("known_accuracy", "unknown_accuracy", "absolute_drop", "num_known", "num_unknown"):
                assert got[score] == pytest.approx(alone[score])
    hidden = diagnosis["plain"]["per_group"]["background"]["hidden"]
    assert hidden["unknown_accuracy"] is None and hidden["num_unknown"] == 0 and hidden["absolute_drop"] is None
    assert hidden["note"] == "no unknown examples"
    probe = diagnosis["probes"]["x"]
    assert probe["change"]["known_accuracy"] == pytest.approx(
        probe["scores"]["known_accuracy"] - diagnosis["plain"]["known_accuracy"]
    )
    known = diagnosis["confusion_matrices"]["known"]
    assert np.sum(known) == is_known.sum() and np.trace(known) == np.sum((predictions["plain"] == references)[is_known])


def test_confusion_matrix_and_falls_against_sklearn():
    from sklearn.metrics import confusion_matrix as sklearn_confusion

    predictions, references, is_known, _ = random_predictions(seed=1)
    plain = predictions["plain"]
    assert np.array_equal(confusion_matrix(plain, references, 5), sklearn_confusion(references, plain, labels=range(5)))
    falls = largest_unknown_falls(plain, references, is_known, [str(c) for c in range(4)], top=2)
    assert len(falls) == 2 and falls[0]["fall"] >= falls[1]["fall"]
    c = falls[0]["class"]
    known_c = np.mean((plain == references)[is_known & (references == c)])
    assert falls[0]["known_accuracy"] == pytest.approx(known_c)
    with pytest.raises(ValueError, match="outside 0..4"):
        confusion_matrix([5], [0], 5)


def test_factor_groups_of_syn_ta_columns():
    features = datasets.Features(
        {
            "fine_label": datasets.ClassLabel(names=["a1", "b1"]),
            "view": datasets.Value("string"),
            "shapes": datasets.List(datasets.Value("string")),
            "camera_azimuth": datasets.Value("float32"),
            "camera_elevation": datasets.Value("float32"),
        }
    )
    rows = {
        "fine_label": [0, 1, 1],
        "view": ["front", "regular", "regular"],
        "shapes": [["cube"], ["sphere", "cube", "cube"], []],
        "camera_azimuth": [0.0, -70.5, 44.0],
        "camera_elevation": [3.0, 12.0, 39.0],
    }
    dataset = datasets.Dataset.from_dict(rows, features=features)
    groups = factor_groups(dataset, parse_group_spec("fine_label,view,shapes,camera_azimuth,camera_elevation:20"))
    assert groups["fine_label"] == ["a1", "b1", "b1"]
    assert groups["view"] == ["front", "regular", "regular"]
    assert groups["shapes"] == ["cube", "cube+sphere", "(none)"]
    assert groups["camera_azimuth"] == ["[0, 30)", "[-90, -60)", "[30, 60)"]
    assert groups["camera_elevation"] == ["[0, 20)", "[0, 20)", "[20, 40)"]
    with pytest.raises(ValueError, match="Did you mean 'view'"):
        factor_groups(dataset, ["veiw"])
    plain_floats = dataset.cast_column("camera_azimuth", datasets.Value("float64")).rename_column("camera_azimuth", "z")
    with pytest.raises(ValueError, match="give a bin width, e.g. --groups z:10"):
        factor_groups(plain_floats, ["z"])
    with pytest.raises(ValueError, match="bad bin width"):
        parse_group_spec("camera_azimuth:wide")
    assert bin_labels([-0.1], 30) == ["[-30, 0)"]


def test_report_renders_markdown_and_real_plots(tmp_path):
    predictions, references, is_known, groups = random_predictions()
    rising, falling = SYN_TA.coarse_index("rising"), SYN_TA.coarse_index("falling")
    references = np.where(references == 0, rising, np.where(references == 1, falling, references))
    predictions = {k: np.where(v == 0, rising, np.where(v == 1, falling, v)) for k, v in predictions.items()}
    diagnosis = build_diagnosis(
        {"plain": predictions["plain"], "reverse": predictions["x"]},
        references,
        is_known,
        SYN_TA,
        groups=groups,
        probe_descriptions={"reverse": "frames in reverse order"},
        metadata={"model": "tiny", "dataset": "mini"},
    )
    report = render_report(diagnosis, tmp_path / "report")
    text = report.read_text()
    assert "| `hidden` |" in text and "no unknown examples" in text
    assert "rising / falling" in text and "| `reverse` | frames in reverse order |" in text
    assert read_diagnosis(tmp_path / "report")["plain"]["known_accuracy"] == diagnosis["plain"]["known_accuracy"]
    for name in ("factor_view", "factor_background", "probe_changes", "confusion_known", "confusion_unknown"):
        assert f"]({name}.png)" in text
        with Image.open(tmp_path / "report" / f"{name}.png") as image:
            image.verify()
        pixels = np.asarray(Image.open(tmp_path / "report" / f"{name}.png").convert("L"), dtype=np.float64)
        assert pixels.shape[0] > 200 and pixels.std() > 10  # not blank
        assert len(np.unique(pixels)) > 20
    (tmp_path / "report" / "diagnosis.json").write_text('{"format_version": 1, "plain": {')
    with pytest.raises(ValueError, match="was the diagnosis interrupted"):
        read_diagnosis(tmp_path / "report")


# ---- examples/diagnose.py -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_synta(tmp_path_factory) -> Path:
    # appearing (0) and disappearing (7): one opposite pair.
    return make_tiny_dataset(tmp_path_factory.mktemp("diag-syn-ta"), coarse_classes=(0, 7), clips_per_fine=1)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A randomly initialised tiny classifier for set 1, saved as train.py saves one."""
    out = tmp_path_factory.mktemp("diag-model")
    backbone = create_backbone(str(save_tiny_checkpoint("videomae", out / "backbone")))
    model = DisentangledVideoClassifier.for_training_set(backbone, SYN_TA, 1)
    model.save_pretrained(out / "model")
    return out / "model"


def test_diagnose_script_writes_the_report(tiny_synta, tiny_model, tmp_path):
    report = tmp_path / "report"
    run_example(
        "diagnose",
        *("--dataset", str(tiny_synta), "--model", str(tiny_model), "--report", str(report)),
        *("--probes", "all", "--groups", "fine_label", "--num_workers", "0", "--batch_size", "4"),
    )
    diagnosis = read_diagnosis(report)
    known_videos = len(datasets.load_dataset(str(tiny_synta), "set1", split="known"))
    assert list(diagnosis["probes"]) == list(PROBES)
    assert diagnosis["oversampling"] == 3 and diagnosis["skipped_videos"] == {"known": 0, "unknown": 0}
    assert diagnosis["plain"]["num_known"] == known_videos
    for probe in diagnosis["probes"].values():
        assert probe["scores"]["num_known"] == known_videos
        measured = [row["names"] for row in probe["pair_confusion"] if row["confusion"] is not None]
        assert measured == [["appearing", "disappearing"]]  # the other pairs have no videos here: None, not 0
    # Each fine variant is either trained on (known) or held out: every fine_label group lacks one kind.
    notes = {v["note"] for v in diagnosis["plain"]["per_group"]["fine_label"].values()}
    assert notes == {"no unknown examples", "no known examples"}
    text = (report / "report.md").read_text()
    assert "appearing / disappearing" in text and "no unknown examples" in text
    assert (report / "factor_fine_label.png").stat().st_size > 5000


def test_diagnose_rejects_bad_groups_and_probes(tiny_synta, tiny_model, tmp_path, capsys):
    common = ("--dataset", str(tiny_synta), "--model", str(tiny_model), "--report", str(tmp_path))
    with pytest.raises(SystemExit, match="^diagnose.py: Unknown group column 'fine_labl'. Did you mean 'fine_label'"):
        run_example("diagnose", *common, "--groups", "fine_labl")
    with pytest.raises(SystemExit) as exit_info:  # a usage error, before the dataset loads
        run_example("diagnose", *common, "--probes", "shufle")
    assert exit_info.value.code == 2
    assert "--probes: Unknown probe 'shufle'. Did you mean 'shuffle'?" in capsys.readouterr().err
    assert not (tmp_path / "diagnosis.json").exists()
