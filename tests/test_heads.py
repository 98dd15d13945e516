"""The head designs of DisentangledVideoClassifier (mt_models.models.heads): their terms, training, saving and
serving."""

from __future__ import annotations

import math

import datasets
import pytest
import torch
from factories import make_tiny_dataset
from transformers import AutoModel, pipeline

from mt_models import DisentangledConfig, DisentangledVideoClassifier, create_backbone, save_tiny_checkpoint
from mt_models.experiments.protocol import HEADS
from mt_models.models.heads import (
    HEAD_NAMES,
    cross_variant_contrastive_loss,
    mix_variants,
    variance_of_group_losses,
    within_coarse_logmeanexp,
    within_coarse_logsumexp,
)
from mt_models.train.loop import train, training_options

LABELS = dict(coarse_labels=["a", "b"], fine_labels=["a1", "a2", "b1", "b2"], fine_to_coarse=[0, 0, 1, 1])


def _batch(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    pixel_values = torch.randn(8, 8, 3, 32, 32, generator=generator)
    return pixel_values, torch.tensor([0, 0, 1, 1, 0, 0, 1, 1]), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])


def _model(head: str, **options) -> DisentangledVideoClassifier:
    torch.manual_seed(0)
    backbone = create_backbone("videomae", tiny=True)
    return DisentangledVideoClassifier.from_backbone(backbone, **LABELS, embedding_dim=16, head=head, **options)


@pytest.mark.parametrize("head", HEAD_NAMES)
def test_each_head_trains_its_loss_down_and_round_trips(head, tmp_path):
    model = _model(head)
    pixel_values, coarse, fine = _batch()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    model.train()
    for _ in range(8):
        torch.manual_seed(1)  # the same mixing draw each step: the loss of a fixed batch then falls
        out = model(pixel_values, coarse_labels=coarse, fine_labels=fine)
        assert torch.isfinite(out.loss)
        losses.append(out.loss.item())
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert losses[-1] < losses[0], losses
    model.eval().save_pretrained(tmp_path)
    loaded = AutoModel.from_pretrained(tmp_path).eval()
    assert loaded.config.head == head
    with torch.no_grad():
        assert torch.allclose(model(pixel_values).coarse_logits, loaded(pixel_values).coarse_logits, atol=1e-5)
    assert loaded.config.is_baseline == (head == "baseline")


def test_hierarchical_coarse_logits_are_the_branch_plus_the_fine_marginal():
    model = _model("hierarchical").eval()
    pixel_values, _, _ = _batch()
    with torch.no_grad():
        out = model(pixel_values)
        branch = model.coarse_classifier(model.coarse_projection(model.backbone(pixel_values)))
    fine = out.fine_logits
    expected = torch.stack(
        [branch[:, 0] + torch.log((fine[:, 0].exp() + fine[:, 1].exp()) / 2),
         branch[:, 1] + torch.log((fine[:, 2].exp() + fine[:, 3].exp()) / 2)], dim=1
    )  # fmt: skip
    assert torch.allclose(out.coarse_logits, expected, atol=1e-5)
    same_coarse = torch.tensor([[True, True], [False, False]])  # class 1 has no fine class
    marginal = within_coarse_logsumexp(torch.tensor([[1.0, 2.0]]), same_coarse)
    assert marginal[0, 0].item() == pytest.approx(2.0 + torch.log1p(torch.exp(torch.tensor(-1.0))).item())
    assert marginal[0, 1].item() < -1e30


def test_vrex_penalty_is_the_variance_of_the_variants_mean_losses():
    groups = torch.tensor([0, 0, 1, 1, 2])
    valid = torch.ones(5, dtype=torch.bool)
    equal = variance_of_group_losses(torch.tensor([1.0, 3.0, 2.0, 2.0, 2.0]), groups, valid, 4)
    assert equal.item() == 0.0  # every variant's mean loss is 2
    # means 1, 3 (variant 2 masked out, variant 3 absent): population variance 1
    penalty = variance_of_group_losses(torch.tensor([1.0, 1.0, 3.0, 3.0, 9.0]), groups, valid.clone().fill_(True)
                                       & torch.tensor([True, True, True, True, False]), 4)  # fmt: skip
    assert penalty.item() == pytest.approx(1.0)
    out = _model("vrex")(*_batch()[:1], coarse_labels=_batch()[1], fine_labels=_batch()[2])
    assert out.invariance_loss is not None and out.fine_logits is None


