"""Motion math shared by the Syn-TA programs: clip-relative time, easing, keyframes, paths, bouncing, orbits, colours.

Time is always a fraction of the clip (``t`` in [0, 1], see ``frame_times``), so a program looks the same at any
frame count and frame rate. Positions follow the stage conventions of ``mt_datasets.syn_ta.timeline``.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import numpy as np

from mt_datasets.syn_ta.timeline import ObjectTrack

__all__ = [
    "frame_times",
    "ramp",
    "smoothstep",
    "keyframes",
    "zigzag",
    "orbit",
    "bounce_height",
    "gravity_for_stop",
    "arc",
    "swap_paths",
    "Polyline",
    "catmull_rom",
    "collision_radius",
    "min_gap",
    "fade",
    "with_brightness",
    "offstage",
    "segment_distance",
    "unit",
]


def frame_times(num_frames: int) -> np.ndarray:
    """Clip-relative time of every frame: ``num_frames`` values from 0 (first frame) to 1 (last frame)."""
    return np.linspace(0.0, 1.0, num_frames)


def ramp(t: np.ndarray, start: float, end: float) -> np.ndarray:
    """0 before ``start``, 1 after ``end``, linear in between."""
    return np.clip((np.asarray(t, float) - start) / max(end - start, 1e-9), 0.0, 1.0)


def smoothstep(u: np.ndarray) -> np.ndarray:
    """Ease in and out: ``3u^2 - 2u^3``; zero velocity at both ends, so starts and stops look physical."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def keyframes(t: np.ndarray, times: Sequence[float], values, *, easing: bool = True) -> np.ndarray:
    """Piecewise interpolation through ``(times[k], values[k])``: holds the first value before the first key and the
    last after the last key. ``values`` are scalars or vectors; ``easing`` smooths every segment (stop-and-go).
    """
    times = np.asarray(times, float)
    if times.ndim != 1 or len(times) < 2 or np.any(np.diff(times) <= 0):
        raise ValueError(f"keyframe times must be at least two increasing values, got {times.tolist()}")
    values = np.asarray(values, float)
    if len(values) != len(times):
        raise ValueError(f"{len(times)} keyframe times but {len(values)} values")
    t = np.asarray(t, float)
    segment = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    u = np.clip((t - times[segment]) / (times[segment + 1] - times[segment]), 0.0, 1.0)
    if easing:
        u = smoothstep(u)
    u = u.reshape(u.shape + (1,) * (values.ndim - 1))
    return values[segment] + (values[segment + 1] - values[segment]) * u


def zigzag(u: np.ndarray, cycles: float) -> np.ndarray:
    """Triangle wave in [-1, 1] with ``cycles`` periods over ``u`` in [0, 1]; 0 at ``u = 0``, rising first."""
    return 2.0 / np.pi * np.arcsin(np.sin(2.0 * np.pi * cycles * np.asarray(u, float)))


def orbit(center, radius: float, angle: np.ndarray, plane: str) -> np.ndarray:
    """Points on a circle; increasing ``angle`` (radians) runs clockwise in the plane's viewing convention.

    ``plane="horizontal"``: the x-z plane at the centre's height, clockwise seen from above (angle 0 is +x, then
    +z). ``plane="vertical"``: the x-y plane at the centre's depth, clockwise seen from the front camera (angle 0 is
    +x, then -y).
    """
    center = np.asarray(center, float)
    angle = np.asarray(angle, float)
    points = np.tile(center, (len(angle), 1))
    points[:, 0] += radius * np.cos(angle)
    if plane == "horizontal":
        points[:, 2] += radius * np.sin(angle)
    elif plane == "vertical":
        points[:, 1] -= radius * np.sin(angle)
    else:
        raise ValueError(f"plane must be 'horizontal' or 'vertical', got {plane!r}")
    return points


