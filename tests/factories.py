"""Tiny real datasets for tests (mp4 files made with ``mt_datasets.video.encode_mp4``, Hub-layout directories), and
running an example script in-process (``run_example``).

Frames show a bright square moving across a dim noisy background. Its direction depends on the coarse class (so a
tiny model can learn the coarse task from motion, or even from where the square starts), its size, speed and
brightness a little on the fine class, and the noise and start jitter on the clip's seed.

Wrap these in session-scoped fixtures in your own test file (pytest puts ``tests/`` on ``sys.path``), e.g.::

    from factories import make_tiny_dataset

    @pytest.fixture(scope="session")
    def tiny_synta(tmp_path_factory):
        return make_tiny_dataset(tmp_path_factory.mktemp("syn-ta"))

What several test modules read, and costs a training to make, is built once per test session, whichever pytest-xdist
worker asks first (:func:`build_once`): ``tests/conftest.py``'s ``tiny_run``, a classifier trained by
``examples/train.py`` (:func:`make_tiny_run`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import math
import os
import runpy
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock
from hubserver import free_port

from mt_datasets import get_taxonomy
from mt_datasets.hub import HubDatasetWriter, dataset_features
from mt_datasets.taxonomy import SPLITS, Taxonomy
from mt_datasets.video import encode_mp4

__all__ = [
    "TinyRun",
    "accelerate_launch",
    "build_once",
    "dataset_files",
    "dirty_freed_heap",
    "run_python_json",
    "SquareMotion",
    "class_motion",
    "hold_directory_lock",
    "make_tiny_dataset",
    "make_tiny_run",
    "render_square_clip",
    "write_test_video",
]

# Successive coarse classes turn by the golden angle, so any few of them move in well-separated directions.
_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_python_json(code: str, *args: str, cwd: str | Path, env: dict[str, str], python: Sequence[str] = ()) -> Any:
    """Run ``code`` as a user would, in a fresh interpreter (``python -c``) from ``cwd``; assert it exited 0 and
    return the JSON of the last line it printed. ``python`` replaces the interpreter command (e.g. with ``-S``)."""
    done = subprocess.run(
        [*(python or [sys.executable]), "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def accelerate_launch(num_processes: int = 2) -> tuple[list[str], dict[str, str]]:
    """The command (to which the script and its arguments are appended) and the environment of ``accelerate launch``
    with ``num_processes`` real gloo processes on this CPU: ``--multi_gpu`` with ``ACCELERATE_USE_CPU=1`` (``--cpu``
    alone silently runs one process), one thread each, on a free port (other test workers and sessions may run gloo
    jobs on this machine at the same time: never accelerate's default port); a process that dies of a signal says where
    its threads were (``PYTHONFAULTHANDLER``)."""
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(num_processes)]
    command += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    command += ["--main_process_port", str(free_port())]
    return command, {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"}


def run_example(name: str, *args: str) -> None:
    """Run ``examples/<name>.py`` as ``__main__`` with ``sys.argv`` set, in this process (as a user would run it)."""
    argv = sys.argv
    sys.argv = [str(EXAMPLES / f"{name}.py"), *args]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        sys.argv = argv


@dataclass(frozen=True)
class SquareMotion:
    """What one test clip shows: a square of ``side`` fraction of the frame moving along ``direction`` (radians,
    x right, y down) over ``travel`` fraction of the frame, at ``brightness`` (0-255)."""

    direction: float
    side: float = 0.25
    travel: float = 0.5
    brightness: int = 230


def class_motion(taxonomy: Taxonomy, fine: int) -> SquareMotion:
    """The motion of fine class ``fine``: direction from its coarse class, small size/speed/brightness changes from
    its rank among the coarse class's fine variants."""
    coarse = taxonomy.fine_to_coarse[fine]
    rank = taxonomy.fine_classes_of(coarse).index(fine)
    return SquareMotion(
        direction=coarse * _GOLDEN_ANGLE,
        side=0.22 + 0.03 * (rank % 3),
        travel=0.45 + 0.05 * (rank % 2),
        brightness=255 - 15 * (rank % 4),
    )


def render_square_clip(motion: SquareMotion, *, num_frames: int = 8, size: int = 32, seed: int = 0) -> np.ndarray:
    """RGB uint8 frames ``(num_frames, size, size, 3)`` of ``motion`` on a noisy background drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    # Grey noise: yuv420p keeps luma at full resolution, so the decoded frames stay close to these.
    frames = np.repeat(rng.integers(20, 60, size=(num_frames, size, size, 1), dtype=np.uint8), 3, axis=3)
    side = max(2, round(motion.side * size))
    dx, dy = math.cos(motion.direction), math.sin(motion.direction)
    jitter = rng.uniform(-0.05, 0.05, size=2) * size
    centre = np.array([size / 2, size / 2]) + jitter
    half_travel = motion.travel * size / 2
    for t in range(num_frames):
        progress = t / max(1, num_frames - 1) * 2 - 1  # -1 at the first frame, +1 at the last
        x, y = centre + progress * half_travel * np.array([dx, dy])
        x0 = int(np.clip(round(x - side / 2), 0, size - side))
        y0 = int(np.clip(round(y - side / 2), 0, size - side))
        frames[t, y0 : y0 + side, x0 : x0 + side] = motion.brightness
    return frames


def write_test_video(
    path: str | Path,
    *,
    num_frames: int = 8,
    size: int = 32,
    seed: int = 0,
    pattern: SquareMotion | None = None,
    crf: int = 10,
) -> np.ndarray:
    """Write a real H.264 mp4 of a moving square to ``path`` and return the frames written ``(T, H, W, 3)`` uint8.

    ``pattern`` defaults to a direction drawn from ``seed``. Decoded frames differ from the returned ones by H.264 and
    yuv420p rounding (about 1.3 grey levels on average at ``crf=10``, 0.5 at ``crf=0``); compare with a tolerance or
    against a decode of ``path``.
    """
    if pattern is None:
        pattern = SquareMotion(direction=float(np.random.default_rng(seed).uniform(0, 2 * math.pi)))
    frames = render_square_clip(pattern, num_frames=num_frames, size=size, seed=seed)
    encode_mp4(frames, path, fps=8, crf=crf)
    return frames


def make_tiny_dataset(
    out_dir: str | Path,
    *,
    dataset: str = "syn-ta",
    coarse_classes: tuple[int, ...] = (0, 1, 2),
    clips_per_fine: int = 2,
    size: int = 32,
    num_frames: int = 8,
    seed: int = 0,
) -> Path:
    """A Hub-layout dataset directory of real mp4s, loadable with ``load_dataset(str(path), "set1" | "set2" | "all")``.

    For each coarse class in ``coarse_classes``, every fine class of both sets gets ``clips_per_fine`` train and
    ``clips_per_fine`` val clips. Video ids are ``"<fine index>-<split>-<k>"`` with a zero-padded fine index.
    Returns ``out_dir``.
    """
    taxonomy = get_taxonomy(dataset)
    out_dir = Path(out_dir)
    writer = HubDatasetWriter(
        out_dir,
        taxonomy,
        dataset_features(taxonomy),
        info={
            "made_by": "tests.factories.make_tiny_dataset",
            "coarse_classes": list(coarse_classes),
            "clips_per_fine": clips_per_fine,
            "size": size,
            "num_frames": num_frames,
            "seed": seed,
        },
    )
    with writer:
        done = writer.committed_ids()  # a second call on the same directory only rewrites the card
        for coarse in coarse_classes:
            for fine in taxonomy.fine_classes_of(coarse):
                motion = class_motion(taxonomy, fine)
                for split in SPLITS:
                    for k in range(clips_per_fine):
                        video_id = f"{fine:03d}-{split}-{k}"
                        if video_id in done:
                            continue
                        # One seed per clip, independent of which classes were chosen.
                        clip_seed = seed * 1_000_003 + fine * 1_000 + (k if split == "train" else 500 + k)
                        frames = render_square_clip(motion, num_frames=num_frames, size=size, seed=clip_seed)
                        writer.add(
                            {
                                "video": {"bytes": encode_mp4(frames, fps=8, crf=10), "path": f"{video_id}.mp4"},
                                "video_id": video_id,
                                "coarse_label": coarse,
                                "fine_label": fine,
                                "fine_set": taxonomy.fine_set[fine],
                                "split": split,
                            }
                        )
        writer.finalize(pretty_name=f"tiny {dataset}", card_context={"repo_id": f"tests/tiny-{dataset}"})
    return out_dir


@dataclass(frozen=True)
class TinyRun:
    """What :func:`make_tiny_run` makes in a folder: the dataset, the backbone, the trained classifier's output
    directory, and the training's stderr (its progress bars)."""

    dataset: Path
    backbone: Path
    model: Path
    log: Path

    @classmethod
    def under(cls, folder: Path) -> TinyRun:
        return cls(folder / "syn-ta", folder / "videomae", folder / "trained", folder / "train.log")


def make_tiny_run(folder: Path) -> TinyRun:
    """A tiny Syn-TA (two coarse classes, one clip per fine class and split), a tiny VideoMAE backbone, and a classifier
    trained on them for one epoch by ``examples/train.py`` in a fresh interpreter, as a user runs it; all in ``folder``.
    """
    from mt_models import save_tiny_checkpoint  # here: importing these factories imports no torch

    run = TinyRun.under(folder)
    make_tiny_dataset(run.dataset, coarse_classes=(0, 1), clips_per_fine=1)
    save_tiny_checkpoint("videomae", run.backbone)
    run.model.mkdir()
    arguments = ["--dataset", str(run.dataset), "--model", str(run.backbone), "--output_dir", str(run.model)]
    arguments += ["--num_epochs", "1", "--batch_size", "4", "--num_workers", "0"]
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "train.py"), *arguments], cwd=run.model, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run.log.write_text(done.stderr)
    return run


