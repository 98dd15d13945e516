"""Backbones' per-time features and the two-temporal-scale heads (mt_models.models.temporal_heads): their parts,
training on a
tiny Syn-TA with train.py, saving and serving with pipeline()."""

from __future__ import annotations

import json

import datasets
import pytest
import torch
from factories import make_tiny_dataset
from transformers import AutoModel, pipeline

from mt_datasets import read_clip
from mt_models import DisentangledConfig, DisentangledVideoClassifier, create_backbone, preprocess
from mt_models.models.backbones import list_backbones
from mt_models.models.resnet3d import PRESETS, ResNet3DConfig, ResNet3DModel
from mt_models.models.temporal_heads import (
    TEMPORAL_HEAD_NAMES,
    frame_differences,
    slow_summary,
    variant_centroid_spread,
)
from mt_models.train.loop import train, training_options

LABELS = dict(coarse_labels=["a", "b"], fine_labels=["a1", "a2", "b1", "b2"], fine_to_coarse=[0, 0, 1, 1])
# Backbones whose clip feature is the mean over time of their per-time features (the others pool a CLS token).
MEAN_POOLED = ("resnet3d", "c2d-r50", "i3d-r50", "videomae", "vjepa2", "xclip", "clip")


def _clip(backbone, frames: int | None = None, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    spec = backbone.input_spec
    shape = (2, frames or spec.num_frames, spec.channels, *spec.crop_size)
    return torch.randn(shape, generator=generator)


def test_resnet3d_per_time_features_pool_to_todays_clip_feature():
    torch.manual_seed(0)
    backbone = create_backbone("resnet3d", modality="fg+diff").eval()  # the demo's model: 16 x 32 x 32, 6 channels
    pixel_values = _clip(backbone)
    reference = ResNet3DModel(ResNet3DConfig(**PRESETS["cpu-small"], num_channels=6)).eval()
    reference.load_state_dict(backbone.model.state_dict())
    with torch.no_grad():
        today = reference(pixel_values)
        steps = backbone.temporal_features(pixel_values)
        clip = backbone(pixel_values)
    assert steps.shape == (2, 4, 96)  # 16 frames over the network's temporal stride 4
    assert torch.equal(clip, today.pooler_output)  # today's output unchanged
    # The same computation gives the same bits: the spatial mean of the last stage, at each time step.
    assert torch.equal(steps, today.last_hidden_state.mean(dim=(3, 4)).transpose(1, 2))
    # Pooled over time they are the clip feature (the sums are ordered differently: float rounding only).
    assert torch.allclose(steps.mean(dim=1), clip, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", list_backbones())
def test_every_backbone_gives_per_time_features(name):
    torch.manual_seed(0)
    backbone = create_backbone(name, tiny=True).eval()
    pixel_values = _clip(backbone, frames=16 if name == "resnet3d" else None)
    with torch.no_grad():
        steps, clip = backbone.temporal_features(pixel_values), backbone(pixel_values)
    tubelet = getattr(backbone.config, "tubelet_size", 1)
    tubelet = tubelet[0] if isinstance(tubelet, list) else tubelet
    stride = 4 if name == "resnet3d" else 1 if name in ("c2d-r50", "i3d-r50") else tubelet
    assert steps.shape == (2, pixel_values.shape[1] // stride, backbone.feature_dim)
    if name in MEAN_POOLED:
        assert torch.allclose(steps.mean(dim=1), clip, rtol=0, atol=1e-5)
    else:  # a CLS token: not the mean of the patch tokens
        assert not torch.allclose(steps.mean(dim=1), clip, atol=1e-3)


def test_clip_frames_are_per_time_and_local():
    torch.manual_seed(0)
    backbone = create_backbone("clip", tiny=True).eval()
    pixel_values = _clip(backbone)
    changed = pixel_values.clone()
    changed[:, 5] = 0.0
    with torch.no_grad():
        before, after = backbone.temporal_features(pixel_values), backbone.temporal_features(changed)
    moved = (before - after).abs().amax(dim=(0, 2))
    assert moved[5] > 0 and torch.count_nonzero(moved) == 1  # only the frame that changed


def test_slow_summary_and_frame_differences():
    steps = torch.tensor([[[0.0], [2.0], [4.0], [10.0]]])
    slow, held = slow_summary(steps, 2)
    assert slow.flatten().tolist() == [1.0, 7.0]
    assert (steps - held).flatten().tolist() == [-1.0, 1.0, -3.0, 3.0]  # zero mean within each segment
    assert frame_differences(steps).flatten().tolist() == [2.0, 2.0, 6.0]
    one, _ = slow_summary(steps, 1)
    assert one.flatten().tolist() == [4.0]  # one segment: the clip mean


def test_variant_centroid_spread_by_hand():
    groups = torch.tensor([0, 0, 1, 1])
    fine = torch.tensor([0, 0, 1, 2])
    valid = torch.ones(4, dtype=torch.bool)
    # Variants 0 and 1 (coarse 0) at e1 and e2: centre (0.5, 0.5), each 0.5 away squared; variant 2 (coarse 1) is
    # its class's only variant in the batch, so it does not count.
    embeds = torch.tensor([[2.0, 0.0], [1.0, 0.0], [0.0, 3.0], [5.0, 5.0]])
    assert variant_centroid_spread(embeds, fine, valid, groups, 2).item() == pytest.approx(0.5)
    aligned = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [0.0, 1.0]])
    assert variant_centroid_spread(aligned, fine, valid, groups, 2).item() == pytest.approx(0.0, abs=1e-7)
    # A row left out: variant 1 is absent, no class has two variants -> 0
    assert variant_centroid_spread(embeds, fine, torch.tensor([True, True, False, True]), groups, 2).item() == 0.0


def _model(head: str, **options) -> DisentangledVideoClassifier:
    torch.manual_seed(0)
    backbone = create_backbone("videomae", tiny=True)
    return DisentangledVideoClassifier.from_backbone(backbone, **LABELS, embedding_dim=16, head=head, **options)


def test_slowfast_coarse_branch_reads_the_slow_summary_and_starts_as_the_clip_mean():
    model = _model("slowfast").eval()
    pixel_values = _clip(model.backbone)
    with torch.no_grad():
        out = model(pixel_values)
        steps = model.backbone.temporal_features(pixel_values)
        plain = model.coarse_classifier(model.coarse_projection(model.backbone(pixel_values)))
        _, held = slow_summary(steps, 2)
        fine = model.temporal.fine_classifier(model.temporal.fine_projection(steps - held).mean(dim=1))
    assert torch.allclose(out.coarse_logits, plain, atol=1e-5)  # weights 1/2 per segment: the mean over time
    assert torch.allclose(out.fine_logits, fine, atol=1e-6)
    with torch.no_grad():  # learned segment weights make the order of the slow segments count
        model.temporal.slow_weights[0].fill_(1.0)
        model.temporal.slow_weights[1].fill_(0.0)
        reversed_clip = model(pixel_values.flip(1)).coarse_logits
    assert not torch.allclose(model(pixel_values).coarse_logits, reversed_clip, atol=1e-4)


def test_pooled_delta_fine_branch_reads_frame_changes_and_the_coarse_one_the_pooled_feature():
    model = _model("pooled_delta").train()
    pixel_values = _clip(model.backbone)
    coarse, fine = torch.tensor([0, 0]), torch.tensor([0, 1])
    out = model(pixel_values, coarse_labels=coarse, fine_labels=fine)
    steps = model.backbone.temporal_features(pixel_values)
    expected = model.temporal.fine_projection(frame_differences(steps)).mean(dim=1)
    assert torch.allclose(out.fine_embeds, expected, atol=1e-6)
    assert torch.allclose(out.coarse_embeds, model.coarse_projection(steps.mean(dim=1)), atol=1e-6)
    assert out.invariance_loss > 0  # two variants of coarse class 0 at different places
    penalty_only = _model("pooled_delta", invariance_weight=3.0).train()
    terms = penalty_only(pixel_values, coarse_labels=coarse, fine_labels=fine)
    assert terms.loss.item() == pytest.approx(
        (terms.coarse_loss + terms.fine_loss + 3.0 * terms.invariance_loss).item(), rel=1e-6
    )


def test_temporal_head_mistakes_are_one_line():
    with pytest.raises(ValueError, match="head 'slowfast' needs fine_labels"):
        DisentangledConfig(coarse_labels=["a"], head="slowfast")
    with pytest.raises(ValueError, match="fine_loss_weight must be > 0, got 0"):
        DisentangledConfig(**LABELS, head="pooled_delta", fine_loss_weight=0.0)
    with pytest.raises(ValueError, match="slow_segments must be >= 1, got 0"):
        DisentangledConfig(**LABELS, head="slowfast", slow_segments=0)
    with pytest.raises(ValueError, match="adversarial_weight must be 0 with head 'slowfast'"):
        DisentangledConfig(**LABELS, head="slowfast", adversarial_weight=1.0)
    config = DisentangledConfig(**LABELS, head="pooled_delta")
    assert (config.fine_loss_weight, config.fine_marginal_weight, config.fine_gradient_scale) == (1.0, 0.0, 1.0)
    model = _model("slowfast", slow_segments=4)  # videomae tiny: 8 frames in tubelets of 2 = 4 time steps
    with pytest.raises(ValueError, match=r"needs at least 5 time steps .* gives 4 for 8 frames: use more frames or"):
        model(_clip(model.backbone))


@pytest.fixture(scope="module")
def tiny_syn_ta(tmp_path_factory):
    """A tiny Syn-TA (two coarse classes) and one of its mp4 files."""
    directory = make_tiny_dataset(tmp_path_factory.mktemp("temporal-syn-ta"), coarse_classes=(0, 1), clips_per_fine=2)
    split = datasets.load_dataset(str(directory), "set1")["known"].cast_column("video", datasets.Video(decode=False))
    video = tmp_path_factory.mktemp("temporal-video") / "clip.mp4"
    video.write_bytes(split[0]["video"]["bytes"])
    return directory, video


@pytest.mark.parametrize("head", TEMPORAL_HEAD_NAMES)
def test_train_py_trains_the_head_down_saves_it_and_pipeline_serves_it(head, tiny_syn_ta, tmp_path):
    dataset_dir, video = tiny_syn_ta
    out = tmp_path / "model"
    arguments = ["--dataset", str(dataset_dir), "--model", "resnet3d", "--modality", "fg+diff"]
    arguments += ["--output_dir", str(out)]
    arguments += ["--num_epochs", "4", "--batch_size", "5", "--num_workers", "0", "--learning_rate", "3e-3"]
    train(training_options([*arguments, "--head", head, "--compile", "no", "--mixed_precision", "no"]))
    losses = json.loads((out / "train_results.json").read_text())["train_loss_per_epoch"]
    assert losses[-1] < losses[0], losses
    card = " ".join((out / "README.md").read_text().split())
    assert f"Head: `{head}`" in card and "Two temporal scales (`mt_models.models.temporal_heads`" in card
    model = AutoModel.from_pretrained(out).eval()
    assert type(model).__name__ == "DisentangledVideoClassifier" and model.config.head == head
    spec = model.input_spec
    pixel_values = preprocess(read_clip(str(video), num_frames=spec.num_frames), spec).unsqueeze(0)
    with torch.no_grad():
        probabilities = model(pixel_values).coarse_logits[0].softmax(-1)
    classify = pipeline("video-classification", model=str(out))
    names = list(model.config.coarse_labels)
    result = classify(str(video), top_k=len(names))
    top = probabilities.topk(len(names))
    assert [r["label"] for r in result] == [names[i] for i in top.indices.tolist()]
    assert [r["score"] for r in result] == pytest.approx(top.values.tolist(), abs=1e-5)


def test_the_head_search_harness_names_the_new_heads():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "heads.py"
    spec = importlib.util.spec_from_file_location("bench_heads_temporal", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.parse_variant("slowfast:slow_segments=3") == ("slowfast", ["--slow_segments", "3"])
    assert bench.parse_variant("pooled_delta:invariance_weight=2") == ("pooled_delta", ["--invariance_weight", "2"])
    options = training_options(["--dataset", "d", "--model", "m", "--output_dir", "o", "--head", "slowfast",
                                "--slow_segments", "3"])  # fmt: skip
    assert (options.head, options.slow_segments, options.fine_loss_weight) == ("slowfast", 3, 1.0)


def test_a_bad_slow_segments_is_refused_by_the_parser_in_one_line(capsys):
    with pytest.raises(SystemExit):
        training_options(["--dataset", "d", "--model", "m", "--output_dir", "o", "--slow_segments", "0"])
    assert "argument --slow_segments: 0 must be at least 1" in capsys.readouterr().err