def bounce_height(t: np.ndarray, *, drop: float, gravity: float, restitution: float, release: float = 0.0):
    """Height above the resting position of a ball dropped from rest at time ``release`` from height ``drop``.

    Each impact keeps ``restitution`` of the speed (1.0 bounces perpetually, below 1 the hops shrink until the ball
    rests). ``gravity`` is in stage units per clip-time squared. Returns an array like ``t``, never negative.
    """
    t = np.asarray(t, float)
    speed = np.sqrt(2.0 * gravity * drop)
    first_impact = release + speed / gravity
    # Impact times and launch speeds of the hops that start within the clip; hops below 0.1% of the drop are rest.
    starts, speeds = [first_impact], []
    while starts[-1] < 1.0 and len(speeds) < 200:
        speed *= restitution
        if speed * speed / (2.0 * gravity) < 1e-3 * drop:
            break
        speeds.append(speed)
        starts.append(starts[-1] + 2.0 * speed / gravity)
    height = np.zeros_like(t)
    falling = t < first_impact
    tau = np.clip(t[falling] - release, 0.0, None)
    height[falling] = drop - 0.5 * gravity * tau**2
    if speeds:
        hop = np.searchsorted(starts, t, side="right") - 1
        in_hop = (hop >= 0) & (hop < len(speeds)) & ~falling
        tau = t[in_hop] - np.asarray(starts)[hop[in_hop]]
        height[in_hop] = np.asarray(speeds)[hop[in_hop]] * tau - 0.5 * gravity * tau**2
    return np.clip(height, 0.0, None)


def gravity_for_stop(drop: float, restitution: float, stop: float, release: float = 0.0) -> float:
    """The gravity that makes a ball dropped at ``release`` with ``restitution`` < 1 come to rest at time ``stop``.

    The fall takes ``f`` and the hops ``2 f e / (1 - e)`` in total (a geometric series), so ``stop - release`` fixes
    ``f`` and ``g = 2 drop / f^2``.
    """
    if not 0.0 < restitution < 1.0:
        raise ValueError(f"a ball that stops needs 0 < restitution < 1, got {restitution}")
    fall = (stop - release) / (1.0 + 2.0 * restitution / (1.0 - restitution))
    return 2.0 * drop / fall**2


def arc(t: np.ndarray, start, end, *, height: float, launch: float, land: float) -> np.ndarray:
    """A ballistic hop from ``start`` to ``end`` between times ``launch`` and ``land``: constant horizontal speed and
    a parabola of apex ``height`` above the straight line (gravity alone acts in flight). Holds still outside.
    """
    u = ramp(t, launch, land)[:, None]
    start, end = np.asarray(start, float), np.asarray(end, float)
    points = start + (end - start) * u
    points[:, 1] += 4.0 * height * u[:, 0] * (1.0 - u[:, 0])
    return points


def swap_paths(first, second, progress: np.ndarray, bulge: float) -> tuple[np.ndarray, np.ndarray]:
    """Paths of two objects trading places on the ground, each bowing ``bulge`` to its own side so they pass.

    ``progress`` (0 to 1 per frame) is shared; returns the two ``(T, 3)`` paths.
    """
    first, second = np.asarray(first, float), np.asarray(second, float)
    along = second - first
    side = unit(np.array([-along[2], 0.0, along[0]]))
    s = np.asarray(progress, float)[:, None]
    detour = bulge * np.sin(np.pi * s) * side
    return first + along * s + detour, second - along * s - detour


class Polyline:
    """A path through points, walked by arc length; ``at(distance)`` extrapolates straight beyond either end."""

    def __init__(self, points) -> None:
        self.points = np.asarray(points, float)
        if self.points.ndim != 2 or len(self.points) < 2:
            raise ValueError(f"a polyline needs at least two points, got shape {self.points.shape}")
        steps = np.linalg.norm(np.diff(self.points, axis=0), axis=1)
        self.cumulative = np.concatenate([[0.0], np.cumsum(steps)])

    @property
    def length(self) -> float:
        """Total arc length."""
        return float(self.cumulative[-1])

    def at(self, distance: np.ndarray) -> np.ndarray:
        """Points at arc length ``distance`` (an array), ``(len(distance), dim)``."""
        distance = np.asarray(distance, float)
        segment = np.clip(np.searchsorted(self.cumulative, distance, side="right") - 1, 0, len(self.points) - 2)
        span = self.cumulative[segment + 1] - self.cumulative[segment]
        u = (distance - self.cumulative[segment]) / np.maximum(span, 1e-12)
        return self.points[segment] + (self.points[segment + 1] - self.points[segment]) * u[:, None]