def test_supcon_pulls_other_variants_of_the_same_coarse_class():
    coarse, fine = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 2, 3])
    aligned = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    crossed = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    low = cross_variant_contrastive_loss(aligned, coarse, fine, 0.1)
    high = cross_variant_contrastive_loss(crossed, coarse, fine, 0.1)
    assert low.item() < 1e-3 < high.item()
    # no clip of another variant of its coarse class: no anchor, loss 0
    assert cross_variant_contrastive_loss(aligned, coarse, torch.tensor([0, 0, 2, 2]), 0.1).item() == 0.0


def test_mix_keeps_clips_without_a_partner_and_mixes_within_the_coarse_class():
    pixel_values = torch.arange(4.0).view(4, 1, 1, 1, 1).expand(4, 2, 1, 2, 2).clone()
    torch.manual_seed(0)
    mixed = mix_variants(pixel_values, torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 2, 2]), 2.0)
    assert torch.equal(mixed[2:], pixel_values[2:])  # clips 2, 3 share their variant: no partner
    assert 0.0 <= mixed[0, 0, 0, 0, 0].item() <= 1.0 and 0.0 <= mixed[1, 0, 0, 0, 0].item() <= 1.0
    model = _model("mix").eval()
    pixel_values, coarse, fine = _batch()
    with torch.no_grad():  # evaluation mode: no mixing, the same output with and without labels
        assert torch.equal(model(pixel_values).coarse_logits, model(pixel_values, coarse, fine).coarse_logits)


def test_head_options_are_validated_with_one_line():
    with pytest.raises(ValueError, match="head must be one of .* got 'fancy'"):
        DisentangledConfig(**LABELS, head="fancy")
    with pytest.raises(ValueError, match="adversarial_weight must be 0 with head 'vrex'"):
        DisentangledConfig(**LABELS, head="vrex", adversarial_weight=0.1)
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        DisentangledConfig(**LABELS, head="supcon", temperature=0)
    with pytest.raises(ValueError, match="mix_alpha must be > 0"):
        DisentangledConfig(**LABELS, head="mix", mix_alpha=-1.0)
    with pytest.raises(ValueError, match="invariance_weight must be >= 0"):
        DisentangledConfig(**LABELS, head="vrex", invariance_weight=-1.0)
    with pytest.raises(ValueError, match="head 'supcon' needs fine_labels"):
        DisentangledConfig(coarse_labels=["a"], head="supcon")
    config = DisentangledConfig(**LABELS, head="hierarchical")
    assert (config.fine_loss_weight, config.decorrelation_weight, config.adversarial_weight) == (1.0, 0.0, 0.0)
    # The disentangled defaults: the read-only fine branch's marginal, chosen on the validation protocol.
    config = DisentangledConfig(**LABELS)
    assert (config.fine_loss_weight, config.fine_marginal_weight, config.fine_gradient_scale) == (1.0, 1.0, 0.0)
    assert (config.decorrelation_weight, config.adversarial_weight) == (0.0, 0.0)
    with pytest.raises(ValueError, match="fine_marginal_weight must be 0 with head 'vrex'"):
        DisentangledConfig(**LABELS, head="vrex", fine_marginal_weight=1.0)


def test_baseline_flag_is_an_alias_of_head_baseline():
    common = ["--dataset", "d", "--model", "m", "--output_dir", "o"]
    flag, named = training_options([*common, "--baseline"]), training_options([*common, "--head", "baseline"])
    assert flag.head == named.head == "baseline"
    assert (flag.fine_loss_weight, flag.decorrelation_weight, flag.adversarial_weight) == (0.0, 0.0, 0.0)
    assert training_options([*common, "--head", "vrex", "--invariance_weight", "3"]).invariance_weight == 3.0
    assert set(HEADS) == set(HEAD_NAMES)


