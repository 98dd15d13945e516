"""Planning and running a Syn-TA generation: render a dataset into the Hub layout, in parallel, resumably, reproducibly.

The options (presets, checks) are :mod:`mt_datasets.syn_ta.options`; the command line, ``mt-datasets syn-ta
generate``, is :mod:`mt_datasets.commands.generate`. Their names still import from here.

Pipeline per clip: motion program (timeline) -> appearance factors -> renderer (moderngl, EGL) -> H.264 mp4
(:func:`mt_datasets.video.encode_mp4`) -> a staged file. When every clip of the dataset is staged, one process packs
them in clip order into Parquet shards with :class:`mt_datasets.hub.HubDatasetWriter`, writes the contact sheet and
the dataset card, and removes the staging area.

Determinism: a clip's random generators come from ``SeedSequence(seed, spawn_key=(set, fine class, view, clip id))``,
so a clip depends only on the seed, the options and the clip itself: not on the worker count, the shard split, the
order of work, or the other classes selected. On one machine (same renderer, same x264) runs give identical bytes.

Robustness: each finished clip is written to ``OUT/.staging/clips/`` through a temp file and a rename (the mp4, then
its row as JSON: the JSON marks it done), so killing a run loses only the clips in flight; rerunning the same command
resumes. A directory holding data made with other options is refused before anything is touched.

Parallelism: ``--workers`` spawn-started processes, each with its own GL context; ``--num-shards/--shard-index``
split the clips between runs (on other machines sharing the directory, or one after another); under
``accelerate launch`` the processes split each shard's clips and the main process packs after a barrier. Whichever
run finds every clip staged packs the dataset.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mt_datasets.files import atomic_write_bytes
from mt_datasets.syn_ta.appearance import (
    AMBIENT,
    CAMERA_DISTANCE,
    FRONT_ELEVATION_DEG,
    LIGHT_AZIMUTH_DEG,
    LIGHT_ELEVATION_DEG,
    LIGHT_INTENSITY,
    PALETTE,
    PROTOCOLS,
    REGULAR_AZIMUTH_DEG,
    REGULAR_ELEVATION_DEG,
    VIEWS,
    get_protocol,
    linear_to_hex,
    sample_appearance,
)
from mt_datasets.syn_ta.backgrounds import NUM_PROCEDURAL, BackgroundLibrary
from mt_datasets.syn_ta.options import (
    MIN_SIZE,
    PRESETS,
    X264_PRESETS,
    GenerationOptions,
    Preset,
    clip_ids,
    resolve_classes,
    split_counts,
)
from mt_datasets.syn_ta.timeline import STAGE_EXTENT, Timeline
from mt_datasets.taxonomy import FINE_SETS, get_taxonomy

__all__ = [
    "MIN_SIZE",
    "PRESETS",
    "X264_PRESETS",
    "ClipSpec",
    "GenerationOptions",
    "GenerationResult",
    "Preset",
    "clip_seed",
    "extra_features",
    "generate",
    "plan_clips",
    "render_clip",
    "resolve_classes",
]


STAGING_DIR = ".staging"
CONTACT_SHEET = "images/contact_sheet.png"
CARD_TEMPLATE = "syn_ta_card.md.j2"


@dataclass(frozen=True)
class ClipSpec:
    """One clip of the dataset: which motion, which set and split, which view, and its id."""

    index: int  # position in the dataset's clip order (the packing order)
    video_id: str
    fine: int
    fine_set: int  # the set the row belongs to (under appearance-shift: the appearance set)
    split: str
    view: str
    clip_id: int


def plan_clips(options: GenerationOptions) -> list[ClipSpec]:
    """Every clip of the dataset in packing order: set, fine class, clip id, view (the release's list order).

    Video ids are the release paths without ``.mp4`` (``orbiting/orbiting6_front_id_31``); under appearance-shift,
    where every fine class appears in both sets, they are prefixed with the set (``set2/orbiting/...``).
    """
    taxonomy = get_taxonomy("syn-ta")
    protocol = get_protocol(options.protocol)
    clips: list[ClipSpec] = []
    for fine_set in FINE_SETS:
        for fine in options.classes:
            if not protocol.variants_in_both_sets and taxonomy.fine_set[fine] != fine_set:
                continue
            for clip_id, split in clip_ids(options.clips_per_class):
                for view in VIEWS:
                    video_id = taxonomy.release_path(fine, clip_id, view).removesuffix(".mp4")
                    if protocol.variants_in_both_sets:
                        video_id = f"set{fine_set}/{video_id}"
                    clips.append(ClipSpec(len(clips), video_id, fine, fine_set, split, view, clip_id))
    return clips


def clip_seed(seed: int, spec: ClipSpec) -> int:
    """The clip's own 63-bit seed (recorded in its row): from the run's seed and the clip's identity only."""
    sequence = np.random.SeedSequence(seed, spawn_key=(spec.fine_set, spec.fine, VIEWS.index(spec.view), spec.clip_id))
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


def extra_features() -> dict[str, Any]:
    """The Syn-TA factor columns added to the shared schema (``dataset_features(..., extra=...)``)."""
    import datasets

    string, float32 = datasets.Value("string"), datasets.Value("float32")
    return {
        "view": string,
        "shapes": datasets.List(string),
        "colors": datasets.List(string),
        "material": string,
        "background": string,
        "camera_azimuth": float32,
        "camera_elevation": float32,
        "camera_distance": float32,
        "light_azimuth": float32,
        "light_elevation": float32,
        "light_intensity": float32,
        "ambient": float32,
        "num_frames": datasets.Value("int32"),
        "fps": float32,
        "seed": datasets.Value("int64"),
        "protocol": string,
        "generator": string,
        "motion": string,
    }


def _first_drawn_states(timeline: Timeline) -> tuple[list[str], list[str]]:
    """Each object's shape and sRGB hex colour at the first frame it is drawn (its initial look)."""
    shapes, colors = [], []
    for track in timeline.objects:
        drawn = track.visible & (track.opacity > 0)
        first = int(np.argmax(drawn)) if drawn.any() else 0
        shapes.append(str(track.shape[first]))
        colors.append(linear_to_hex(track.color[first]))
    return shapes, colors


def render_clip(
    spec: ClipSpec, options: GenerationOptions, renderer, library: BackgroundLibrary, generator: str
) -> tuple[np.ndarray, dict[str, Any]]:
    """Make one clip: ``(frames (T, H, W, 3) uint8, its row without the video)``.

    The motion and the appearance draw from two independent generators spawned from the clip's seed, so changing
    an appearance option never changes a motion.
    """
    from mt_datasets.syn_ta.motions import MotionContext, motion_for_fine

    taxonomy = get_taxonomy("syn-ta")
    seed = clip_seed(options.seed, spec)
    motion_seed, appearance_seed = np.random.SeedSequence(seed).spawn(2)
    appearance = sample_appearance(
        np.random.default_rng(appearance_seed), get_protocol(options.protocol), spec.fine_set, spec.view, library.names
    )
    context = MotionContext(
        rng=np.random.default_rng(motion_seed),
        num_frames=options.num_frames,
        fps=options.fps,
        shapes=appearance.shapes,
        palette=np.asarray(appearance.palette_linear(), np.float32),
        extent=STAGE_EXTENT,
    )
    timeline = motion_for_fine(spec.fine)(context)
    frames = renderer.render(timeline, appearance, library.image(appearance.background_index))
    shapes, colors = _first_drawn_states(timeline)
    row = {
        "video_id": spec.video_id,
        "coarse_label": taxonomy.fine_to_coarse[spec.fine],
        "fine_label": spec.fine,
        "fine_set": spec.fine_set,
        "split": spec.split,
        "view": spec.view,
        "shapes": shapes,
        "colors": colors,
        "material": appearance.material,
        "background": appearance.background,
        "camera_azimuth": appearance.camera_azimuth,
        "camera_elevation": appearance.camera_elevation,
        "camera_distance": appearance.camera_distance,
        "light_azimuth": appearance.light_azimuth,
        "light_elevation": appearance.light_elevation,
        "light_intensity": appearance.light_intensity,
        "ambient": appearance.ambient,
        "num_frames": options.num_frames,
        "fps": options.fps,
        "seed": seed,
        "protocol": options.protocol,
        "generator": generator,
        "motion": json.dumps(timeline.meta, sort_keys=True),
    }
    return frames, row


# ---- the staging area ------------------------------------------------------------------------------------------
class _Staging:
    """``OUT/.staging``: the run's identity (``config.json``) and one mp4 + row JSON per finished clip."""

    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir / STAGING_DIR
        self.clips = self.root / "clips"
        self.config = self.root / "config.json"

    @staticmethod
    def _name(video_id: str) -> str:
        return video_id.replace("/", "__")

    def video_path(self, video_id: str) -> Path:
        return self.clips / f"{self._name(video_id)}.mp4"

    def row_path(self, video_id: str) -> Path:
        return self.clips / f"{self._name(video_id)}.json"

    def create(self, record: dict[str, Any]) -> None:
        from mt_datasets.hub.layout import write_incomplete_card

        self.clips.mkdir(parents=True, exist_ok=True)
        if not self.config.is_file():
            atomic_write_bytes(self.config, (json.dumps(record, indent=2) + "\n").encode())
        if not (self.root.parent / "README.md").is_file():
            # Until the pack writes the card, load_dataset on this directory says to rerun the command.
            write_incomplete_card(self.root.parent)

    def is_finished(self, video_id: str) -> bool:
        return self.row_path(video_id).is_file()

    def write(self, video_id: str, mp4: bytes, row: dict[str, Any]) -> None:
        # the row JSON is written last: its presence is what marks the clip finished
        atomic_write_bytes(self.video_path(video_id), mp4)
        atomic_write_bytes(self.row_path(video_id), json.dumps(row, sort_keys=True).encode())

    def row(self, video_id: str) -> dict[str, Any]:
        return json.loads(self.row_path(video_id).read_text())

    def remove_temp_files(self) -> None:
        for path in self.clips.glob(".*.tmp"):
            path.unlink(missing_ok=True)


# ---- workers ---------------------------------------------------------------------------------------------------
class _ClipWorker:
    """What one process needs to make clips: its own renderer (GL context), backgrounds and staging area."""

    def __init__(self, options: GenerationOptions, out_dir: Path) -> None:
        from mt_datasets import __version__
        from mt_datasets.syn_ta.renderer import Renderer

        self.options = options
        self.library = BackgroundLibrary(options.backgrounds)
        self.renderer = Renderer(options.width, options.height)
        self.staging = _Staging(out_dir)
        info = self.renderer.info
        self.generator = f"motion-transfer {__version__}; {info['renderer']}; OpenGL {info['version']}"

    def __call__(self, spec: ClipSpec) -> str:
        from mt_datasets.video import encode_mp4

        try:
            frames, row = render_clip(spec, self.options, self.renderer, self.library, self.generator)
            # One x264 thread: workers already fill the cores, and x264's own threads double its CPU time on small
            # frames (and would make the bytes depend on the core count).
            mp4 = encode_mp4(
                frames, fps=self.options.fps, crf=self.options.crf, preset=self.options.x264_preset, threads=1
            )
        except Exception as error:
            raise RuntimeError(f"clip {spec.video_id!r} (seed {self.options.seed}) failed: {error}") from error
        self.staging.write(spec.video_id, mp4, row)
        return spec.video_id


_WORKER: dict[str, _ClipWorker] = {}


def _init_worker(options: dict[str, Any], out_dir: str) -> None:
    import signal

    # Ctrl-C is the parent's to handle (one line, then the pool is terminated); a worker would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    options["classes"] = tuple(options["classes"])
    _WORKER["clip"] = _ClipWorker(GenerationOptions(**options), Path(out_dir))


def _run_in_worker(spec: ClipSpec) -> str:
    return _WORKER["clip"](spec)


@contextmanager
def _rasteriser_threads(render_processes: int) -> Iterator[None]:
    """Environment for the renderers started inside: with a rendering process per core, llvmpipe is fastest drawing
    in the calling thread (no rasteriser threads to hand tiles to); with fewer it keeps its threads. An explicit
    LP_NUM_THREADS wins. Spawned workers inherit the environment; this process's is restored afterwards."""
    previous = os.environ.get("LP_NUM_THREADS")
    if previous is None and render_processes >= len(os.sched_getaffinity(0)):
        os.environ["LP_NUM_THREADS"] = "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("LP_NUM_THREADS", None)


# ---- the run ---------------------------------------------------------------------------------------------------
@dataclass
class GenerationResult:
    """What a run did: ``num_clips`` in the dataset, ``made`` by this run, ``skipped`` (already staged or packed),
    ``packed`` (the Hub layout was written), ``seconds`` of wall time, ``clips_per_second`` of this run."""

    out_dir: Path
    num_clips: int
    made: int
    skipped: int
    packed: bool
    seconds: float
    clips_per_second: float
    missing: int = 0  # clips of other shards not staged yet (nothing packed until they are)
    renderers: list[str] = field(default_factory=list)
    already_complete: bool = False  # the directory held this finished dataset, and it verified: nothing was done
    repaired: list[str] = field(default_factory=list)  # what verification found wrong in a finished dataset, now redone


def _differences(stored: dict[str, Any], given: dict[str, Any]) -> list[str]:
    return [
        f"{key}: stored {stored.get(key)!r}, given {given.get(key)!r}"
        for key in sorted(set(stored) | set(given))
        if stored.get(key) != given.get(key)
    ]


# where mt_datasets.hub.locks puts a directory's lock when its parent is not writable: not "other data"
_INSIDE_LOCK_FILES = (".mt-datasets.lock", ".mt-datasets.owner")


def _check_out_dir(out_dir: Path, record: dict[str, Any]) -> bool:
    """Refuse a directory holding other data; returns True when it already holds this finished dataset."""
    from mt_datasets.errors import DatasetMismatchError
    from mt_datasets.hub.layout import INFO_FILE, read_info

    if not out_dir.exists():
        return False
    if not out_dir.is_dir():
        raise NotADirectoryError(f"--out {str(out_dir)!r} is a file; give a directory")
    staging = _Staging(out_dir)
    if staging.config.is_file():
        stored = json.loads(staging.config.read_text())
        where = "a partial Syn-TA generation"
    elif (out_dir / INFO_FILE).is_file():
        stored = read_info(out_dir).get("info", {}).get("options")
        if stored is None:
            raise DatasetMismatchError(
                f"{out_dir} holds a dataset that `mt-datasets syn-ta generate` did not make; use a new directory"
            )
        where = "a Syn-TA dataset"
    elif any(path.name not in _INSIDE_LOCK_FILES for path in out_dir.iterdir()):
        raise DatasetMismatchError(
            f"{out_dir} is not empty and holds no Syn-TA generation; use a new or empty directory"
        )
    else:
        return False
    differences = _differences(stored, record)
    if differences:
        raise DatasetMismatchError(
            f"{out_dir} holds {where} made with other options ({'; '.join(differences)}). Nothing was changed: "
            "rerun with the stored options to resume, or write to a new directory."
        )
    return not staging.root.exists() and (out_dir / "README.md").is_file()


def _process_group() -> tuple[int, int, Callable[[], None]]:
    """``(num_processes, process_index, barrier)`` under ``accelerate launch``; one process otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return 1, 0, lambda: None
    import torch
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    # PartialState only joins a CPU (gloo) group when told to; Accelerator does this from ACCELERATE_USE_CPU.
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU") or not torch.cuda.is_available())
    if state.num_processes != world_size:
        raise RuntimeError(
            f"WORLD_SIZE is {world_size} but accelerate formed a group of {state.num_processes}; "
            "on CPU launch with `ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes N`"
        )
    return state.num_processes, state.process_index, state.wait_for_everyone


def generate(
    out_dir: str | Path,
    options: GenerationOptions,
    *,
    workers: int | None = None,
    num_shards: int = 1,
    shard_index: int = 0,
    progress: bool = True,
) -> GenerationResult:
    """Generate (or resume) the dataset of ``options`` in ``out_dir``; pack it once every clip is staged.

    Args:
        out_dir: the dataset directory: new, empty, or holding a partial or finished run of the same options.
        options: from :meth:`GenerationOptions.resolve`.
        workers: rendering processes of this run (default: one per CPU core); 1 renders in this process.
        num_shards, shard_index: this run makes clips ``i`` with ``i % num_shards == shard_index``.
        progress: show a tqdm bar (clips/s).

    Raises:
        ValueError: bad workers / shards; :class:`mt_datasets.hub.DatasetMismatchError` when ``out_dir`` holds
        other data (nothing is touched).
    """
    from mt_datasets.hub.locks import directory_lock

    out_dir = Path(out_dir)
    workers = len(os.sched_getaffinity(0)) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if num_shards < 1 or not 0 <= shard_index < num_shards:
        raise ValueError(f"shard_index must lie in [0, num_shards); got shard {shard_index} of {num_shards}")
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"--out {str(out_dir)!r} is a file; give a directory")
    if num_shards == 1 and int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        # One run makes the whole dataset: it holds the directory's lock, so a second run stops at once, naming it.
        # Sharded runs and accelerate's processes share the directory by design (they split the clips); they take
        # the lock only to pack.
        with directory_lock(out_dir):
            return _generate(out_dir, options, workers, num_shards, shard_index, progress)
    return _generate(out_dir, options, workers, num_shards, shard_index, progress)


def _generate(
    out_dir: Path, options: GenerationOptions, workers: int, num_shards: int, shard_index: int, progress: bool
) -> GenerationResult:
    from tqdm.auto import tqdm

    from mt_datasets.hub.verify import verify_dataset

    library = BackgroundLibrary(options.backgrounds)
    record = options.record(library)
    start = time.perf_counter()
    plan = plan_clips(options)
    repaired: list[str] = []
    if _check_out_dir(out_dir, record):
        verification = verify_dataset(out_dir)
        if verification.ok:
            return GenerationResult(out_dir, len(plan), 0, len(plan), True, 0.0, 0.0, already_complete=True)
        # A finished dataset that no longer matches its manifest: keep the clips of the sound shards, make the rest
        # again (the same options give the same clips) and pack anew.
        repaired = verification.problems
        _unpack_for_repair(out_dir, record, verification)

    num_processes, process_index, barrier = _process_group()
    staging = _Staging(out_dir)
    staging.create(record)
    mine = [spec for spec in plan if spec.index % num_shards == shard_index][process_index::num_processes]
    todo = [spec for spec in mine if not staging.is_finished(spec.video_id)]
    label = f"syn-ta {options.protocol}" + (f" [{process_index}/{num_processes}]" if num_processes > 1 else "")
    with tqdm(total=len(mine), initial=len(mine) - len(todo), unit="clip", desc=label, disable=not progress) as bar:
        if todo and (workers == 1 or len(todo) == 1):
            with _rasteriser_threads(num_processes):
                worker = _ClipWorker(options, out_dir)
            try:
                for spec in todo:
                    worker(spec)
                    bar.update()
            finally:
                worker.renderer.release()
        elif todo:
            context = multiprocessing.get_context("spawn")  # a GL context must never cross a fork
            initargs = (asdict(options), str(out_dir))
            with _rasteriser_threads(workers * num_processes):
                pool = context.Pool(min(workers, len(todo)), _init_worker, initargs)
            with pool:
                for _ in pool.imap_unordered(_run_in_worker, todo, chunksize=1):
                    bar.update()
    made_seconds = time.perf_counter() - start
    barrier()

    result = GenerationResult(
        out_dir, len(plan), len(todo), len(mine) - len(todo), False, 0.0, len(todo) / max(made_seconds, 1e-9)
    )
    result.repaired = repaired
    if process_index == 0:
        missing = [spec for spec in plan if not staging.is_finished(spec.video_id)]
        result.missing = len(missing)
        if not missing:
            result.renderers = _pack(out_dir, plan, options, record, library, staging)
            result.packed = True
    result.seconds = time.perf_counter() - start
    return result


def _unpack_for_repair(out_dir: Path, record: dict[str, Any], verification: Any) -> None:
    """Stage the clips of the shards that verified (rows and mp4 bytes, as the workers stage them) and remove the
    packed files, so that the run renders only the clips of the damaged shards and then packs the whole dataset."""
    import pyarrow.parquet as pq

    from mt_datasets.hub.layout import DATA_DIR, INFO_FILE, MANIFEST_FILE, write_incomplete_card

    staging = _Staging(out_dir)
    staging.create(record)
    write_incomplete_card(out_dir)  # an interrupted repair resumes like any interrupted run
    damaged = set(verification.damaged_shards)
    for entry in (verification.manifest or {}).get("shards", []):
        if entry["file"] in damaged:
            continue
        for row in pq.read_table(out_dir / entry["file"]).to_pylist():
            video = row.pop("video")
            if not staging.is_finished(row["video_id"]):
                staging.write(row["video_id"], video["bytes"], row)
    shutil.rmtree(out_dir / DATA_DIR, ignore_errors=True)
    shutil.rmtree(out_dir / Path(CONTACT_SHEET).parent, ignore_errors=True)
    for name in (INFO_FILE, MANIFEST_FILE):
        (out_dir / name).unlink(missing_ok=True)


# ---- packing ---------------------------------------------------------------------------------------------------
def _pack(
    out_dir: Path,
    plan: list[ClipSpec],
    options: GenerationOptions,
    record: dict[str, Any],
    library: BackgroundLibrary,
    staging: _Staging,
) -> list[str]:
    """Write the staged clips, in plan order, as the Hub layout with the contact sheet and card; remove the staging."""
    from mt_datasets.hub.writer import HubDatasetWriter, dataset_features
    from mt_datasets.syn_ta.contact_sheet import make_contact_sheet

    taxonomy = get_taxonomy("syn-ta")
    staging.remove_temp_files()
    rows = [staging.row(spec.video_id) for spec in plan]
    renderers = sorted({row["generator"] for row in rows})
    make_contact_sheet(_contact_sheet_rows(plan, staging), out_dir / CONTACT_SHEET)
    features = dataset_features(taxonomy, extra=extra_features())
    info = {"generated_by": "mt-datasets syn-ta generate", "options": record, "generators": renderers}
    # The clips were encoded by this pipeline and staged atomically, so the writer's decode check is skipped.
    # Under appearance-shift every fine class is in both sets, and fine_set names the appearance set.
    with HubDatasetWriter(
        out_dir,
        taxonomy,
        features,
        info=info,
        check_videos=False,
        fine_set_from_rows=get_protocol(options.protocol).variants_in_both_sets,
    ) as writer:
        for spec, row in zip(plan, rows, strict=True):
            video = {"bytes": staging.video_path(spec.video_id).read_bytes(), "path": f"{spec.video_id}.mp4"}
            writer.add({**row, "video": video})
        writer.finalize(
            card_template=CARD_TEMPLATE,
            card_context=_card_context(options, record, library, renderers, len(plan)),
            license="cc-by-4.0",
            tags=["action-recognition", "synthetic", f"protocol:{options.protocol}"],
            allow_missing_splits=True,
        )
    shutil.rmtree(staging.root)
    return renderers


def _contact_sheet_rows(plan: list[ClipSpec], staging: _Staging) -> list[tuple[str, list[Path]]]:
    """One row per coarse class present: its first regular and first front clip in plan order."""
    taxonomy = get_taxonomy("syn-ta")
    chosen: dict[int, dict[str, ClipSpec]] = {}
    for spec in plan:
        views = chosen.setdefault(taxonomy.fine_to_coarse[spec.fine], {})
        views.setdefault(spec.view, spec)
    rows = []
    for coarse in sorted(chosen):
        specs = [chosen[coarse][view] for view in VIEWS if view in chosen[coarse]]
        caption = f"{taxonomy.coarse_names[coarse]}: " + " | ".join(spec.video_id for spec in specs)
        rows.append((caption, [staging.video_path(spec.video_id) for spec in specs]))
    return rows


def _card_context(
    options: GenerationOptions, record: dict[str, Any], library: BackgroundLibrary, renderers: list[str], num_clips: int
) -> dict[str, Any]:
    from mt_datasets.hub.verify import CROSS_CPU_BOUND

    protocol = get_protocol(options.protocol)
    train, val = split_counts(options.clips_per_class)
    taxonomy = get_taxonomy("syn-ta")
    command = [
        "mt-datasets syn-ta generate --out DIR",
        f"--appearance-split {options.protocol}",
        f"--size {options.width}x{options.height}",
        f"--num-frames {options.num_frames}",
        f"--fps {options.fps:g}",
        f"--clips-per-class {options.clips_per_class}",
        f"--crf {options.crf}",
        f"--x264-preset {options.x264_preset}",
        f"--seed {options.seed}",
    ]
    if len(options.classes) < len(taxonomy.fine_names):
        command.append("--classes " + " ".join(record["classes"]))
    if options.backgrounds:
        command.append("--backgrounds YOUR_FOLDER")
    return {
        "protocol": {"name": protocol.name, "description": protocol.description, "sets": protocol.card_rows()},
        "protocols": {name: p.description for name, p in PROTOCOLS.items()},
        "variants_in_both_sets": protocol.variants_in_both_sets,
        "generation": {
            "width": options.width,
            "height": options.height,
            "num_frames": options.num_frames,
            "fps": options.fps,
            "clips_per_class": options.clips_per_class,
            "train_per_view": train,
            "val_per_view": val,
            "crf": options.crf,
            "x264_preset": options.x264_preset,
            "seed": options.seed,
            "num_clips": num_clips,
            "num_classes": len(options.classes),
            "command": " ".join(command),
            "package_version": record["package_version"],
        },
        "renderers": renderers,
        "palette": PALETTE,
        "backgrounds": {
            "procedural": options.backgrounds is None,
            "count": len(library),
            "names": library.names,
            "num_procedural": NUM_PROCEDURAL,
        },
        "ranges": {
            "regular_azimuth": REGULAR_AZIMUTH_DEG,
            "regular_elevation": REGULAR_ELEVATION_DEG,
            "front_elevation": FRONT_ELEVATION_DEG,
            "camera_distance": CAMERA_DISTANCE,
            "light_azimuth": LIGHT_AZIMUTH_DEG,
            "light_elevation": LIGHT_ELEVATION_DEG,
            "light_intensity": LIGHT_INTENSITY,
            "ambient": AMBIENT,
        },
        "contact_sheet": CONTACT_SHEET,
        "regeneration": {"bound": CROSS_CPU_BOUND.describe()},
    }
