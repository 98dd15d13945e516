"""Temporal probes: input transformations that ask what a video classifier relies on.

A model that recognises an action from its motion should fail when the frames are shuffled, reversed (for actions
whose opposite is another class) or frozen into one frame; one that leans on appearance will hardly notice. Each probe
maps the decoded clip of one video to the clip the model sees instead; ``examples/diagnose.py`` evaluates the same
known and unknown sets under each of them.

Decode once, transform many
---------------------------
Every probe reads one *dense* clip of ``oversampling * T`` frames, decoded once per video with the same uniform
(segment-centre) sampling as plain evaluation (:func:`mt_datasets.video.sample_indices`). With an odd
``oversampling`` ``m``, dense frame ``m * i + (m - 1) // 2`` is exactly plain frame ``i`` (both sit at the time
``(i + 0.5) / T`` of the video), so :func:`plain_clip` gives back the unmodified input bit for bit, and the speed
probes pick real intermediate frames rather than repeated or blended ones.

The probes
----------
- ``shuffle``: the plain clip's frames in a seeded random order (never the identity when ``T > 1``).
- ``reverse``: the plain clip played backwards.
- ``static``: the plain clip's middle frame repeated ``T`` times: appearance only, no motion.
- ``slow``: time slowed ``oversampling`` times about the clip's centre: ``T`` consecutive dense frames, which cover
  the central ``1 / oversampling`` of the video.
- ``fast``: time sped up twice about the clip's centre: the whole video plays in the middle ``T / 2`` frames, and the
  first and last quarter hold the video's first and last frame (the video is not looped, which would add a jump).
- ``plain_background``: pixels near the clip's static background replaced by a flat grey (see
  :func:`replace_background` for the method and its limits); meant for Syn-TA's fixed cameras.

>>> clip = torch.arange(4, dtype=torch.uint8).view(4, 1, 1, 1).expand(4, 3, 2, 2)
>>> reverse_frames(clip)[:, 0, 0, 0].tolist()
[3, 2, 1, 0]
>>> static_frames(clip)[:, 0, 0, 0].tolist()
[2, 2, 2, 2]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mt_datasets.errors import did_you_mean
from mt_datasets.taxonomy import Taxonomy
from mt_models.diagnosis.opposites import OPPOSITE_PAIRS, opposite_pairs, pair_confusion  # re-exported: their old home
from mt_models.options import PROBE_NAMES

__all__ = [
    "DEFAULT_OVERSAMPLING",
    "oversampling_for",
    "OPPOSITE_PAIRS",
    "PROBES",
    "Probe",
    "frame_permutation",
    "list_probes",
    "opposite_pairs",
    "pair_confusion",
    "plain_clip",
    "replace_background",
    "register_probe",
    "resolve_probes",
    "reverse_frames",
    "shuffle_frames",
    "speed_indices",
    "change_speed",
    "static_frames",
]

# Odd, so that the plain clip is a subsample of the dense clip (see the module docstring); 3 keeps decoding cheap.
DEFAULT_OVERSAMPLING = 3
FAST_FACTOR = 2.0
PLAIN_GREY = (128, 128, 128)
BACKGROUND_THRESHOLD = 30  # grey levels; above H.264 noise (a few levels) and Syn-TA's shading changes


def _check_clips(clips: torch.Tensor, name: str = "clip") -> None:
    if clips.ndim not in (4, 5) or clips.shape[-3] != 3:
        raise ValueError(f"{name} must be (T, 3, H, W) or a batch (B, T, 3, H, W), got shape {tuple(clips.shape)}")
    if clips.dtype != torch.uint8:
        raise TypeError(f"{name} must be uint8 frames (0-255), got {clips.dtype}")


def reverse_frames(clips: torch.Tensor) -> torch.Tensor:
    """The clip (``(T, 3, H, W)``) or every clip of a batch (``(B, T, 3, H, W)``) in reverse frame order."""
    _check_clips(clips)
    return clips.flip(-4)


def static_frames(clips: torch.Tensor, index: int | None = None) -> torch.Tensor:
    """Frame ``index`` (default: the middle one, ``T // 2``) repeated over the whole clip: appearance without motion."""
    _check_clips(clips)
    num_frames = clips.shape[-4]
    index = num_frames // 2 if index is None else index
    if not -num_frames <= index < num_frames:
        raise IndexError(f"frame index {index} is outside a clip of {num_frames} frames")
    frame = clips.select(-4, index).unsqueeze(-4)
    return frame.expand_as(clips).contiguous()


def frame_permutation(num_frames: int, seed: int | Sequence[int]) -> np.ndarray:
    """A seeded random order of ``num_frames`` frames, never the identity when ``num_frames > 1``.

    ``seed`` is anything ``numpy.random.default_rng`` takes, e.g. ``(seed, video index)`` for one order per video.
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(num_frames)
    # The identity would leave the clip as it was; redraw (at most 1/T! likely, so this ends fast).
    while num_frames > 1 and np.array_equal(order, np.arange(num_frames)):
        order = rng.permutation(num_frames)
    return order


def shuffle_frames(clips: torch.Tensor, seed: int | Sequence[int] | Sequence[Sequence[int]]) -> torch.Tensor:
    """The frames of each clip in a seeded random order (:func:`frame_permutation`).

    Args:
        clips: one clip ``(T, 3, H, W)`` or a batch ``(B, T, 3, H, W)``.
        seed: for one clip, its seed; for a batch, one seed per clip (so that a video's order does not depend on the
            batch it falls in or the process that scores it), or one seed shared by every clip.
    """
    _check_clips(clips)
    num_frames = clips.shape[-4]
    if clips.ndim == 4:
        return clips[torch.from_numpy(frame_permutation(num_frames, seed))]
    seeds = [seed] * len(clips) if isinstance(seed, (int, np.integer)) else list(seed)
    if len(seeds) != len(clips):
        raise ValueError(f"shuffle_frames got {len(seeds)} seeds for a batch of {len(clips)} clips: give one per clip")
    orders = torch.from_numpy(np.stack([frame_permutation(num_frames, s) for s in seeds]))
    return torch.take_along_dim(clips, orders.view(*orders.shape, 1, 1, 1).to(clips.device), dim=1)


def speed_indices(dense_frames: int, num_frames: int, factor: float) -> np.ndarray:
    """Indices into a dense clip of the ``num_frames`` frames of the video played ``factor`` times faster.

    Plain frame ``i`` shows the time ``t_i = (i + 0.5) / num_frames`` of the video; played ``factor`` times faster
    about the clip's centre it shows ``0.5 + (t_i - 0.5) * factor``, taken from the nearest dense frame (dense frame
    ``j`` shows ``(j + 0.5) / dense_frames``) and clamped to the video. ``factor < 1`` slows down (the clip covers the
    central ``factor`` of the video), ``factor > 1`` speeds up (the first and last frames are held at the ends),
    ``factor == 1`` gives the plain clip.

    >>> speed_indices(24, 8, 1.0).tolist()  # every third dense frame, from the second: the plain clip
    [1, 4, 7, 10, 13, 16, 19, 22]
    >>> speed_indices(24, 8, 1 / 3).tolist()  # consecutive dense frames: 3x slower
    [8, 9, 10, 11, 12, 13, 14, 15]
    >>> speed_indices(24, 8, 2.0).tolist()  # twice as fast, ends held
    [0, 0, 3, 9, 15, 21, 23, 23]
    """
    if not factor > 0:
        raise ValueError(f"speed factor must be > 0 (e.g. 0.5 to slow down, 2 to speed up), got {factor!r}")
    if dense_frames < 1 or num_frames < 1:
        raise ValueError(f"dense_frames and num_frames must be >= 1, got {dense_frames} and {num_frames}")
    times = 0.5 + ((np.arange(num_frames) + 0.5) / num_frames - 0.5) * factor
    # Rounded to 9 decimals first so that exact subsamples (factor 1, 1/m) do not fall on the wrong side of a tie.
    positions = np.round(times * dense_frames - 0.5, 9)
    return np.clip(np.floor(positions + 0.5), 0, dense_frames - 1).astype(np.int64)


def _dense_factor(dense_frames: int, num_frames: int) -> int:
    if dense_frames % num_frames or (dense_frames // num_frames) % 2 == 0:
        raise ValueError(
            f"a dense clip of {dense_frames} frames does not hold a {num_frames}-frame plain clip: decode "
            f"oversampling * num_frames frames with an odd oversampling (e.g. {DEFAULT_OVERSAMPLING * num_frames})"
        )
    return dense_frames // num_frames


def plain_clip(dense: torch.Tensor, num_frames: int) -> torch.Tensor:
    """The unmodified ``num_frames``-frame clip inside a dense clip (or batch) decoded with odd oversampling."""
    _check_clips(dense, "dense clip")
    factor = _dense_factor(dense.shape[-4], num_frames)
    return dense[..., (factor - 1) // 2 :: factor, :, :, :]


def change_speed(dense: torch.Tensor, num_frames: int, factor: float) -> torch.Tensor:
    """The ``num_frames``-frame clip of the video played ``factor`` times faster, from a dense clip (or batch).

    See :func:`speed_indices` for which frames are taken.
    """
    _check_clips(dense, "dense clip")
    indices = torch.from_numpy(speed_indices(dense.shape[-4], num_frames, factor)).to(dense.device)
    return dense.index_select(dense.ndim - 4, indices)


def replace_background(
    clips: torch.Tensor,
    *,
    reference: torch.Tensor | None = None,
    color: tuple[int, int, int] = PLAIN_GREY,
    threshold: int = BACKGROUND_THRESHOLD,
) -> torch.Tensor:
    """Replace each clip's static background by a flat colour.

    Method: the background of a clip is estimated as the per-pixel temporal median of ``reference`` (the frames of
    the same video, by default the clip itself; a denser decode gives a better median); a pixel of a frame whose
    largest per-channel difference from that estimate is at most ``threshold`` grey levels is painted ``color``.

    Limits: it assumes a fixed camera (Syn-TA's cameras do not move; real videos' usually do). An object that stays
    still in more than half the frames is taken for background and painted over; object pixels close in colour to
    the background behind them are painted too, and shadows or lighting changes stronger than ``threshold`` are kept.
    It is meant for a probe of reliance on the background, not as a segmentation.

    Args:
        clips: ``(T, 3, H, W)`` or ``(B, T, 3, H, W)`` uint8.
        reference: frames of the same video(s) to estimate the background from, same layout, any number of frames.
        color: the flat RGB colour.
        threshold: largest per-channel difference (0-255) still counted as background.
    """
    _check_clips(clips)
    reference = clips if reference is None else reference
    _check_clips(reference, "reference")
    if reference.shape[:-4] != clips.shape[:-4] or reference.shape[-3:] != clips.shape[-3:]:
        raise ValueError(
            f"reference frames {tuple(reference.shape)} do not match the clips {tuple(clips.shape)}: give frames of "
            "the same videos at the same size"
        )
    if not 0 <= threshold <= 255:
        raise ValueError(f"threshold must be a grey-level difference in 0..255, got {threshold}")
    background = reference.median(dim=-4, keepdim=True).values
    difference = (clips.to(torch.int16) - background.to(torch.int16)).abs().amax(dim=-3, keepdim=True)
    flat = torch.tensor(color, dtype=torch.uint8, device=clips.device).view(3, 1, 1)
    return torch.where(difference <= threshold, flat, clips)


# apply(dense clips, plain frame count, one seed per clip) -> the clips the model sees
ProbeFunction = Callable[[torch.Tensor, int, Sequence[Sequence[int]]], torch.Tensor]


@dataclass(frozen=True)
class Probe:
    """One input transformation: ``apply(dense, num_frames, seeds)`` -> the clips the model sees.

    ``dense`` is a batch ``(B, oversampling * T, 3, H, W)`` of dense clips (see the module docstring), ``seeds`` one
    seed per clip (used by the random probes only). ``uses_dense_clip``: the probe reads frames between the plain
    clip's (decode with :data:`DEFAULT_OVERSAMPLING`); the others work from any odd oversampling, 1 included.
    """

    name: str
    description: str
    apply: ProbeFunction
    uses_dense_clip: bool = False
    syn_ta_only: bool = False


PROBES: dict[str, Probe] = {}


def register_probe(
    name: str, description: str, *, uses_dense_clip: bool = False, syn_ta_only: bool = False
) -> Callable[[ProbeFunction], ProbeFunction]:
    """Decorator registering ``apply(dense, num_frames, seeds) -> clips`` as the probe ``name``.

    Probes are reported in the order they are registered.
    """

    def decorator(apply: ProbeFunction) -> ProbeFunction:
        if name in PROBES:
            raise ValueError(f"probe {name!r} is registered twice: {apply.__qualname__}")
        PROBES[name] = Probe(name, description, apply, uses_dense_clip=uses_dense_clip, syn_ta_only=syn_ta_only)
        return apply

    return decorator


@register_probe("shuffle", "frames in a seeded random order")
def _shuffled(dense: torch.Tensor, num_frames: int, seeds: Sequence[Sequence[int]]) -> torch.Tensor:
    return shuffle_frames(plain_clip(dense, num_frames), seeds)


@register_probe("reverse", "frames in reverse order")
def _reversed(dense: torch.Tensor, num_frames: int, seeds: Sequence[Sequence[int]]) -> torch.Tensor:
    return reverse_frames(plain_clip(dense, num_frames))


@register_probe("static", "the middle frame repeated: no motion")
def _static(dense: torch.Tensor, num_frames: int, seeds: Sequence[Sequence[int]]) -> torch.Tensor:
    return static_frames(plain_clip(dense, num_frames))


@register_probe("slow", f"{DEFAULT_OVERSAMPLING}x slower: the central third of the video", uses_dense_clip=True)
def _slow(dense: torch.Tensor, num_frames: int, seeds: Sequence[Sequence[int]]) -> torch.Tensor:
    return change_speed(dense, num_frames, 1.0 / DEFAULT_OVERSAMPLING)


@register_probe("fast", f"{FAST_FACTOR:g}x faster: the whole video in the middle half, ends held", uses_dense_clip=True)
def _fast(dense: torch.Tensor, num_frames: int, seeds: Sequence[Sequence[int]]) -> torch.Tensor:
    return change_speed(dense, num_frames, FAST_FACTOR)


# The dense clip's median over more frames of the video estimates the background better than the plain clip's.
@register_probe("plain_background", "static background replaced by flat grey", uses_dense_clip=True, syn_ta_only=True)
def _plain_background(dense: torch.Tensor, num_frames: int, seeds: Sequence[Sequence[int]]) -> torch.Tensor:
    return replace_background(plain_clip(dense, num_frames), reference=dense)


# The scripts' --help lists the probes from their light home (mt_models.options), which must name these.
if tuple(PROBES) != PROBE_NAMES:
    raise ImportError(
        f"mt_models.options.PROBE_NAMES {PROBE_NAMES} does not list the registered probes {tuple(PROBES)}"
    )


def list_probes() -> list[str]:
    """Names of the registered probes, in report order."""
    return list(PROBES)


def oversampling_for(probes: Sequence[Probe]) -> int:
    """How densely to decode for ``probes``: :data:`DEFAULT_OVERSAMPLING` when one reads between the plain clip's
    frames, else 1 (the plain clip alone)."""
    return DEFAULT_OVERSAMPLING if any(p.uses_dense_clip for p in probes) else 1


def resolve_probes(spec: str | Sequence[str], *, taxonomy: Taxonomy | None = None) -> list[Probe]:
    """The probes named by ``spec``: ``"all"``, ``"none"``, a comma-separated list or a list of names.

    ``"all"`` leaves out the Syn-TA-only probes when ``taxonomy`` is given and is not Syn-TA; naming one of them for
    another dataset is an error.
    """
    is_syn_ta = taxonomy is None or taxonomy.name == "syn-ta"
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else [str(n) for n in spec]
    names = [n for n in names if n]
    if names == ["none"]:
        return []
    if names == ["all"]:
        return [p for p in PROBES.values() if is_syn_ta or not p.syn_ta_only]
    probes = []
    for name in names:
        if name not in PROBES:
            raise ValueError(did_you_mean(name, ["all", "none", *PROBES], "probe"))
        if PROBES[name].syn_ta_only and not is_syn_ta:
            raise ValueError(
                f"probe {name!r} is for Syn-TA (fixed cameras), not {taxonomy.name}: leave it out of --probes"
            )
        if PROBES[name] not in probes:
            probes.append(PROBES[name])
    return probes