@pytest.mark.parametrize("head", ["hierarchical", "mix"])
def test_train_py_head_is_served_by_pipeline_and_named_in_the_card(head, tmp_path):
    dataset_dir = make_tiny_dataset(tmp_path / "data", coarse_classes=(0, 1), clips_per_fine=1)
    backbone = save_tiny_checkpoint("videomae", tmp_path / "videomae")
    out = tmp_path / "model"
    arguments = ["--dataset", str(dataset_dir), "--model", str(backbone), "--output_dir", str(out)]
    train(
        training_options([*arguments, "--num_epochs", "1", "--batch_size", "4", "--num_workers", "0", "--head", head])
    )
    assert f"Head: `{head}`" in (out / "README.md").read_text()
    split = datasets.load_dataset(str(dataset_dir), "set1")["known"].cast_column("video", datasets.Video(decode=False))
    video = tmp_path / "clip.mp4"
    video.write_bytes(split[0]["video"]["bytes"])
    classify = pipeline("video-classification", model=str(out))
    assert type(classify.model).__name__ == "DisentangledVideoClassifier" and classify.model.config.head == head
    num_coarse = len(classify.model.config.coarse_labels)
    result = classify(str(video), top_k=num_coarse)  # every coarse class, from coarse_logits
    assert len(result) == num_coarse and abs(sum(r["score"] for r in result) - 1) < 1e-4


def test_default_disentangled_head_adds_the_marginal_of_a_read_only_fine_branch():
    model = _model("disentangled").train()
    pixel_values, coarse, fine = _batch()
    out = model(pixel_values, coarse_labels=coarse, fine_labels=fine)
    features = model.backbone(pixel_values)
    coarse_branch = model.coarse_classifier(model.coarse_projection(features))
    marginal = within_coarse_logmeanexp(out.fine_logits, model._same_coarse(out.fine_logits.device))
    assert torch.allclose(out.coarse_logits, coarse_branch + marginal, atol=1e-5)
    # The fine loss trains the fine branch only: no gradient reaches the backbone through it.
    out.fine_loss.backward()
    assert model.fine_classifier.weight.grad.abs().sum() > 0
    assert all(p.grad is None or not p.grad.any() for p in model.backbone.parameters())


@pytest.mark.parametrize(
    ("head", "options", "message"),
    [
        ("disentangled", {}, "fine_loss_weight=1 needs fine labels"),
        ("disentangled", {"fine_loss_weight": 0.0, "adversarial_weight": 0.5}, "adversarial_weight=0.5 needs fine"),
        ("hierarchical", {}, "fine_loss_weight=1 needs fine labels"),
        ("vrex", {"invariance_weight": 2.0}, "invariance_weight=2 needs fine labels"),
        ("supcon", {}, "contrastive_weight=0.5 needs fine labels"),
        ("mix", {}, "head 'mix' needs fine labels in training"),
    ],
)
def test_a_loss_that_needs_fine_labels_names_its_option_without_them(head, options, message):
    model = _model(head, **options).train()
    pixel_values, coarse, _ = _batch()
    with pytest.raises(ValueError, match=message):
        model(pixel_values, coarse_labels=coarse)
    with pytest.raises(ValueError, match=message):
        model(pixel_values, labels=coarse)  # transformers' name for the coarse labels: the same check


def test_the_fine_marginal_alone_trains_without_fine_labels():
    # bench/bench_train.py's model: the default head with fine_loss_weight=0 keeps the fine branch for its marginal.
    # Its loss is the coarse CE on the logits with the marginal, and needs no fine label (it raised AttributeError).
    model = _model("disentangled", fine_loss_weight=0.0).train()
    pixel_values, coarse, fine = _batch()
    torch.manual_seed(1)
    out = model(pixel_values, coarse_labels=coarse)
    assert out.fine_loss is None and out.fine_logits is not None
    assert torch.allclose(out.loss, torch.nn.functional.cross_entropy(out.coarse_logits, coarse))
    out.loss.backward()
    assert model.fine_classifier.weight.grad.abs().sum() > 0  # trained through the marginal
    torch.manual_seed(1)
    with_fine = model(pixel_values, coarse_labels=coarse, fine_labels=fine)  # logged, weighted 0
    assert with_fine.fine_loss is not None and torch.allclose(with_fine.loss, out.loss)


