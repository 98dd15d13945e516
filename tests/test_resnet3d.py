"""The convolutional C2D / I3D backbone family and input modalities: build, train, save/load, errors."""

from __future__ import annotations

import json

import pytest
import torch
from datasets import load_dataset
from factories import make_tiny_dataset
from transformers import AutoConfig, AutoModel

from mt_models import DisentangledVideoClassifier, InputSpec, create_backbone, normalize, save_tiny_checkpoint
from mt_models.models.preprocess import DIFFERENCE_SCALE, FOREGROUND_SCALE, temporal_median
from mt_models.models.resnet3d import PRESETS, ResNet3DConfig, ResNet3DModel
from mt_models.runtime.data import VideoClipDataset, taxonomy_of
from mt_models.train.augment import augment, random_shift


@pytest.fixture(scope="module")
def tiny_set1(tmp_path_factory):
    return load_dataset(str(make_tiny_dataset(tmp_path_factory.mktemp("resnet3d-syn-ta"))), "set1")


def _parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_presets_have_the_sizes_of_their_architectures():
    # C2D / I3D ResNet-50 video models have about 24M / 28M parameters (PySlowFast model zoo); the CPU stack 230k.
    assert 23e6 < _parameters(ResNet3DModel(ResNet3DConfig(**PRESETS["c2d-r50"]))) < 25e6
    assert 26e6 < _parameters(ResNet3DModel(ResNet3DConfig(**PRESETS["i3d-r50"]))) < 29e6
    small = ResNet3DModel(ResNet3DConfig(**PRESETS["cpu-small"], num_channels=6))
    assert 220e3 < _parameters(small) < 240e3
    out = small(torch.zeros(2, 16, 6, 32, 32))
    assert out.pooler_output.shape == (2, 96) and out.last_hidden_state.shape == (2, 96, 4, 4, 4)


def test_config_refuses_inconsistent_architectures():
    with pytest.raises(ValueError, match="block_type must be one of"):
        ResNet3DConfig(block_type="dense")
    with pytest.raises(ValueError, match="depths has 2 entries for 4 stages"):
        ResNet3DConfig(depths=[1, 1])


def test_registered_names_build_their_default_configuration_with_the_modality_channels():
    backbone = create_backbone("resnet3d", modality="fg+diff")
    assert backbone.config.num_channels == 6 and backbone.input_spec.modality == "fg+diff"
    assert backbone.input_spec.num_frames == 16 and backbone.input_spec.crop_size == (32, 32)
    assert create_backbone("i3d-r50").config.temporal_kernel_sizes == [[3], [3, 1], [3, 1], [1, 3]]
    with pytest.raises(ValueError, match="takes 3-channel input, but input modality 'rgb\\+diff' makes 6"):
        create_backbone("resnet3d", input_spec=InputSpec(16, (32, 32), 32, modality="rgb+diff"))


def test_modalities_make_foreground_and_motion_channels():
    clip = torch.full((4, 3, 8, 8), 100, dtype=torch.uint8)
    clip[2, :, 3, 3] = 200  # a pixel that lights up in frame 2 only
    rgb_spec = InputSpec(4, (8, 8), 8)
    fg_diff = normalize(clip, rgb_spec.replace(modality="fg+diff"))
    assert fg_diff.shape == (4, 6, 8, 8)
    foreground, difference = fg_diff[:, :3], fg_diff[:, 3:]
    # The static background is removed; the lit pixel stands out by its brightness step, scaled.
    assert torch.count_nonzero(foreground) == 3
    assert foreground[2, 0, 3, 3].item() == pytest.approx(100 / 255 * FOREGROUND_SCALE, rel=1e-6)
    # Frame differences: on at t=1 (1 -> 2), off at t=2 (2 -> 3); the last difference is repeated.
    assert difference[1, 0, 3, 3].item() == pytest.approx(100 / 255 * DIFFERENCE_SCALE, rel=1e-6)
    assert difference[2, 0, 3, 3].item() == pytest.approx(-100 / 255 * DIFFERENCE_SCALE, rel=1e-6)
    assert torch.equal(difference[3], difference[2])
    # RGB alone is exactly the mean/std normalisation; a stack keeps the order it names.
    rgb = normalize(clip, rgb_spec)
    assert torch.equal(normalize(clip, rgb_spec.replace(modality="diff+rgb"))[:, 3:], rgb)
    # A static clip has no motion at all.
    assert torch.count_nonzero(normalize(clip[:1].expand(4, 3, 8, 8), rgb_spec.replace(modality="diff"))) == 0


