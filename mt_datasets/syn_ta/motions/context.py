"""What a motion program draws from: ``MotionContext`` (the clip's generator, length and appearance choices).

A program turns a context into a ``Timeline``; every free parameter comes from ``ctx.rng`` through the helpers here,
so the same seed gives the same clip. Time is a fraction of the clip (``ctx.times``), so a program looks the same at
any ``num_frames >= MIN_NUM_FRAMES`` and any fps.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mt_datasets.errors import did_you_mean
from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.timeline import SHAPES, STAGE_EXTENT, ObjectTrack, Prop, Timeline

__all__ = ["DEFAULT_PALETTE", "MIN_NUM_FRAMES", "SIZES", "MotionContext"]

# Below this the staggered starts of "one by one" motions and the hops of a bouncing ball no longer get frames apart.
MIN_NUM_FRAMES = 16

# Named object sizes of the descriptions ("small object expanding into medium object"), as ranges of scale.
SIZES: dict[str, tuple[float, float]] = {
    "very small": (0.22, 0.3),
    "small": (0.4, 0.55),
    "medium": (0.85, 1.1),
    "large": (1.7, 2.1),
}

# Saturated colours for contexts made without an appearance sampler (tests, notebooks).
DEFAULT_PALETTE = np.array(
    [
        [0.85, 0.15, 0.15],
        [0.15, 0.65, 0.2],
        [0.15, 0.3, 0.9],
        [0.95, 0.8, 0.1],
        [0.7, 0.2, 0.8],
        [0.1, 0.75, 0.8],
        [0.95, 0.5, 0.1],
        [0.9, 0.9, 0.9],
    ],
    np.float32,
)

# Colours closer than this (RGB distance) count as the same colour when a program needs distinct ones.
_MIN_COLOR_DISTANCE = 0.35


@dataclass(frozen=True)
class MotionContext:
    """What a motion program may draw from: the clip's random generator, its length, and its appearance choices.

    Attributes:
        rng: the clip's generator; every free parameter of the motion comes from it.
        num_frames: frames in the clip (at least ``MIN_NUM_FRAMES``).
        fps: frames per second (recorded; programs express time as fractions of the clip).
        shapes: shape names this clip may use, chosen by the appearance sampler. Programs pick object shapes from
            it, except where the description names a shape or needs more distinct shapes than it holds.
        palette: ``(K, 3)`` linear RGB colours in [0, 1] this clip may use; programs that need more distinct colours
            than it holds derive them by rotating its hues.
        extent: half width of the stage (``|x|, |z| <= extent``).
    """

    rng: np.random.Generator
    num_frames: int
    fps: float = 24.0
    shapes: tuple[str, ...] = SHAPES
    palette: np.ndarray = field(default_factory=lambda: DEFAULT_PALETTE.copy())
    extent: float = STAGE_EXTENT

    def __post_init__(self) -> None:
        if not isinstance(self.rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {self.rng!r}")
        if int(self.num_frames) < MIN_NUM_FRAMES:
            raise ValueError(
                f"num_frames must be at least {MIN_NUM_FRAMES} for the motions to read, got {self.num_frames}"
            )
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        shapes = tuple(self.shapes)
        unknown = sorted(set(shapes) - set(SHAPES))
        if not shapes or unknown:
            raise ValueError(f"shapes must be a non-empty subset of {SHAPES}, got {shapes}")
        palette = np.asarray(self.palette, np.float32)
        if palette.ndim != 2 or palette.shape[1] != 3 or len(palette) == 0:
            raise ValueError(f"palette must be a (K, 3) array of RGB colours, got shape {palette.shape}")
        if np.any((palette < 0) | (palette > 1)):
            raise ValueError("palette colours must lie in [0, 1] (linear RGB)")
        if not self.extent > 0:
            raise ValueError(f"extent must be positive, got {self.extent}")
        object.__setattr__(self, "num_frames", int(self.num_frames))
        object.__setattr__(self, "shapes", shapes)
        object.__setattr__(self, "palette", palette)

    @property
    def times(self) -> np.ndarray:
        """Clip-relative time of every frame, 0 to 1."""
        return kin.frame_times(self.num_frames)

    def uniform(self, low: float, high: float) -> float:
        """One draw from ``[low, high)``."""
        return float(self.rng.uniform(low, high))

    def integer(self, low: int, high: int) -> int:
        """One draw from ``low..high`` inclusive."""
        return int(self.rng.integers(low, high + 1))

    def choice(self, options: Sequence):
        """One of ``options``, uniformly."""
        return options[int(self.rng.integers(len(options)))]

    def sign(self) -> float:
        """-1.0 or 1.0."""
        return float(self.choice((-1.0, 1.0)))

    def size(self, name: str) -> float:
        """A scale drawn from the named size range of ``SIZES``."""
        if name not in SIZES:
            raise KeyError(did_you_mean(name, tuple(SIZES), "size"))
        return self.uniform(*SIZES[name])

    def direction(self) -> np.ndarray:
        """A random horizontal unit vector ``(x, 0, z)``."""
        angle = self.uniform(0.0, 2.0 * np.pi)
        return np.array([np.cos(angle), 0.0, np.sin(angle)])

    def ground_point(self, half_width: float) -> np.ndarray:
        """A point ``(x, 0, z)`` with ``x`` and ``z`` drawn from ``[-half_width, half_width)``: a group's centre."""
        point = np.zeros(3)
        point[[0, 2]] = self.rng.uniform(-half_width, half_width, 2)
        return point

    def distinct_shapes(self, n: int, exclude: Sequence[str] = ()) -> list[str]:
        """``n`` different shapes, from ``shapes`` first, then from all ``SHAPES`` when ``shapes`` holds too few."""
        allowed = [s for s in self.shapes if s not in exclude]
        spare = [s for s in SHAPES if s not in exclude and s not in allowed]
        if n > len(allowed) + len(spare):
            raise ValueError(f"cannot pick {n} distinct shapes outside {list(exclude)}")
        picked = [allowed[i] for i in self.rng.permutation(len(allowed))[:n]]
        picked += [spare[i] for i in self.rng.permutation(len(spare))[: n - len(picked)]]
        return picked

    def shape(self, exclude: Sequence[str] = ()) -> str:
        """One shape from ``shapes`` (outside ``exclude``; from all ``SHAPES`` when none is left)."""
        return self.distinct_shapes(1, exclude)[0]

    def colors(self, n: int) -> np.ndarray:
        """``n`` clearly different colours ``(n, 3)``: palette colours in random order, then their hue rotations."""
        palette = self.palette[self.rng.permutation(len(self.palette))]
        rotated = []
        for step in (0.5, 1 / 3, 2 / 3, 1 / 6, 5 / 6):
            for color in palette:
                h, s, v = colorsys.rgb_to_hsv(*color)
                rotated.append(colorsys.hsv_to_rgb((h + step) % 1.0, max(s, 0.6), max(v, 0.6)))
        picked: list[np.ndarray] = []
        for candidate in np.concatenate([palette, np.asarray(rotated, np.float32)]):
            if all(np.linalg.norm(candidate - c) >= _MIN_COLOR_DISTANCE for c in picked):
                picked.append(candidate)
            if len(picked) == n:
                return np.asarray(picked, np.float32)
        raise ValueError(f"cannot derive {n} distinct colours from the palette {self.palette.tolist()}")

    def track(
        self, position, *, scale: float, role: str, shape: str | None = None, color=None, resting: bool = False
    ) -> ObjectTrack:
        """A still object at ``position`` (its y raised to ``scale / 2`` when ``resting`` on the ground), with a random
        shape and palette colour unless given, and a random turn about the vertical axis for variety.
        """
        position = np.asarray(position, float).copy()
        if resting:
            position[1] = scale / 2.0
        color = self.colors(1)[0] if color is None else color
        track = ObjectTrack.constant(
            self.num_frames, position=position, shape=shape or self.shape(), color=color, scale=scale, role=role
        )
        track.rotation[:, 1] = self.uniform(0.0, 2.0 * np.pi)
        return track

    def spread(self, n: int, low: float, high: float, min_gap: float, what: str = "positions") -> np.ndarray:
        """``n`` sorted values in ``[low, high]`` at least ``min_gap`` apart (lanes, slots, start times)."""
        slack = (high - low) - (n - 1) * min_gap
        if slack < 0:
            raise ValueError(f"cannot fit {n} {what} {min_gap} apart in [{low}, {high}]")
        # Sorted uniform slack plus fixed gaps: exact, no rejection loop.
        return low + np.sort(self.rng.uniform(0.0, slack, n)) + min_gap * np.arange(n)

    def scatter(
        self, scales: Sequence[float], *, region: float, gap: float = 0.3, avoid: Sequence[tuple] = ()
    ) -> np.ndarray:
        """Ground positions ``(n, 3)`` (y = scale / 2) inside ``|x|, |z| <= region`` for objects of ``scales``, their
        collision spheres at least ``gap`` apart and clear of every ``(position, scale)`` in ``avoid``.
        """
        fixed = [(np.asarray(p, float), s) for p, s in avoid]
        # Greedy placement with restarts: one unlucky early object can leave no room for the rest.
        for _ in range(50):
            placed, result = list(fixed), []
            for scale in scales:
                for _ in range(100):
                    x, z = self.rng.uniform(-region, region, 2)
                    candidate = np.array([x, scale / 2.0, z])
                    reach = kin.collision_radius(scale) + gap
                    if all(
                        np.linalg.norm((candidate - p)[[0, 2]]) >= reach + kin.collision_radius(s) for p, s in placed
                    ):
                        placed.append((candidate, scale))
                        result.append(candidate)
                        break
                else:
                    break
            if len(result) == len(scales):
                return np.asarray(result)
        raise RuntimeError(f"cannot place {len(scales)} objects {gap} apart within |x|, |z| <= {region}")

    def resample(self, draw: Callable[[], dict], accept: Callable[[dict], bool], what: str, attempts: int = 200):
        """Call ``draw()`` until ``accept(params)`` holds; a program's guard against parameters that break its
        description. Raises ``RuntimeError`` naming ``what`` after ``attempts`` failures (a bug, not bad luck).
        """
        for _ in range(attempts):
            params = draw()
            if accept(params):
                return params
        raise RuntimeError(f"no parameters satisfying {what!r} after {attempts} draws; the program's ranges are wrong")

    def inside(self, points: np.ndarray, scales, margin: float = 0.0) -> bool:
        """Whether every point keeps its whole object (of ``scales``) within ``|x|, |z| <= extent - margin``."""
        reach = np.abs(np.asarray(points)[..., [0, 2]]).max(axis=-1) + np.asarray(scales, float) / 2.0
        return bool(np.all(reach <= self.extent - margin))

    def timeline(self, objects: Sequence[ObjectTrack], props: Sequence[Prop] = (), **meta) -> Timeline:
        """The clip's timeline with the program's sampled parameters as plain JSON-ready ``meta``."""
        return Timeline(self.num_frames, float(self.fps), list(objects), list(props), _plain(meta))


def _plain(value):
    """NumPy scalars and arrays as Python numbers and lists (meta goes into dataset rows and cards)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6)
    return value