def catmull_rom(waypoints, samples_per_segment: int = 32) -> np.ndarray:
    """A smooth curve through ``waypoints`` (``(n, dim)``, n >= 2), densely sampled for a ``Polyline``."""
    p = np.asarray(waypoints, float)
    padded = np.concatenate([2 * p[:1] - p[1:2], p, 2 * p[-1:] - p[-2:-1]])
    u = np.linspace(0.0, 1.0, samples_per_segment, endpoint=False)[:, None]
    pieces = []
    for k in range(len(p) - 1):
        p0, p1, p2, p3 = padded[k : k + 4]
        pieces.append(
            0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2 + (3 * p1 - p0 - 3 * p2 + p3) * u**3)
        )
    return np.concatenate(pieces + [p[-1:]])


def collision_radius(scale) -> np.ndarray:
    """Radius of a sphere around any primitive of ``scale`` (a unit cube's half diagonal): clear of it, no contact."""
    return np.sqrt(3.0) / 2.0 * np.asarray(scale, float)


def min_gap(paths: Sequence[np.ndarray], scales: Sequence[float]) -> float:
    """Smallest gap between the collision spheres of objects of ``scales`` moving along ``paths`` (each ``(T, 3)``),
    over all frames and pairs; negative where they would touch."""
    gap = np.inf
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            distance = np.linalg.norm(np.asarray(paths[i]) - np.asarray(paths[j]), axis=1)
            gap = min(gap, float(distance.min() - collision_radius(scales[i]) - collision_radius(scales[j])))
    return gap


def fade(track: ObjectTrack, t: np.ndarray, start: float, end: float, *, appear: bool) -> None:
    """Ramp ``track``'s opacity up (``appear``) or down between ``start`` and ``end``; fully transparent is hidden."""
    level = ramp(t, start, end)
    track.opacity[:] = level if appear else 1.0 - level
    track.visible[:] = track.opacity > 0.0


def with_brightness(color, value: float, min_saturation: float = 0.6) -> np.ndarray:
    """``color``'s hue at HSV value ``value`` (bright near 1, dark near 0), saturated enough to read the hue."""
    h, s, _ = colorsys.rgb_to_hsv(*np.asarray(color, float))
    return np.asarray(colorsys.hsv_to_rgb(h, max(s, min_saturation), value), np.float32)


def offstage(point, side: str, extent: float, scale: float) -> np.ndarray:
    """``point`` moved straight out past the stage edge on ``side`` (``"left"``, ``"right"`` or ``"back"``), so that
    the whole object of ``scale`` is outside ``|x|, |z| <= extent``.
    """
    point = np.asarray(point, float).copy()
    beyond = extent + scale + 0.5
    if side == "left":
        point[0] = -beyond
    elif side == "right":
        point[0] = beyond
    elif side == "back":
        point[2] = -beyond
    else:
        raise ValueError(f"side must be 'left', 'right' or 'back', got {side!r}")
    return point


def segment_distance(point, start, end) -> float:
    """Distance from ``point`` to the segment ``start``-``end`` on the ground (x-z)."""
    p, a, b = (np.asarray(v, float)[[0, 2]] for v in (point, start, end))
    along = b - a
    u = np.clip(np.dot(p - a, along) / max(np.dot(along, along), 1e-12), 0.0, 1.0)
    return float(np.linalg.norm(p - (a + u * along)))


def unit(vector) -> np.ndarray:
    """``vector`` scaled to length 1."""
    vector = np.asarray(vector, float)
    return vector / np.linalg.norm(vector)
