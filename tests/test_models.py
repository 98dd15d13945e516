"""mt_models: backbones, preprocessing, the disentangled classifier, X-CLIP prompts, the data path and the record."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from datasets import Video, load_dataset
from factories import make_tiny_dataset
from scripts.models_checkpoints import make_xclip_checkpoint
from transformers import AutoConfig, AutoModel, BertConfig

from mt_datasets import get_taxonomy
from mt_models import (
    DisentangledConfig,
    DisentangledVideoClassifier,
    InputSpec,
    backbone_class,
    create_backbone,
    list_backbones,
    normalize,
    preprocess,
    resize_and_crop,
    save_tiny_checkpoint,
)
from mt_models.models.classifier import IGNORE_INDEX, _ScaledGradient, cross_covariance_penalty
from mt_models.models.open_vocab import OpenVocabularyClassifier, make_prompts
from mt_models.runtime.data import VideoClipDataset, make_dataloader, taxonomy_of, training_set_of
from mt_models.scoring.records import FORMAT_VERSION, ResultsRecord, read_record

BACKBONES = ("c2d-r50", "clip", "i3d-r50", "resnet3d", "timesformer", "videomae", "vivit", "vjepa2", "xclip")
HEAD = dict(
    coarse_labels=["a", "b", "c"],
    fine_labels=["a1", "a2", "b1", "c1", "c2"],
    fine_to_coarse=[0, 0, 1, 2, 2],
    embedding_dim=16,
)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    return load_dataset(str(make_tiny_dataset(tmp_path_factory.mktemp("models-syn-ta"))), "set1")


def _batch(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    pixel_values = torch.randn(6, 8, 3, 32, 32, generator=generator)
    return pixel_values, torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([0, 2, 3, 1, 2, 4])


def test_registry_lists_every_kind_and_filters():
    assert tuple(list_backbones()) == BACKBONES
    assert list_backbones("v*") == ["videomae", "vivit", "vjepa2"]
    with pytest.raises(KeyError, match="Did you mean 'videomae'"):
        create_backbone("videomea")


@pytest.mark.parametrize("name", BACKBONES)
def test_each_backbone_trains_and_round_trips(name, tmp_path):
    torch.manual_seed(0)
    model = DisentangledVideoClassifier.from_backbone(create_backbone(name, tiny=True), **HEAD)
    pixel_values, coarse, fine = _batch()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        outputs = model(pixel_values, coarse_labels=coarse, fine_labels=fine)
        outputs.loss.backward()
        # Every parameter takes part in the loss (DistributedDataParallel would fail otherwise).
        assert [n for n, p in model.named_parameters() if p.grad is None] == []
        optimizer.step()
        optimizer.zero_grad()
        losses.append(outputs.coarse_loss.item())
    assert losses[-1] < losses[0]

    model.eval().save_pretrained(tmp_path)
    assert AutoConfig.from_pretrained(tmp_path).model_type == "motion_transfer_disentangled"
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, DisentangledVideoClassifier)
    assert loaded.input_spec == model.input_spec
    with torch.no_grad():
        expected, got = model(pixel_values), loaded(pixel_values)
    # Exact: the same weights through the same code in the same process (save/load copies the tensors bit for bit).
    assert torch.equal(expected.coarse_logits, got.coarse_logits)
    assert torch.equal(expected.fine_logits, got.fine_logits)


@pytest.mark.parametrize("name", BACKBONES)
def test_backbone_from_checkpoint_directory_reads_its_spec(name, tmp_path):
    image_size = {"vjepa2": {"crop_size": 48}}.get(name, {"image_size": 48})
    if name == "xclip":
        image_size = {"vision_config": {**backbone_class("xclip").tiny_config["vision_config"], "image_size": 48}}
    save_tiny_checkpoint(name, tmp_path, **image_size)
    backbone = create_backbone(str(tmp_path))
    # The C2D / I3D presets are configurations of one architecture: their checkpoints load as that family.
    assert backbone.name == ("resnet3d" if name in ("c2d-r50", "i3d-r50") else name)
    assert backbone.input_spec.crop_size == (48, 48)
    assert backbone.input_spec.image_mean == backbone_class(name).image_mean
    assert backbone(torch.zeros(1, 8, 3, 48, 48)).shape == (1, backbone.feature_dim)


def test_create_backbone_errors_name_the_problem(tmp_path):
    save_tiny_checkpoint("videomae", tmp_path / "vmae")
    with pytest.raises(ValueError, match="position embeddings fix it"):
        create_backbone(str(tmp_path / "vmae"), num_frames=16)
    BertConfig(hidden_size=32).save_pretrained(tmp_path / "bert")
    with pytest.raises(ValueError, match="'bert' checkpoint; supported model types"):
        create_backbone(str(tmp_path / "bert"))
    # Rotary / per-frame backbones take any clip length.
    save_tiny_checkpoint("clip", tmp_path / "clip")
    assert create_backbone(str(tmp_path / "clip"), num_frames=4).input_spec.num_frames == 4


def test_preprocess_matches_hand_computation():
    spec = InputSpec(num_frames=2, crop_size=(4, 4), resize_shortest_edge=4, image_mean=(0.5, 0.25, 0.0))
    frames = torch.full((2, 3, 8, 12), 128, dtype=torch.uint8)
    cropped = resize_and_crop(frames, spec)
    assert cropped.shape == (2, 3, 4, 4) and cropped.dtype == torch.uint8
    assert torch.all(cropped == 128)  # a flat image stays flat through the antialiased resize
    out = preprocess(frames.unsqueeze(0), spec)
    assert out.shape == (1, 2, 3, 4, 4)
    expected = (128 / 255 - torch.tensor(spec.image_mean)) / torch.tensor(spec.image_std)
    assert torch.allclose(out[0, 0, :, 0, 0], expected, atol=1e-6)
    # The centre crop keeps the middle: a 6x6 marker in the middle of a 12-wide frame survives.
    marked = torch.zeros(1, 3, 8, 12, dtype=torch.uint8)
    marked[..., 2:6, 4:8] = 255
    spec8 = InputSpec(num_frames=1, crop_size=(8, 8), resize_shortest_edge=8)
    assert torch.equal(resize_and_crop(marked, spec8)[..., 2:6, 2:6], marked[..., 2:6, 4:8])
    with pytest.raises(TypeError, match="uint8"):
        normalize(frames.float(), spec)
    with pytest.raises(ValueError, match="RGB"):
        preprocess(torch.zeros(2, 4, 8, 8, dtype=torch.uint8), spec)
    with pytest.raises(ValueError, match="smaller than crop_size"):
        InputSpec(num_frames=1, crop_size=(8, 8), resize_shortest_edge=4)


def test_config_validation_names_the_option():
    with pytest.raises(ValueError, match="decorrelation_weight > 0 needs fine_loss_weight"):
        DisentangledConfig(**HEAD, fine_loss_weight=0.0, decorrelation_weight=1.0)
    with pytest.raises(ValueError, match="fine_to_coarse has 2 entries but fine_labels has 5"):
        DisentangledConfig(**{**HEAD, "fine_to_coarse": [0, 1]})
    with pytest.raises(ValueError, match="indices outside"):
        DisentangledConfig(**{**HEAD, "fine_to_coarse": [0, 0, 1, 2, 7]})


def test_baseline_is_the_plain_coarse_classifier():
    torch.manual_seed(0)
    model = DisentangledVideoClassifier.from_backbone(
        create_backbone("videomae", tiny=True),
        **HEAD,
        fine_loss_weight=0.0,
        decorrelation_weight=0.0,
        adversarial_weight=0.0,
        fine_marginal_weight=0.0,
    )
    assert model.config.is_baseline
    assert not [n for n, _ in model.named_parameters() if n.startswith(("fine_", "adversary"))]
    pixel_values, coarse, _ = _batch()
    outputs = model(pixel_values, coarse_labels=coarse)
    assert outputs.fine_logits is None
    assert torch.allclose(outputs.loss, torch.nn.functional.cross_entropy(outputs.coarse_logits, coarse))


def test_loss_terms_and_ignored_rows():
    torch.manual_seed(0)
    every_term = {**HEAD, "decorrelation_weight": 1.0, "adversarial_weight": 0.1}
    model = DisentangledVideoClassifier.from_backbone(create_backbone("videomae", tiny=True), **every_term)
    pixel_values, coarse, fine = _batch()
    out = model(pixel_values, coarse_labels=coarse, fine_labels=fine)
    config = model.config
    expected = (
        out.coarse_loss
        + config.fine_loss_weight * out.fine_loss
        + config.decorrelation_weight * out.decorrelation_loss
        + config.adversarial_weight * out.adversarial_loss
    )
    assert torch.allclose(out.loss, expected)
    # Rows labelled IGNORE_INDEX (undecodable videos) change nothing; an all-ignored batch gives a zero loss.
    coarse_ignored = torch.cat([coarse, torch.tensor([IGNORE_INDEX])])
    fine_ignored = torch.cat([fine, torch.tensor([IGNORE_INDEX])])
    padded = torch.cat([pixel_values, torch.zeros(1, *pixel_values.shape[1:])])
    with_ignored = model(padded, coarse_labels=coarse_ignored, fine_labels=fine_ignored)
    assert torch.allclose(with_ignored.coarse_loss, out.coarse_loss, atol=1e-6)
    all_ignored = torch.full_like(coarse, IGNORE_INDEX)
    assert model(pixel_values, coarse_labels=all_ignored, fine_labels=all_ignored).coarse_loss.item() == 0.0
    with pytest.raises(ValueError, match="fine_loss_weight=1 and adversarial_weight=0.1 need fine labels: pass"):
        model(pixel_values, coarse_labels=coarse)


def test_fine_gradient_scale_controls_what_the_fine_branch_teaches_the_backbone():
    # The fine loss alone, backpropagated: at scale 0 the backbone gets no gradient from it (the fine branch only
    # reads the features) while the fine branch itself still learns; at 0.5 the backbone's gradient is half of 1's.
    grads = {}
    for scale in (1.0, 0.5, 0.0):
        torch.manual_seed(0)
        model = DisentangledVideoClassifier.from_backbone(
            create_backbone("videomae", tiny=True),
            **{**HEAD, "decorrelation_weight": 0.0, "adversarial_weight": 0.0},
            fine_gradient_scale=scale,
        )
        pixel_values, coarse, fine = _batch()
        model(pixel_values, coarse_labels=coarse, fine_labels=fine).fine_loss.backward()
        backbone = torch.cat([p.grad.flatten() for p in model.backbone.parameters() if p.grad is not None])
        grads[scale] = backbone
        assert model.fine_classifier.weight.grad.abs().sum() > 0
    assert grads[1.0].abs().sum() > 0
    assert grads[0.0].abs().sum() == 0
    assert torch.allclose(grads[0.5], 0.5 * grads[1.0], rtol=1e-4, atol=1e-8)
    with pytest.raises(ValueError, match="fine_gradient_scale must be in"):
        DisentangledConfig(**HEAD, fine_gradient_scale=-1.0)
    with pytest.raises(ValueError, match="fine_gradient_scale applies to a fine branch"):
        DisentangledConfig(**{**HEAD, "head": "baseline"}, fine_gradient_scale=0.0)


def test_gradient_reversal_and_cross_covariance():
    x = torch.randn(4, 3, requires_grad=True)
    (_ScaledGradient.apply(x, -2.0) * torch.arange(3.0)).sum().backward()
    assert torch.equal(x.grad, -2.0 * torch.arange(3.0).expand(4, 3))

    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(64, 3)), rng.normal(size=(64, 2))
    centred = [a - a.mean(0) for a in (first, second)]
    reference = ((centred[0].T @ centred[1] / 63) ** 2).sum() / 3
    got = cross_covariance_penalty(torch.tensor(first), torch.tensor(second)).item()
    assert got == pytest.approx(reference, rel=1e-6)
    # Uncorrelated by construction (orthogonal centred columns): zero penalty.
    a = torch.tensor([[1.0], [-1.0], [1.0], [-1.0]])
    b = torch.tensor([[1.0], [1.0], [-1.0], [-1.0]])
    assert cross_covariance_penalty(a, b).item() == 0.0


def test_clip_dataset_and_loader(tiny_dataset):
    taxonomy = taxonomy_of(tiny_dataset)
    assert taxonomy.name == "syn-ta" and training_set_of("set2") == 2
    with pytest.raises(ValueError, match="Did you mean 'set1'"):
        training_set_of("set 1")
    head_ids = taxonomy.fine_indices(1)
    spec = InputSpec(num_frames=4, crop_size=(24, 24), resize_shortest_edge=24)
    known = VideoClipDataset(
        tiny_dataset["known"], spec, fine_label_map={d: h for h, d in enumerate(head_ids)}, num_clips=2
    )
    item = known[0]
    assert item["frames"].shape == (2, 4, 3, 24, 24) and item["frames"].dtype == torch.uint8 and item["decoded"]
    assert item["fine_label"] == head_ids.index(item["dataset_fine_label"])
    unknown = VideoClipDataset(tiny_dataset["unknown"], spec, fine_label_map={d: h for h, d in enumerate(head_ids)})
    assert unknown[0]["fine_label"] == IGNORE_INDEX  # a held-out variant has no place in the fine head
    seen = [i for batch in make_dataloader(unknown, batch_size=4, shuffle=True, num_workers=2) for i in batch["index"]]
    assert sorted(int(i) for i in seen) == list(range(len(unknown)))


def test_undecodable_video_keeps_its_place(tiny_dataset):
    rows = tiny_dataset["known"].cast_column("video", Video(decode=False)).select(range(3))

    def truncate_second(row, index):
        return {"video": {"bytes": row["video"]["bytes"][:200], "path": "cut.mp4"}} if index == 1 else row

    rows = rows.map(truncate_second, with_indices=True)
    spec = InputSpec(num_frames=4, crop_size=(16, 16), resize_shortest_edge=16)
    items = [VideoClipDataset(rows, spec)[i] for i in range(3)]
    assert [item["decoded"] for item in items] == [True, False, True]
    assert items[1]["coarse_label"] == IGNORE_INDEX and items[1]["frames"].shape == (4, 3, 16, 16)


def test_open_vocabulary_classifier(tmp_path):
    taxonomy = get_taxonomy("syn-ta")
    names = list(taxonomy.coarse_names)
    checkpoint = make_xclip_checkpoint(tmp_path, make_prompts(names, "a clip of {}"))
    model = OpenVocabularyClassifier.from_pretrained(checkpoint, prompt_template="a clip of {}")
    logits = model(torch.zeros(2, 8, 3, 32, 32), names[:5])
    assert logits.shape == (2, 5)
    assert model.tokenize(names[:5])["input_ids"].shape[0] == 5
    with pytest.raises(ValueError, match="exactly one"):
        OpenVocabularyClassifier.from_pretrained(checkpoint, prompt_template="no slot")


def test_results_record_round_trip_and_versions(tmp_path):
    record = ResultsRecord(
        dataset="d", dataset_revision=None, config="set1", direction="set1->set2", model="m",
        model_kind="disentangled", seed=3, num_frames=8, num_clips=1, skipped_videos={"known": 1, "unknown": 0},
        scores={"known_accuracy": np.float64(0.5), "per_direction": {0: {"num_known": np.int64(2)}}},
    )  # fmt: skip
    path = record.write(tmp_path)
    stored = json.loads(path.read_text())
    assert list(stored)[0] == "format_version" and stored["format_version"] == FORMAT_VERSION
    assert stored["scores"]["per_direction"]["0"]["num_known"] == 2
    assert read_record(tmp_path).seed == 3
    path.write_text(json.dumps({**stored, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(ValueError, match="upgrade the package"):
        read_record(path)
    path.write_text('{"format_version": 1, "scores"')
    with pytest.raises(ValueError, match="not valid JSON"):
        read_record(path)


def test_model_card_says_how_the_fine_branch_trains():
    from mt_models.models.cards import training_model_card

    context = dict(
        base_model="resnet3d", backbone="resnet3d", dataset="syn-ta-mini", config="set1", fine_set=1, held_out_set=2,
        num_coarse=3, num_fine=5, num_frames=16, crop_size=[32, 32], modality="fg+diff", package_version="0",
        training=dict(num_epochs=1, learning_rate=1e-3, batch_size=4, seed=0, train_loss_per_epoch=[1.0]),
    )  # fmt: skip
    head = dict(head="disentangled", embedding_dim=8, fine_loss_weight=1.0, decorrelation_weight=0.0,
                adversarial_weight=0.1, fine_gradient_scale=1.0)  # fmt: skip
    assert "fine_gradient_scale" not in str(training_model_card({**context, "head": head}))
    read_only = str(training_model_card({**context, "head": {**head, "fine_gradient_scale": 0.0}}))
    assert "does not train them (`fine_gradient_scale` 0)" in read_only
    # The disentangled head's card says what it gains, measured, and the baseline's does not claim it.
    assert "does not improve transfer to unseen variants" in read_only
    assert "gains" not in str(training_model_card({**context, "head": {**head, "head": "baseline"}}))