@pytest.mark.parametrize("frames", [1, 2, 3, 7, 8, 9, 16, 17, 32, 64])
def test_the_temporal_median_is_torch_medians_value_and_the_foreground_is_unchanged(frames):
    """The sorting network picks exactly torch.median's element (the lower middle one for an even count), with ties
    and 255s (the padding value) among the frames; the foreground built from it is the one built from torch.median."""
    generator = torch.Generator().manual_seed(frames)
    for high in (256, 3):  # all values, then few values (many ties)
        clips = torch.randint(0, high, (2, frames, 3, 5, 6), dtype=torch.uint8, generator=generator)
        clips[0, :, 0, 0, 0] = 255
        assert torch.equal(temporal_median(clips), clips.median(dim=-4, keepdim=True).values)
        scaled = clips.float() / 255
        expected = (scaled - scaled.median(dim=-4, keepdim=True).values) * FOREGROUND_SCALE
        assert torch.equal(normalize(clips, InputSpec(frames, (5, 6), 5, modality="fg")), expected)
    with pytest.raises(TypeError, match="uint8"):
        temporal_median(clips.float())


def test_modality_errors_name_the_value_and_the_choices(tmp_path):
    with pytest.raises(ValueError, match="input modality 'depth' is not understood: use one of"):
        InputSpec(8, (32, 32), 32, modality="depth")
    with pytest.raises(ValueError, match="'fg\\+fg' is not understood"):
        InputSpec(8, (32, 32), 32, modality="fg+fg")
    with pytest.raises(ValueError, match="'diff' modality needs clips of at least 2 frames"):
        normalize(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), InputSpec(1, (8, 8), 8, modality="diff"))
    # A checkpoint whose stored modality is unknown is refused when it loads, naming the modality.
    out = save_tiny_checkpoint("resnet3d", tmp_path / "ckpt")
    values = json.loads((out / "preprocessor_config.json").read_text())
    (out / "preprocessor_config.json").write_text(json.dumps({**values, "modality": "optical-flow"}))
    with pytest.raises(ValueError, match="input modality 'optical-flow' is not understood"):
        create_backbone(str(out))
    # A stacked modality cannot go through a pretrained 3-channel checkpoint.
    with pytest.raises(ValueError, match="takes 3-channel input"):
        create_backbone(str(save_tiny_checkpoint("videomae", tmp_path / "vmae")), modality="fg+diff")


def test_shift_augmentation_moves_whole_clips_and_never_flips():
    clip = torch.zeros(1, 4, 3, 16, 16, dtype=torch.uint8)
    clip[..., 8, 2] = 255
    generator = torch.Generator().manual_seed(3)
    shifted = random_shift(clip, max_shift=4, generator=generator)
    positions = {tuple(torch.nonzero(shifted[0, t, 0]).squeeze(0).tolist()) for t in range(4)}
    assert len(positions) == 1  # one offset for every frame of the clip
    ((row, col),) = positions
    assert abs(row - 8) <= 4 and abs(col - 2) <= 4
    with pytest.raises(ValueError, match="flips and time reversal change a clip's fine class"):
        augment(clip, "flip")


def test_resnet3d_learns_on_a_tiny_generated_set_and_its_modality_travels(tiny_set1, tmp_path):
    torch.manual_seed(0)
    taxonomy = taxonomy_of(tiny_set1)
    backbone = create_backbone("resnet3d", tiny=True, modality="fg+diff")
    model = DisentangledVideoClassifier.for_training_set(backbone, taxonomy, 1, embedding_dim=16)
    spec = model.input_spec
    items = [VideoClipDataset(tiny_set1["train"], spec)[i] for i in range(len(tiny_set1["train"]))]
    frames = torch.stack([item["frames"] for item in items])
    coarse = torch.tensor([item["coarse_label"] for item in items])
    fine_ids = {dataset_id: head_id for head_id, dataset_id in enumerate(taxonomy.fine_indices(1))}
    fine = torch.tensor([fine_ids[item["dataset_fine_label"]] for item in items])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        outputs = model(normalize(frames, spec), coarse_labels=coarse, fine_labels=fine)
        outputs.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(outputs.coarse_loss.item())
    assert losses[-1] < 0.5 * losses[0]

    model.eval().save_pretrained(tmp_path)
    stored = json.loads((tmp_path / "config.json").read_text())
    assert stored["input_spec"]["modality"] == "fg+diff" and stored["backbone_config"]["num_channels"] == 6
    assert AutoConfig.from_pretrained(tmp_path).backbone == "resnet3d"
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert loaded.input_spec == spec
    pixel_values = normalize(frames[:4], loaded.input_spec)
    torch.testing.assert_close(loaded(pixel_values).coarse_logits, model(pixel_values).coarse_logits)
