"""The options of a Syn-TA generation: the presets, the values that decide a dataset's bytes, and their checks.

:meth:`GenerationOptions.resolve` applies a preset (``mini``, ``small``, ``paper``) and the user's overrides and
validates every value, naming the bad one and the fix; :func:`clip_ids` numbers a class's clips as the release does.
:mod:`mt_datasets.syn_ta.generate` plans and runs a generation from the options; :mod:`mt_datasets.commands.generate`
is its command line.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mt_datasets.syn_ta.appearance import get_protocol
from mt_datasets.syn_ta.backgrounds import BackgroundLibrary
from mt_datasets.taxonomy import SYNTA_TRAIN_IDS, did_you_mean, get_taxonomy

__all__ = [
    "MIN_SIZE",
    "PRESETS",
    "X264_PRESETS",
    "GenerationOptions",
    "Preset",
    "clip_ids",
    "parse_size",
    "resolve_classes",
    "split_counts",
]

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
MIN_SIZE = 16


@dataclass(frozen=True)
class Preset:
    """Default size, length and count of a generation preset (each overridable by an option)."""

    width: int
    height: int
    num_frames: int
    fps: float
    clips_per_class: int  # per view and fine class (and set, under appearance-shift); split 3:2 into train and val
    description: str


PRESETS: dict[str, Preset] = {
    "mini": Preset(112, 112, 16, 8.0, 3, "tests and demos: 2 train + 1 val clips per view and class"),
    "small": Preset(128, 128, 32, 16.0, 10, "quick experiments: 6 train + 4 val clips per view and class"),
    "paper": Preset(224, 224, 64, 16.0, 50, "the release's size: ids 1-30 train, 31-50 val, per view and class"),
}


def split_counts(clips_per_class: int) -> tuple[int, int]:
    """Train and val clips per view, in the release's 30:20 proportion (at least one of each)."""
    train = min(max(round(clips_per_class * 3 / 5), 1), clips_per_class - 1)
    return train, clips_per_class - train


def clip_ids(clips_per_class: int) -> list[tuple[int, str]]:
    """``(clip id, split)`` per view: train ids from 1, val ids from 31 as in the release (or after the last train
    id when there are more than 30 train clips)."""
    train, val = split_counts(clips_per_class)
    first_val = max(SYNTA_TRAIN_IDS.stop, train + 1)
    return [(k, "train") for k in range(1, train + 1)] + [(first_val + k, "val") for k in range(val)]


def resolve_classes(names: Sequence[str] | None) -> tuple[int, ...]:
    """Fine class indices selected by release file stems (``orbiting6``), coarse names (``orbiting``, which selects
    all its fine classes) or full fine names; ``None`` selects all. Unknown names raise ``ValueError`` with
    suggestions."""
    taxonomy = get_taxonomy("syn-ta")
    if not names:
        return tuple(range(len(taxonomy.fine_names)))
    stems = {taxonomy.file_stem(f): f for f in range(len(taxonomy.fine_names))}
    coarse = {name: c for c, name in enumerate(taxonomy.coarse_names)}
    coarse.update({taxonomy.folder(c): c for c in range(taxonomy.num_coarse)})
    selected: set[int] = set()
    for name in names:
        if name in stems:
            selected.add(stems[name])
        elif name in coarse:
            selected.update(taxonomy.fine_classes_of(coarse[name]))
        elif name in taxonomy.fine_names:
            selected.add(taxonomy.fine_index(name))
        else:
            raise ValueError(
                did_you_mean(name, sorted(stems) + sorted(coarse), "Syn-TA class name")
                + " Give release file stems (e.g. 'orbiting6'), coarse classes (e.g. 'orbiting') or fine class names."
            )
    return tuple(sorted(selected))