def test_config_without_fine_labels_names_only_the_options_that_need_them():
    coarse_only = dict(coarse_labels=["a", "b"])
    with pytest.raises(ValueError, match=r"^fine_loss_weight=1 and fine_marginal_weight=1 need fine labels: give"):
        DisentangledConfig(**coarse_only)
    with pytest.raises(ValueError, match=r"^fine_marginal_weight=1 needs fine labels: .* fine_marginal_weight to 0$"):
        DisentangledConfig(**coarse_only, fine_loss_weight=0.0)
    with pytest.raises(ValueError, match=r"^adversarial_weight=0.2 needs fine labels"):
        DisentangledConfig(**coarse_only, fine_loss_weight=0.0, fine_marginal_weight=0.0, adversarial_weight=0.2)
    assert DisentangledConfig(**coarse_only, head="baseline").is_baseline


# Class "a" has four fine variants, "b" and "c" one each: the shape of K400-TA, whose coarse classes have 1 to 13.
UNEVEN = dict(coarse_labels=["a", "b", "c"], fine_labels=["a1", "a2", "a3", "a4", "b1", "c1"],
              fine_to_coarse=[0, 0, 0, 0, 1, 2])  # fmt: skip


def _uneven_model(head: str) -> DisentangledVideoClassifier:
    torch.manual_seed(0)
    return DisentangledVideoClassifier.from_backbone(
        create_backbone("videomae", tiny=True), **UNEVEN, embedding_dim=16, head=head
    )


@pytest.mark.parametrize("head", ["disentangled", "hierarchical"])
def test_the_fine_marginal_gives_no_coarse_class_a_prior_for_its_number_of_variants(head):
    model = _uneven_model(head).eval()
    with torch.no_grad():  # a fine branch with no evidence: every fine logit equal
        model.fine_classifier.weight.zero_()
        model.fine_classifier.bias.fill_(0.3)
        pixel_values = _batch()[0]
        out = model(pixel_values)
        branch = model.coarse_classifier(model.coarse_projection(model.backbone(pixel_values)))
    # The marginal is the log-mean-exp of the fine logits, so equal fine logits add the same to every coarse class.
    # A log-sum-exp added log(4) to "a", and trained on "b" and "c" the model answered "a" for every clip (issue 28).
    assert torch.allclose(out.coarse_logits, branch + 0.3, atol=1e-5)
    marginal = within_coarse_logmeanexp(torch.tensor([[1.0, 2.0, 5.0]]), torch.tensor([[True, True, False]]))
    assert marginal[0, 0].item() == pytest.approx(math.log((math.e + math.e**2) / 2))


@pytest.mark.parametrize("head", ["baseline", "disentangled"])
def test_trained_on_a_class_subset_the_head_does_not_answer_the_absent_class(head):
    # Trained on "b" and "c" only, a few steps (as one epoch on a class subset): the class absent from the data, the
    # one with the most fine variants, is answered for no clip. With a log-sum-exp marginal the default head started
    # "a" log(4) ahead, and answered it for every clip.
    model = _uneven_model(head).train()
    with torch.no_grad():  # no class ahead at the start but by the head's design: both classifiers give 0
        for classifier in (model.coarse_classifier, getattr(model, "fine_classifier", None)):
            if classifier is not None:
                classifier.weight.zero_()
                classifier.bias.zero_()
    generator = torch.Generator().manual_seed(0)
    pixel_values = torch.randn(8, 8, 3, 32, 32, generator=generator)
    coarse, fine = torch.tensor([1, 2] * 4), torch.tensor([4, 5] * 4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(5):
        model(pixel_values, coarse_labels=coarse, fine_labels=fine).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    with torch.no_grad():
        answers = model.eval()(torch.randn(16, 8, 3, 32, 32, generator=generator)).coarse_logits.argmax(-1)
    assert not (answers == 0).any(), answers.tolist()
