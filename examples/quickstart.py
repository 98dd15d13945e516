"""Quickstart: load a motion-transferability dataset, classify its videos with a trained model, score transfer.

    python examples/quickstart.py --dataset motion-transfer/syn-ta --model <classifier trained by train.py>

The three steps every evaluation takes, without Accelerate or DataLoaders (see eval.py for those): decode a clip
(``mt_datasets.video.read_clip``), preprocess it in torch (``mt_models.models.preprocess``), score the predictions with
the ``motion_transferability`` metric. Prints the metric's headline scores as one JSON line.
"""

from __future__ import annotations

import argparse
import json

from mt_datasets.errors import add_debug_argument, run_main


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="motion-transfer/syn-ta")
    parser.add_argument("--config", default="set1", help="set1: trained on fine set 1; set2: the reverse")
    parser.add_argument("--model", required=True, help="a classifier trained by examples/train.py")
    parser.add_argument("--max_videos", type=int, default=None, help="per split, for a quick look")
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    return run_main("quickstart.py", lambda: _quickstart(args), (ValueError,), debug=args.debug)


def _quickstart(args: argparse.Namespace) -> dict:
    # Imported here, after the arguments are read, so that --help answers before torch loads.
    import torch
    from datasets import Video, load_dataset

    import mt_metrics
    from mt_datasets.errors import VideoDecodeError
    from mt_datasets.video import read_clip
    from mt_models import DisentangledVideoClassifier, preprocess

    # 1. The data: `known` holds unseen videos of the trained fine variants, `unknown` videos of held-out variants.
    dataset = load_dataset(args.dataset, args.config)
    model = DisentangledVideoClassifier.from_pretrained(args.model).eval()
    metric = mt_metrics.load()

    for split in ("known", "unknown"):
        rows = dataset[split].cast_column("video", Video(decode=False))  # decode only the frames the clip needs
        if args.max_videos is not None:
            rows = rows.select(range(min(args.max_videos, len(rows))))
        for row in rows:
            # 2. Decode a clip and preprocess it (resize, crop, normalise) for this model.
            try:
                clip = read_clip(row["video"], model.input_spec.num_frames)
            except VideoDecodeError as error:
                print(f"skipping an undecodable video: {error}")
                continue
            with torch.no_grad():
                logits = model(preprocess(clip, model.input_spec).unsqueeze(0)).coarse_logits
            metric.add(predictions=int(logits.argmax()), references=row["coarse_label"], is_known=split == "known")

    # 3. Score: known vs unknown accuracy, their drop and harmonic mean.
    scores = metric.compute()
    headline = {k: scores[k] for k in ("known_accuracy", "unknown_accuracy", "absolute_drop", "harmonic_mean")}
    print(json.dumps(headline))
    return headline


if __name__ == "__main__":
    main()