@dataclass(frozen=True)
class GenerationOptions:
    """Everything that decides a generated dataset's bytes (workers and shards do not).

    Build it with :meth:`resolve`, which applies the preset and validates every value.
    """

    protocol: str
    width: int
    height: int
    num_frames: int
    fps: float
    clips_per_class: int
    crf: int
    x264_preset: str
    seed: int
    classes: tuple[int, ...]
    backgrounds: str | None = None

    @classmethod
    def resolve(
        cls,
        *,
        appearance_split: str = "paper",
        preset: str = "mini",
        size: int | tuple[int, int] | None = None,
        num_frames: int | None = None,
        fps: float | None = None,
        clips_per_class: int | None = None,
        crf: int = 20,
        x264_preset: str = "veryfast",
        seed: int = 0,
        classes: Sequence[str] | None = None,
        backgrounds: str | Path | None = None,
        protocol: str | None = None,
    ) -> GenerationOptions:
        """Options from a preset and overrides; raises ``ValueError`` naming the bad value and the fix.

        ``size`` is one int (square frames) or ``(width, height)``; both must be even (H.264 yuv420p).
        ``backgrounds`` is a folder of images; it must exist (it is read when the run starts).
        ``appearance_split`` is how appearance differs between the fine sets (``APPEARANCE_SPLITS``); ``protocol`` is
        its old, deprecated name (it clashed with the evaluation protocol).
        """
        from mt_datasets.syn_ta.motions import MIN_NUM_FRAMES

        if protocol is not None:
            warnings.warn(
                "GenerationOptions.resolve(protocol=...) is deprecated: pass appearance_split=... (the Syn-TA "
                "appearance split; 'protocol' is the evaluation protocol)",
                FutureWarning,
                stacklevel=2,
            )
            appearance_split = protocol
        get_protocol(appearance_split)
        if preset not in PRESETS:
            raise ValueError(did_you_mean(preset, list(PRESETS), "preset"))
        base = PRESETS[preset]
        width, height = (base.width, base.height) if size is None else parse_size(size)
        if width % 2 or height % 2 or width < MIN_SIZE or height < MIN_SIZE:
            raise ValueError(
                f"frame size {width}x{height} is not allowed: H.264 yuv420p needs even width and height, "
                f"at least {MIN_SIZE}; use e.g. {max(MIN_SIZE, width + width % 2)}x{max(MIN_SIZE, height + height % 2)}"
            )
        num_frames = base.num_frames if num_frames is None else int(num_frames)
        if num_frames < MIN_NUM_FRAMES:
            raise ValueError(f"num_frames must be at least {MIN_NUM_FRAMES} for the motions to read, got {num_frames}")
        fps = base.fps if fps is None else float(fps)
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        clips_per_class = base.clips_per_class if clips_per_class is None else int(clips_per_class)
        if clips_per_class < 2:
            raise ValueError(f"clips_per_class must be at least 2 (one train and one val clip), got {clips_per_class}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must lie in [0, 51] (x264's range; lower is better quality), got {crf}")
        if x264_preset not in X264_PRESETS:
            raise ValueError(did_you_mean(x264_preset, X264_PRESETS, "x264 preset"))
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        if backgrounds is not None:
            backgrounds = str(Path(backgrounds).resolve())
            BackgroundLibrary(backgrounds)  # a missing or empty folder fails here, before any work
        return cls(
            protocol=appearance_split,
            width=width,
            height=height,
            num_frames=num_frames,
            fps=fps,
            clips_per_class=clips_per_class,
            crf=int(crf),
            x264_preset=x264_preset,
            seed=int(seed),
            classes=resolve_classes(classes),
            backgrounds=backgrounds,
        )

    def record(self, library: BackgroundLibrary) -> dict[str, Any]:
        """The JSON identity of the dataset these options make: stored with it, compared when a run resumes."""
        from mt_datasets import __version__

        taxonomy = get_taxonomy("syn-ta")
        record = asdict(self)
        record["classes"] = [taxonomy.file_stem(f) for f in self.classes]
        record["backgrounds"] = library.fingerprint()
        record["package_version"] = __version__
        return json.loads(json.dumps(record))


def parse_size(size: int | str | tuple[int, int]) -> tuple[int, int]:
    """``(width, height)`` from ``N`` / ``"N"`` (square), ``"WxH"`` or a pair; a malformed string raises ``ValueError``
    (the even and minimum checks are :meth:`GenerationOptions.resolve`'s)."""
    if isinstance(size, str):
        parts = size.lower().split("x")
        if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"size must be N or WxH (e.g. 112 or 160x120), got {size!r}")
        size = tuple(int(p) for p in parts)
    if isinstance(size, int):
        return size, size
    width, height = size if len(size) == 2 else (size[0], size[0])
    return int(width), int(height)
