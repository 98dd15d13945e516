"""Diagnosis cost: `examples/diagnose.py` with N probes against one plain `examples/eval.py` run, same model and data.

The claim of issue 7: the probes reuse the decoded clips (each video is decoded once, densely enough for every probe,
and the probe inputs are made from it in memory), so the whole diagnosis costs less than 1.5x one plain evaluation
per input set evaluated (the plain input plus each probe), i.e. ``diagnose_s / ((N + 1) * eval_s) < 1.5``. Without
reuse each input set would cost one evaluation, ratio 1; decoding the dense clip once and running N + 1 forwards is
the cost measured here.

Both scripts run in this process through their ``main(argv)`` (after a warm-up evaluation, so imports and first-call
costs are not counted), on a Hub-layout dataset of real H.264 mp4s (``tests/factories.make_tiny_dataset``: a square
moving over a noisy background) with a randomly initialised VideoMAE (112 px, 8 frames, 4 layers of width 192).
Prints one JSON line; ``--quick`` (what ``make test`` runs) uses one opposite pair of classes, one clip per fine class
and split, and a VideoMAE of 2 layers of width 96.

    python bench/bench_diagnose.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test factories make the dataset

from factories import make_tiny_dataset  # noqa: E402

from mt_datasets import get_taxonomy  # noqa: E402
from mt_models import DisentangledVideoClassifier, create_backbone, save_tiny_checkpoint  # noqa: E402
from mt_models.diagnosis.probes import list_probes  # noqa: E402

BACKBONE = dict(
    image_size=112, patch_size=16, num_frames=8, hidden_size=192, num_hidden_layers=4, num_attention_heads=3,
    intermediate_size=768,
)  # fmt: skip
QUICK_BACKBONE = {**BACKBONE, "hidden_size": 96, "num_hidden_layers": 2, "intermediate_size": 384}
# Two opposite pairs (appearing / disappearing, rising / falling), so the pair confusion has data; --quick: the first.
COARSE_CLASSES = (0, 7, 16, 9)


def _example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"mt_examples_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_model(out_dir: Path, config: dict) -> Path:
    """A randomly initialised VideoMAE of ``config`` with the heads of training on Syn-TA's set 1, saved."""
    taxonomy = get_taxonomy("syn-ta")
    backbone = create_backbone(str(save_tiny_checkpoint("videomae", out_dir / "backbone", **config)))
    model = DisentangledVideoClassifier.for_training_set(backbone, taxonomy, 1)
    model.save_pretrained(out_dir / "model")
    return out_dir / "model"


def timed(function, argv: list[str]) -> float:
    start = time.perf_counter()
    function(argv)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true",
        help="2 classes, 1 clip per fine class and split, a 2-layer VideoMAE (a smoke run: what make test runs)",
    )  # fmt: skip
    parser.add_argument("--num_workers", type=int, default=1)
    args = parser.parse_args()
    evaluate_script, diagnose_script = _example("eval"), _example("diagnose")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clips = 1 if args.quick else 3
        dataset = make_tiny_dataset(
            tmp / "data",
            coarse_classes=COARSE_CLASSES[:2] if args.quick else COARSE_CLASSES,
            clips_per_fine=clips,
            size=128,
            num_frames=48,
        )
        model = make_model(tmp, QUICK_BACKBONE if args.quick else BACKBONE)
        common = ["--dataset", str(dataset), "--model", str(model), "--num_workers", str(args.num_workers)]
        timed(evaluate_script.main, [*common, "--output_dir", str(tmp / "warmup")])
        eval_s = timed(evaluate_script.main, [*common, "--output_dir", str(tmp / "eval")])
        probes = list_probes()
        diagnose_s = timed(diagnose_script.main, [*common, "--probes", "all", "--report", str(tmp / "diagnosis")])
        videos = json.loads((tmp / "eval" / "all_results.json").read_text())["scores"]
        num_videos = videos["num_known"] + videos["num_unknown"]
    input_sets = len(probes) + 1
    print(
        json.dumps(
            {
                "bench": "diagnose",
                "anchor": "one plain examples/eval.py evaluation, same model and videos",
                "videos": num_videos,
                "probes": probes,
                "eval_s": round(eval_s, 3),
                "diagnose_s": round(diagnose_s, 3),
                "diagnose_over_eval": round(diagnose_s / eval_s, 3),
                "diagnose_over_eval_per_input_set": round(diagnose_s / (input_sets * eval_s), 3),
                "target_per_input_set": 1.5,
                "torch_threads": __import__("torch").get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
