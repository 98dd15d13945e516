"""The classifier as transformers users drive it: ``labels=``, ``Trainer``, ``save_pretrained`` and ``pipeline()``.

A tiny Syn-TA made on disk is loaded with ``load_dataset``; :class:`mt_models.runtime.data.VideoCollator` decodes and
preprocesses its rows on the package's own path; ``transformers.Trainer`` (on accelerate, on the CPU) fine-tunes the
default (disentangled) classifier on a tiny VideoMAE for a few steps.
"""

from __future__ import annotations

import pytest
import torch
from datasets import Video, load_dataset
from factories import make_tiny_dataset
from transformers import AutoModel, Trainer, TrainingArguments, pipeline

from mt_models import DisentangledVideoClassifier, create_backbone
from mt_models.runtime.data import VideoCollator, taxonomy_of


@pytest.fixture(scope="module")
def tiny_synta(tmp_path_factory):
    directory = make_tiny_dataset(tmp_path_factory.mktemp("trainer-syn-ta"), coarse_classes=(0, 1))
    return load_dataset(str(directory), "set1")


def _model(dataset) -> DisentangledVideoClassifier:
    torch.manual_seed(0)
    return DisentangledVideoClassifier.for_training_set(
        create_backbone("videomae", tiny=True), taxonomy_of(dataset), 1, embedding_dim=16
    )


def test_labels_is_the_coarse_label(tiny_synta):
    model = _model(tiny_synta).eval()
    batch = VideoCollator.for_model(model, tiny_synta)([tiny_synta["train"][i] for i in range(4)])
    spec = model.input_spec
    assert batch["pixel_values"].shape == (4, spec.num_frames, spec.channels, *spec.crop_size)
    with torch.no_grad():
        by_name = model(batch["pixel_values"], labels=batch["labels"], fine_labels=batch["fine_labels"])
        ours = model(batch["pixel_values"], coarse_labels=batch["labels"], fine_labels=batch["fine_labels"])
        both = model(batch["pixel_values"], coarse_labels=batch["labels"], labels=batch["labels"],
                     fine_labels=batch["fine_labels"])  # fmt: skip
    assert by_name.loss is not None and torch.equal(by_name.loss, ours.loss) and torch.equal(both.loss, ours.loss)
    with pytest.raises(ValueError, match="labels and coarse_labels differ"):
        model(batch["pixel_values"], coarse_labels=batch["labels"], labels=1 - batch["labels"])


def test_trainer_fine_tunes_the_default_classifier_and_it_round_trips(tiny_synta, tmp_path):
    model = _model(tiny_synta)
    assert model.config.head == "disentangled"
    names = list(taxonomy_of(tiny_synta).coarse_names)
    assert model.config.id2label == dict(enumerate(names))
    assert model.config.label2id == {name: i for i, name in enumerate(names)}
    arguments = TrainingArguments(
        output_dir=str(tmp_path / "trainer"),
        per_device_train_batch_size=4,
        per_device_eval_batch_size=8,
        learning_rate=3e-3,
        max_steps=12,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=0,
        dataloader_num_workers=0,
        remove_unused_columns=False,  # the collator reads the video column
        label_names=["labels", "fine_labels"],
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=tiny_synta["train"],
        eval_dataset=tiny_synta["train"],
        data_collator=VideoCollator.for_model(model, tiny_synta),
    )
    before = trainer.evaluate()["eval_loss"]
    trainer.train()
    after = trainer.evaluate()["eval_loss"]
    logged = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(logged) == 12 and all(loss == loss for loss in logged)
    assert after < 0.8 * before, (before, after)

    out = tmp_path / "model"
    trainer.save_model(str(out))
    loaded = AutoModel.from_pretrained(out).eval()
    assert isinstance(loaded, DisentangledVideoClassifier)
    assert loaded.config.id2label == dict(enumerate(names)) and loaded.config.label2id == model.config.label2id
    rows = tiny_synta["known"].cast_column("video", Video(decode=False))
    batch = VideoCollator.for_model(loaded, tiny_synta)([rows[i] for i in range(3)])
    with torch.no_grad():
        expected = loaded(batch["pixel_values"]).coarse_logits.softmax(-1)
        trained = trainer.model.eval()(batch["pixel_values"]).coarse_logits.softmax(-1)
    assert torch.allclose(trained, expected, atol=1e-5)
    video = tmp_path / "clip.mp4"
    video.write_bytes(rows[0]["video"]["bytes"])
    answer = pipeline("video-classification", model=str(out))(str(video), top_k=len(names))
    assert {a["label"] for a in answer} == set(names)
    top = expected[0].topk(len(names))
    assert [a["label"] for a in answer] == [names[i] for i in top.indices.tolist()]
    assert [a["score"] for a in answer] == pytest.approx(top.values.tolist(), abs=1e-5)