def build_once(tmp_path_factory: Any, name: str, build: Callable[[Path], object]) -> Path:
    """The folder ``name`` that ``build(folder)`` fills once per test session: under pytest-xdist the first worker to
    ask builds it in the session's temporary folder (above the workers' own) while the others wait for it. Every
    worker reads the same folder: never change it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder, done = root / name, root / f"{name}.done"
    with FileLock(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a build that failed in another worker left
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@contextmanager
def hold_directory_lock(directory: str | Path, command: str) -> Iterator[int]:
    """Another real process holding ``directory``'s lock (recording ``command``) for the ``with`` block; yields its
    pid. The process is killed on exit, as a crashed writer would be."""
    holder = (
        "import sys, time; from mt_datasets.hub.locks import directory_lock\n"
        "with directory_lock(sys.argv[1], command=sys.argv[2]):\n"
        "    print('held', flush=True); time.sleep(300)\n"
    )
    arguments = [sys.executable, "-c", holder, str(directory), command]
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "held", "the lock holder did not start"
        yield process.pid
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def dataset_files(directory: Path) -> dict[str, str]:
    """sha256 of every file of a dataset directory (the writer's lock file aside)."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def dirty_freed_heap(byte: int) -> None:
    """Leave ``byte`` in the memory the C allocator hands out next: blocks of many sizes, filled, then freed.

    Code that reads memory it never wrote (x264's macroblock tree did, issue 27) then gives other results after each
    filling, as a generation worker did after each history of clips.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = []
    for size in (64, 256, 1024, 4096, 16384, 40000, 65536, 100000) * 50:
        block = libc.malloc(size)
        ctypes.memset(block, byte, size)
        blocks.append(block)
    for block in reversed(blocks):
        libc.free(block)
