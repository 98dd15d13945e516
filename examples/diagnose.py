"""Diagnose what a trained model relies on: per-factor scores, temporal probes, confusions, as one report.

The model sees the ``known`` and ``unknown`` splits of one protocol direction as ``eval.py`` does, plain and under
input transformations (``mt_models.diagnosis.probes``: frames shuffled, reversed, one frame repeated, slowed, sped up,
and on Syn-TA the background made plain). Each video is decoded once, as a clip denser than the model's when a probe
needs frames in between, and every probe is made from that clip in memory. Any number of processes:

    accelerate launch examples/diagnose.py --dataset motion-transfer/syn-ta --config set1 \\
        --model runs/videomae-set1 --probes all --groups view,background,camera_azimuth:30 --report runs/diagnosis

``--report DIR`` receives ``diagnosis.json`` (every score, from the ``motion_transferability`` metric's core),
``report.md`` and the PNG plots. ``--groups`` names dataset columns to score per value (Syn-TA's factors; float
columns binned, ``name:width`` sets the bin width). ``--videos DIR`` joins a metadata-only dataset with your videos.
Videos that fail to decode are skipped and listed (split, id, reason) in ``diagnosis.json``.
"""

from __future__ import annotations

import argparse
import json

from mt_datasets.errors import add_debug_argument, run_main
from mt_models.options import PROBE_NAMES, add_data_and_model_arguments, add_precision_argument, positive_int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_and_model_arguments(parser)
    parser.add_argument(
        "--probes", default="all", help=f"'all', 'none' or a comma-separated list of {', '.join(PROBE_NAMES)}"
    )
    parser.add_argument("--groups", default="", help="dataset columns to score per value, e.g. view,camera_azimuth:30")
    parser.add_argument("--batch_size", type=positive_int, default=8, help="per process")
    parser.add_argument("--num_workers", type=int, default=2, help="DataLoader decoding processes")
    add_precision_argument(parser)
    parser.add_argument("--bootstrap_samples", type=int, default=0, help="replicates for confidence intervals")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffle probe and of the bootstrap")
    parser.add_argument("--report", required=True, help="directory for diagnosis.json, report.md and the plots")
    add_debug_argument(parser)
    args = parser.parse_args(argv)  # before torch and transformers load: --help answers at once
    from mt_models.diagnosis.probes import resolve_probes

    try:  # the names, before any dataset loads (which Syn-TA-only probes apply is known once it has)
        resolve_probes(args.probes)
    except ValueError as error:
        parser.error(f"--probes: {error}")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from mt_models.scoring.evaluation import EvaluationInputError

    return run_main("diagnose.py", lambda: _claimed(args), (EvaluationInputError, ConnectionError), debug=args.debug)


# What a diagnosis writes into --report (the presence report only with --videos).
REPORT_MAKES = ("diagnosis.json", "report.md", "*.png", "meta/presence.*")


def _claimed(args: argparse.Namespace) -> dict:
    """The diagnosis, with --report checked and held first: a folder that holds what a diagnosis does not write (a
    dataset, a file in its place), a mistyped local path or another live run's folder stop before any work."""
    from mt_models.runtime.output_dirs import claim_output_dir, missing_local_path
    from mt_models.scoring.evaluation import EvaluationInputError

    for option, value in (("--dataset", args.dataset), ("--model", args.model), ("--videos", args.videos)):
        reason = missing_local_path(value, option)
        if reason:
            raise EvaluationInputError(reason)
    with claim_output_dir(args.report, makes=REPORT_MAKES, option="--report", what="diagnosis",
                          error=EvaluationInputError):  # fmt: skip
        return _diagnose(args)


def _diagnose(args: argparse.Namespace) -> dict:
    from mt_datasets.protocol import TEST_SPLITS, direction, training_set_of
    from mt_models.diagnosis.diagnostics import build_diagnosis, factor_groups, parse_group_spec, predict_under_probes
    from mt_models.diagnosis.probes import oversampling_for, resolve_probes
    from mt_models.diagnosis.report import render_report
    from mt_models.runtime.data import taxonomy_of
    from mt_models.runtime.fast_path import evaluation_accelerator
    from mt_models.scoring.evaluation import (
        EvaluationInputError,
        attach_eval_videos,
        check_label_spaces,
        load_eval_dataset,
        load_model,
        skipped_videos,
    )
    from mt_models.scoring.records import dataset_revision

    accelerator, _ = evaluation_accelerator(args.mixed_precision)
    # Everything that can be wrong with the inputs is checked before any video is decoded.
    try:
        model = load_model(
            args.model, config=args.config, open_vocabulary=args.open_vocabulary, prompt_template=args.prompt_template
        )
        dataset = load_eval_dataset(args.dataset, args.config, revision=args.revision)
        taxonomy = taxonomy_of(dataset)
        check_label_spaces(model, taxonomy, model_name=args.model, dataset_name=args.dataset)
        dataset, missing = attach_eval_videos(dataset, dataset=args.dataset, videos=args.videos, report_dir=args.report)
        probes = resolve_probes(args.probes, taxonomy=taxonomy)
        group_spec = parse_group_spec(args.groups)
        groups_by_split = {split: factor_groups(dataset[split], group_spec) for split in TEST_SPLITS}
    except ValueError as error:  # a probe or group that does not apply to this dataset
        raise EvaluationInputError(str(error)) from None
    training_set = training_set_of(args.config)
    num_frames = model.input_spec.num_frames
    oversampling = oversampling_for(probes)
    model = accelerator.prepare_model(model, evaluation_mode=True)
    input_names, data = predict_under_probes(
        accelerator,
        model,
        dataset,
        probes,
        class_names=taxonomy.coarse_names if args.open_vocabulary else None,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        seed=args.seed,
    )

    result: dict = {}
    if accelerator.is_main_process:
        decoded = data["decoded"].bool()
        is_known = data["is_known"].bool()
        skipped = missing + skipped_videos(dataset, data)
        keep = decoded.numpy()
        splits = ["known" if k else "unknown" for k in is_known[decoded].tolist()]
        indices = data["index"][decoded].tolist()
        groups = {
            name: [groups_by_split[split][name][i] for split, i in zip(splits, indices, strict=True)]
            for name in group_spec
        }
        diagnosis = build_diagnosis(
            {name: data["predictions"][:, k].numpy()[keep] for k, name in enumerate(input_names)},
            data["coarse_label"].numpy()[keep],
            is_known.numpy()[keep],
            taxonomy,
            groups=groups or None,
            probe_descriptions={p.name: p.description for p in probes},
            bootstrap_samples=args.bootstrap_samples,
            seed=args.seed,
            metadata={
                "dataset": args.dataset,
                "dataset_revision": dataset_revision(args.dataset, args.revision),
                "config": args.config,
                "direction": direction(training_set),
                "model": args.model,
                "model_kind": "open_vocabulary" if args.open_vocabulary else "disentangled",
                "seed": args.seed,
                "num_frames": num_frames,
                "oversampling": oversampling,
                "skipped_videos": {split: sum(s["split"] == split for s in skipped) for split in TEST_SPLITS},
                "skipped": skipped,
            },
        )
        report = render_report(diagnosis, args.report)
        result = diagnosis
        summary = {"report": str(report), "skipped_videos": diagnosis["skipped_videos"]}
        for name in input_names:
            scores = diagnosis["plain"] if name == "plain" else diagnosis["probes"][name]["scores"]
            summary[name] = {k: scores[k] for k in ("known_accuracy", "unknown_accuracy")}
        accelerator.print(json.dumps(summary))
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return result


if __name__ == "__main__":
    main()
