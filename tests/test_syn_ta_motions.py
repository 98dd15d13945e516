"""The Syn-TA motion programs: registry, context, determinism, and a check per fine class that its description holds.

The per-class checks (``CHECKS``) read only the object states of the timeline (positions, scales, colours, opacity,
shapes, visibility, props) with geometry written here, independent of the programs' own helpers.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mt_datasets import get_taxonomy
from mt_datasets.syn_ta.motions import (
    MIN_NUM_FRAMES,
    SIZES,
    MotionContext,
    check_registry,
    get_motion,
    list_motions,
    motion_for_fine,
    register_motion,
)
from mt_datasets.syn_ta.timeline import STAGE_EXTENT, ObjectTrack, Timeline

E = STAGE_EXTENT
SEEDS = (0, 1, 2)
FRAME_COUNTS = (MIN_NUM_FRAMES, 64)
STILL = 1e-6


def make(key: tuple[str, int], seed: int, num_frames: int, **options) -> Timeline:
    return get_motion(*key)(MotionContext(rng=np.random.default_rng(seed), num_frames=num_frames, **options))


# ---- geometry of object states ---------------------------------------------------------------------------------


def role(tl: Timeline, name: str) -> list[ObjectTrack]:
    return [o for o in tl.objects if o.role == name]


def one(tl: Timeline, name: str = "mover") -> ObjectTrack:
    tracks = role(tl, name)
    assert len(tracks) == 1, f"expected one {name}, got {len(tracks)}"
    return tracks[0]


def steps(track: ObjectTrack) -> np.ndarray:
    return np.linalg.norm(np.diff(track.position, axis=0), axis=1)


def is_still(track: ObjectTrack) -> bool:
    return bool(np.all(steps(track) < STILL))


def motion_start(track: ObjectTrack) -> int:
    return int(np.argmax(steps(track) > STILL))


def progress(track: ObjectTrack) -> np.ndarray:
    """Fraction of its whole path length the object has covered at each frame."""
    covered = np.concatenate([[0.0], np.cumsum(steps(track))])
    return covered / covered[-1]


def same_timing(tracks: list[ObjectTrack]) -> bool:
    """Start, pace and stop together (robust where an eased start stays below any threshold for a frame)."""
    return all(np.allclose(progress(t), progress(tracks[0]), atol=0.02) for t in tracks)


def staggered(tracks: list[ObjectTrack]) -> bool:
    """Each object passes half way on a different frame: one by one."""
    halfway = [int(np.argmax(progress(t) >= 0.5)) for t in tracks]
    return len(set(halfway)) == len(tracks)


def change_start(values: np.ndarray) -> int:
    """First frame whose value differs from the first frame's."""
    values = values.reshape(len(values), -1)
    return int(np.argmax(np.any(np.abs(values - values[0]) > STILL, axis=1)))


def radius(track: ObjectTrack) -> np.ndarray:
    return np.sqrt(3) / 2 * track.scale


def clearance(a: ObjectTrack, b: ObjectTrack) -> float:
    """Smallest gap between the two objects' bounding spheres over the frames where both are visible."""
    both = a.visible & b.visible
    distance = np.linalg.norm(a.position[both] - b.position[both], axis=1)
    return float((distance - radius(a)[both] - radius(b)[both]).min())


def no_contact(tracks: list[ObjectTrack]) -> bool:
    return all(clearance(a, b) > 0 for i, a in enumerate(tracks) for b in tracks[i + 1 :])


def reach(track: ObjectTrack, frame: int) -> float:
    """How far the object's footprint reaches from the stage centre along x or z."""
    return float(np.abs(track.position[frame, [0, 2]]).max() + track.scale[frame] / 2)


def offstage(track: ObjectTrack, frame: int) -> bool:
    return reach(track, frame) - track.scale[frame] > E


def onstage(track: ObjectTrack, frame: int) -> bool:
    return reach(track, frame) <= E + 1e-6


def rises(values: np.ndarray) -> bool:
    return values[0] < 0.05 and values[-1] > 0.95 and bool(np.all(np.diff(values) >= -STILL))


def falls(values: np.ndarray) -> bool:
    return rises(1.0 - values)


def sign_changes(values: np.ndarray, tolerance: float = 1e-6) -> int:
    signs = np.sign(values[np.abs(values) > tolerance])
    return int(np.count_nonzero(np.diff(signs)))


def upward_runs(y: np.ndarray) -> int:
    """Separate stretches where the height increases: bounces after the first fall."""
    up = np.diff(y) > 1e-6
    return int(np.count_nonzero(up[1:] & ~up[:-1]) + up[0])


def at_rest_on_ground(track: ObjectTrack, frames) -> bool:
    return bool(np.allclose(track.position[frames, 1], track.scale[frames] / 2, atol=1e-5))


def angular_momentum(track: ObjectTrack, center, plane: str) -> np.ndarray:
    """Per-frame angular momentum about ``center`` (horizontal: y component; vertical: z component). Negative is
    clockwise seen from above (horizontal) or from the front camera on +z (vertical)."""
    r = track.position - np.asarray(center)
    v = np.gradient(track.position, axis=0)
    if plane == "horizontal":
        return r[:, 2] * v[:, 0] - r[:, 0] * v[:, 2]
    return r[:, 0] * v[:, 1] - r[:, 1] * v[:, 0]


def turning(track: ObjectTrack, center, plane: str) -> list[int]:
    """The sequence of rotation senses (-1 clockwise, +1 counter clockwise) with repeats merged."""
    momentum = angular_momentum(track, center, plane)
    signs = np.sign(momentum[np.abs(momentum) > 1e-4 * np.abs(momentum).max()])
    return [int(s) for k, s in enumerate(signs) if k == 0 or s != signs[k - 1]]


def swept_angle(track: ObjectTrack, center, plane: str) -> float:
    r = track.position - np.asarray(center)
    second = r[:, 2] if plane == "horizontal" else r[:, 1]
    return float(np.abs(np.diff(np.unwrap(np.arctan2(second, r[:, 0])))).sum())


def deviation_from_chord(track: ObjectTrack) -> float:
    p = track.position
    chord = p[-1] - p[0]
    u = np.clip((p - p[0]) @ chord / (chord @ chord), 0, 1)
    return float(np.linalg.norm(p - p[0] - np.outer(u, chord), axis=1).max())


def horizontal_travel(track: ObjectTrack) -> float:
    return float(np.linalg.norm((track.position[-1] - track.position[0])[[0, 2]]))


def front_coverage(front: ObjectTrack, back: ObjectTrack, frame: int) -> float:
    """Fraction of ``back``'s front-view (x-y) square that ``front``'s square covers."""

    def box(t: ObjectTrack):
        (x, y, _), s = t.position[frame], t.scale[frame]
        return x - s / 2, x + s / 2, y - s / 2, y + s / 2

    a, b = box(front), box(back)
    width = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[2], b[2]))
    return width * height / ((b[1] - b[0]) * (b[3] - b[2]))


def in_corner(point) -> bool:
    return abs(point[0]) >= 0.5 * E and abs(point[2]) >= 0.5 * E


def corner_signs(point) -> tuple[float, float]:
    return float(np.sign(point[0])), float(np.sign(point[2]))


def distance_to_path(point, path: np.ndarray) -> float:
    """Distance from ``point`` to the polyline through ``path`` (one point or more)."""
    if len(path) == 1:
        return float(np.linalg.norm(point - path[0]))
    a, b = path[:-1], path[1:]
    ab = b - a
    u = np.clip(np.einsum("ij,ij->i", point - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0, 1)
    return float(np.linalg.norm(a + u[:, None] * ab - point, axis=1).min())


def trails(follower: ObjectTrack, leader: ObjectTrack, frames) -> bool:
    """In ``frames`` the follower is on the path the leader took up to then (or on the way from its own start to the
    leader's start), and behind the leader, not on it."""
    return all(
        distance_to_path(follower.position[i], np.concatenate([follower.position[:1], leader.position[: i + 1]])) < 0.2
        and np.linalg.norm(follower.position[i] - leader.position[i]) > 2 * radius(leader)[i]
        for i in frames
    )


def last(fraction: float, tl: Timeline) -> range:
    return range(int(np.ceil((1 - fraction) * (tl.num_frames - 1))), tl.num_frames)


def first(fraction: float, tl: Timeline) -> range:
    return range(0, int(fraction * (tl.num_frames - 1)) + 1)


def value(color) -> float:
    return colorsys.rgb_to_hsv(*color)[2]


def support_levels(track: ObjectTrack, tl: Timeline) -> list[float]:
    """Heights of the surfaces (ground or the top of the prop underneath) the object stands on, in order of time,
    repeats merged."""
    levels = []
    for position, s in zip(track.position, track.scale, strict=True):
        below = [
            p.center[1] + p.size[1] / 2
            for p in tl.props
            if np.all(np.abs(position[[0, 2]] - np.asarray(p.center)[[0, 2]]) <= np.asarray(p.size)[[0, 2]] / 2)
        ]
        surface = max(below, default=0.0)
        if abs(position[1] - s / 2 - surface) < 1e-5 and (not levels or levels[-1] != surface):
            levels.append(surface)
    return levels


def inside_a_prop(track: ObjectTrack, tl: Timeline) -> bool:
    """Whether the object's box ever sinks into a prop (footprint overlapping, bottom below the prop's top)."""
    for p in tl.props:
        half = np.asarray(p.size) / 2
        for position, s in zip(track.position, track.scale, strict=True):
            apart = np.abs(position - np.asarray(p.center)) >= half + s / 2 - 1e-6
            if not apart.any():
                return True
    return False


# ---- one check per fine class --------------------------------------------------------------------------------

CHECKS: dict[tuple[str, int], Callable[[Timeline], bool]] = {}


def check(coarse: str, number: int):
    def register(predicate):
        CHECKS[(coarse, number)] = predicate
        return predicate

    return register


# Appearing and disappearing 1-3 are the same checks, with opacity rising or falling.
def _fades(tl, changes) -> bool:
    return changes(one(tl).opacity)


def _fade_together(tl, changes) -> bool:
    movers = role(tl, "mover")
    return (
        len(movers) >= 2
        and all(changes(m.opacity) for m in movers)
        and len({change_start(m.opacity) for m in movers}) == 1
    )


def _fade_one_by_one(tl, changes) -> bool:
    movers = role(tl, "mover")
    starts = [change_start(m.opacity) for m in movers]
    return len(movers) >= 3 and all(changes(m.opacity) for m in movers) and len(set(starts)) == len(movers)


for _coarse, _changes in (("appearing", rises), ("disappearing", falls)):
    for _number, _predicate in enumerate((_fades, _fade_together, _fade_one_by_one), start=1):
        check(_coarse, _number)(functools.partial(_predicate, changes=_changes))


@check("appearing", 4)
def _(tl):
    movers, still = role(tl, "mover"), role(tl, "distractor")
    xs = sorted(s.position[0, 0] for s in still)
    between = any(xs[0] < m.position[0, 0] < xs[-1] for m in movers)
    return (
        len(movers) == len(still) == 2
        and all(rises(m.opacity) for m in movers)
        and between
        and all(np.all(s.opacity == 1) for s in still)
    )


@check("arriving", 1)
def _(tl):
    m = one(tl)
    return offstage(m, 0) and onstage(m, -1)


def _all_arrive(tl, timing) -> bool:
    movers = role(tl, "mover")
    return (
        len(movers) >= 2
        and all(offstage(m, 0) and onstage(m, -1) for m in movers)
        and timing(movers)
        and no_contact(movers)
    )


# Arriving 2 and 3: several objects, together or one by one.
for _number, _timing in ((2, same_timing), (3, staggered)):
    check("arriving", _number)(functools.partial(_all_arrive, timing=_timing))


@check("arriving", 4)
def _(tl):
    m, others = one(tl), role(tl, "distractor")
    return (
        len(others) >= 3
        and offstage(m, 0)
        and onstage(m, -1)
        and all(is_still(d) for d in others)
        and no_contact([m, *others])
    )


def _beside(m: ObjectTrack, anchor: ObjectTrack, frame: int) -> bool:
    gap = np.linalg.norm(m.position[frame] - anchor.position[frame]) - radius(m)[frame] - radius(anchor)[frame]
    return 0 < gap < 0.6


@check("arriving", 5)
def _(tl):
    m, anchor = one(tl), one(tl, "anchor")
    return offstage(m, 0) and _beside(m, anchor, -1) and is_still(anchor) and no_contact([m, anchor])


@check("arriving", 6)
def _(tl):
    m, anchor = one(tl), one(tl, "anchor")
    paused = [i for i in range(1, tl.num_frames - 1) if steps(m)[i - 1] < STILL and _beside(m, anchor, i)]
    return offstage(m, 0) and bool(paused) and offstage(m, -1) and no_contact([m, anchor])


@check("bouncing", 1)
def _(tl):
    m = one(tl)
    y = m.position[:, 1]
    return y[0] - m.scale[0] / 2 > 1.0 and upward_runs(y) >= 1 and at_rest_on_ground(m, last(0.15, tl))


def _drop_heights(tl):
    return sorted(m.position[0, 1] - m.scale[0] / 2 for m in role(tl, "mover"))


@check("bouncing", 2)
def _(tl):
    movers, drops = role(tl, "mover"), _drop_heights(tl)
    settled = all(upward_runs(m.position[:, 1]) >= 1 and at_rest_on_ground(m, last(0.15, tl)) for m in movers)
    return len(movers) >= 2 and settled and drops[-1] / drops[0] < 1.2


@check("bouncing", 3)
def _(tl):
    movers, drops = role(tl, "mover"), _drop_heights(tl)
    settled = all(upward_runs(m.position[:, 1]) >= 1 and at_rest_on_ground(m, last(0.15, tl)) for m in movers)
    return len(movers) >= 2 and settled and all(b / a >= 1.8 for a, b in zip(drops, drops[1:], strict=False))


@check("bouncing", 4)
def _(tl):
    m, (wall,) = one(tl), tl.props
    side = np.sign(wall.center[0])
    face = side * (wall.center[0] - side * wall.size[0] / 2)  # distance of the wall face from x = 0, towards the wall
    x = side * m.position[:, 0] + m.scale / 2  # how far the object's wall-side face gets towards the wall
    turn = int(np.argmax(x))
    reversals = sign_changes(np.diff(m.position[:, 0]))
    airborne = m.position[turn, 1] - m.scale[turn] / 2 > 0.1
    return bool(x.max() <= face + 1e-6 and face - x.max() <= steps(m).max()) and reversals == 1 and airborne


@check("bouncing", 5)
def _(tl):
    m = one(tl)
    forward = (m.position[-1] - m.position[0])[[0, 2]]
    progress = np.diff(m.position[:, [0, 2]], axis=0) @ forward
    return np.linalg.norm(forward) >= 3 and bool(np.all(progress > 0)) and upward_runs(m.position[:, 1]) >= 2


@check("bouncing", 6)
def _(tl):
    m = one(tl)
    y, drop = m.position[:, 1], m.position[0, 1] - m.scale[0] / 2
    late = y[list(last(1 / 3, tl))]
    return upward_runs(y) >= 2 and late.max() - late.min() >= 0.4 * drop


@check("bouncing", 7)
def _(tl):
    m = one(tl)
    levels = support_levels(m, tl)
    return (
        len(tl.props) >= 3 and len(levels) >= 4 and levels == sorted(levels, reverse=True) and not inside_a_prop(m, tl)
    )


@check("bouncing", 8)
def _(tl):
    m = one(tl)
    levels = support_levels(m, tl)
    return len(tl.props) >= 3 and len(levels) >= 4 and levels == sorted(levels) and not inside_a_prop(m, tl)


def _color_switches(track: ObjectTrack) -> int:
    changing = np.linalg.norm(np.diff(track.color, axis=0), axis=1) > 1e-4
    return int(np.count_nonzero(changing[1:] & ~changing[:-1]) + changing[0])


@check("changing color", 1)
def _(tl):
    m = one(tl)
    return _color_switches(m) >= 3 and is_still(m)


@check("changing color", 2)
def _(tl):
    a, b = role(tl, "mover")
    return (
        np.linalg.norm(a.color[0] - b.color[0]) > 0.3
        and np.allclose(a.color[-1], b.color[0], atol=1e-5)
        and np.allclose(b.color[-1], a.color[0], atol=1e-5)
    )


@check("changing color", 3)
def _(tl):
    values = np.array([value(c) for c in one(tl).color])
    return values[0] >= 0.8 and values[-1] <= 0.3 and bool(np.all(np.diff(values) <= 1e-6))


@check("changing color", 4)
def _(tl):
    values = np.array([value(c) for c in one(tl).color])
    return values[0] <= 0.3 and values[-1] >= 0.8 and bool(np.all(np.diff(values) >= -1e-6))


@check("changing color", 5)
def _(tl):
    c = one(tl).color
    return np.allclose(c[0], c[-1]) and np.linalg.norm(c - c[0], axis=1).max() > 0.3


def _shape_changes(track: ObjectTrack) -> int:
    return int(np.count_nonzero(track.shape[1:] != track.shape[:-1]))


def _into(target: str):
    def predicate(tl):
        m = one(tl)
        return m.shape[0] != target and m.shape[-1] == target and _shape_changes(m) == 1

    return predicate


for _number, _target in ((1, "pyramid"), (2, "cube"), (3, "sphere"), (4, "cylinder")):
    check("changing shape", _number)(_into(_target))


@check("changing shape", 5)
def _(tl):
    a, b = role(tl, "mover")
    return a.shape[0] != b.shape[0] and a.shape[-1] == b.shape[0] and b.shape[-1] == a.shape[0]


@check("changing shape", 6)
def _(tl):
    m = one(tl)
    return m.shape[0] == m.shape[-1] and _shape_changes(m) == 2


def _clones_of(tl) -> tuple[ObjectTrack, list[ObjectTrack], list[int]]:
    """The source, its clones, and the frame each clone appears; checks that clones emerge from the source."""
    source, clones = one(tl, "source"), role(tl, "clone")
    appear = [int(np.argmax(c.visible)) for c in clones]
    for c, frame in zip(clones, appear, strict=True):
        assert not c.visible[0] and c.visible[-1], "a clone must appear during the clip"
        assert c.shape[frame] == source.shape[frame] and c.scale[frame] == source.scale[frame]
        assert np.linalg.norm(c.position[frame] - source.position[frame]) <= steps(c).max() + 1e-6
    return source, clones, appear


def _identical(source: ObjectTrack, clone: ObjectTrack) -> bool:
    return bool(np.allclose(clone.color[-1], source.color[-1]))


def _directions(source: ObjectTrack, clone: ObjectTrack, frame: int) -> float:
    """Cosine between the source's and the clone's travel after the clone appears."""
    a = source.position[-1] - source.position[frame]
    b = clone.position[-1] - clone.position[frame]
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@check("cloning", 1)
def _(tl):
    source, (clone,), (frame,) = _clones_of(tl)
    apart = np.linalg.norm(source.position[-1] - clone.position[-1]) > radius(source)[-1] + radius(clone)[-1]
    return _identical(source, clone) and _directions(source, clone, frame) > 0.5 and apart


@check("cloning", 2)
def _(tl):
    source, (clone,), (frame,) = _clones_of(tl)
    return _identical(source, clone) and _directions(source, clone, frame) < 0


@check("cloning", 3)
def _(tl):
    source, clones, appear = _clones_of(tl)
    return len(clones) >= 2 and len(set(appear)) == len(clones) and all(_identical(source, c) for c in clones)


@check("cloning", 4)
def _(tl):
    source, clones, appear = _clones_of(tl)
    return len(clones) >= 2 and len(set(appear)) == 1 and all(_identical(source, c) for c in clones)


@check("cloning", 5)
def _(tl):
    source, clones, appear = _clones_of(tl)
    same = [_identical(source, c) for c in clones]
    recoloured = [c for c, s in zip(clones, same, strict=True) if not s]
    return (
        len(clones) == 2
        and len(set(appear)) == 1
        and sum(same) == 1
        and (np.linalg.norm(recoloured[0].color[-1] - source.color[-1]) > 0.3)
    )


def _departs(m: ObjectTrack) -> bool:
    return onstage(m, 0) and offstage(m, -1)


@check("departing", 1)
def _(tl):
    return _departs(one(tl))


@check("departing", 2)
def _(tl):
    movers = role(tl, "mover")
    return len(movers) >= 2 and all(_departs(m) for m in movers) and same_timing(movers) and (no_contact(movers))


@check("departing", 3)
def _(tl):
    movers = role(tl, "mover")
    return len(movers) >= 2 and all(_departs(m) for m in movers) and staggered(movers) and no_contact(movers)


@check("departing", 4)
def _(tl):
    m, others = one(tl), role(tl, "distractor")
    return len(others) >= 3 and _departs(m) and all(is_still(d) for d in others) and no_contact([m, *others])


@check("departing", 5)
def _(tl):
    m, anchor = one(tl), one(tl, "anchor")
    return _beside(m, anchor, 0) and _departs(m) and is_still(anchor) and no_contact([m, anchor])


@check("departing", 6)
def _(tl):
    m, anchor = one(tl), one(tl, "anchor")
    away = any(offstage(m, i) for i in range(tl.num_frames))
    return _beside(m, anchor, 0) and away and np.allclose(m.position[0], m.position[-1]) and no_contact([m, anchor])


@check("disappearing", 4)
def _(tl):
    going, staying = role(tl, "mover"), role(tl, "distractor")
    return (
        len(going) >= 1
        and len(staying) >= 1
        and all(falls(m.opacity) for m in going)
        and all(np.all(s.opacity == 1) and s.visible.all() for s in staying)
    )


def _grows(track: ObjectTrack, start: str, end: str) -> bool:
    """Scale monotone from one named size to another, standing on the ground throughout."""
    s = track.scale
    monotone = np.all(np.diff(s) >= -1e-6) if s[-1] > s[0] else np.all(np.diff(s) <= 1e-6)
    lo, hi = SIZES[start]
    lo2, hi2 = SIZES[end]
    return bool(monotone) and lo <= s[0] <= hi and lo2 <= s[-1] <= hi2 and at_rest_on_ground(track, slice(None))


@check("expanding", 1)
def _(tl):
    return _grows(one(tl), "small", "medium")


@check("expanding", 2)
def _(tl):
    return _grows(one(tl), "small", "large")


@check("expanding", 3)
def _(tl):
    a, b = role(tl, "mover")
    small = all(SIZES["small"][0] <= m.scale[0] <= SIZES["small"][1] for m in (a, b))
    similar = abs(a.scale[-1] - b.scale[-1]) < 1e-5 and all(m.scale[-1] >= 1.8 * m.scale[0] for m in (a, b))
    return a.shape[0] != b.shape[0] and small and similar and no_contact([a, b])


@check("expanding", 4)
def _(tl):
    a, b = role(tl, "mover")
    same = a.shape[0] == b.shape[0] and np.allclose(a.color, b.color) and a.scale[0] == b.scale[0]
    bigger = all(m.scale[-1] > 1.5 * m.scale[0] for m in (a, b))
    ends = sorted((a.scale[-1], b.scale[-1]))
    return same and bigger and ends[1] / ends[0] >= 1.3 and no_contact([a, b])


def _vertical(tl, *, falling: bool, path: str) -> bool:
    m = one(tl)
    y = m.position[:, 1] if falling else m.position[::-1, 1]
    rest = m.scale[0] / 2
    monotone = bool(np.all(np.diff(y) <= 1e-9)) and y[0] - rest >= 4.0 and abs(y[-1] - rest) < 1e-6
    horizontal = m.position[:, [0, 2]]
    if path == "straight":
        shape = bool(np.ptp(horizontal, axis=0).max() < 1e-9)
    elif path == "zigzag":
        axis = np.linalg.svd(horizontal - horizontal.mean(0))[2][0]
        shape = sign_changes(np.diff(horizontal @ axis)) >= 2
    else:
        travel = horizontal[-1] - horizontal[0]
        forward = np.all(np.diff(horizontal, axis=0) @ travel >= -1e-9)
        bent = deviation_from_chord(m)
        shape = horizontal_travel(m) >= 1.5 and bool(forward) and (bent < 1e-4 if path == "angle" else bent >= 0.3)
    return monotone and shape


for _number, _path in enumerate(("straight", "zigzag", "angle", "curved"), start=1):
    check("falling", _number)(lambda tl, p=_path: _vertical(tl, falling=True, path=p))
    check("rising", _number)(lambda tl, p=_path: _vertical(tl, falling=False, path=p))


def _on_line(track: ObjectTrack, line: ObjectTrack) -> bool:
    """Whether every position of ``track`` lies on the straight line through ``line``'s first and last positions."""
    a, b = line.position[0], line.position[-1]
    direction = (b - a) / np.linalg.norm(b - a)
    offsets = track.position - a
    return bool(np.all(np.linalg.norm(offsets - np.outer(offsets @ direction, direction), axis=1) < 1e-5))


@check("following", 1)
def _(tl):
    leader, follower = one(tl, "leader"), one(tl, "follower")
    return (
        same_timing([leader, follower])
        and _on_line(leader, leader)
        and _on_line(follower, leader)
        and trails(follower, leader, last(0.6, tl))
        and no_contact([leader, follower])
    )


@check("following", 2)
def _(tl):
    leader, follower = one(tl, "leader"), one(tl, "follower")
    split = tl.meta["split_time"]
    together = [i for i in last(0.7, tl) if i / (tl.num_frames - 1) <= split]
    left = distance_to_path(follower.position[-1], leader.position) > 1.0
    return _on_line(leader, leader) and trails(follower, leader, together) and left and no_contact([leader, follower])


@check("following", 3)
def _(tl):
    leader, followers = one(tl, "leader"), role(tl, "follower")
    return (
        len(followers) >= 2
        and all(
            _on_line(f, leader) and trails(f, leader, last(0.4, tl)) and same_timing([f, leader]) for f in followers
        )
        and no_contact([leader, *followers])
    )


@check("following", 4)
def _(tl):
    leader, follower = one(tl, "leader"), one(tl, "follower")
    heading = np.diff(leader.position[:, [0, 2]], axis=0)
    moving = np.linalg.norm(heading, axis=1) > STILL
    a, b = heading[moving][:-1], heading[moving][1:]
    turn = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]  # turning left or right at each frame
    together = same_timing([leader, follower])
    return (
        sign_changes(turn) >= 1
        and together
        and trails(follower, leader, last(0.5, tl))
        and no_contact([leader, follower])
    )


@check("following", 5)
def _(tl):
    leader, follower = one(tl, "leader"), one(tl, "follower")
    early = first(0.15, tl)
    apart = all(distance_to_path(follower.position[i], leader.position) > 1.0 for i in early)
    waiting = all(steps(follower)[i] < STILL for i in early if i < tl.num_frames - 1)
    return apart and waiting and trails(follower, leader, last(0.3, tl)) and no_contact([leader, follower])


def _merges(tl) -> tuple[list[ObjectTrack], list[ObjectTrack], int] | None:
    """Sources vanish on the frame the merged objects appear; None when that is not so."""
    sources, merged = role(tl, "source"), role(tl, "merged")
    frames = {int(np.argmin(s.visible)) for s in sources} | {int(np.argmax(m.visible)) for m in merged}
    if len(frames) != 1 or not all(s.visible[0] and not s.visible[-1] for s in sources):
        return None
    if not all(not m.visible[0] and m.visible[-1] for m in merged):
        return None
    return sources, merged, frames.pop()


def _converging(sources: list[ObjectTrack], frame: int) -> bool:
    spread = [
        np.linalg.norm(np.array([s.position[i] for s in sources]) - np.mean([s.position[i] for s in sources], 0))
        for i in (0, frame - 1)
    ]
    return spread[1] < spread[0] - 1.0


@check("merging", 1)
def _(tl):
    sources, (merged,), frame = _merges(tl)
    similar = 0.8 <= merged.scale[-1] / np.mean([s.scale[0] for s in sources]) <= 1.25
    return len(sources) == 2 and _converging(sources, frame) and similar


@check("merging", 2)
def _(tl):
    sources, (merged,), frame = _merges(tl)
    velocities = [s.position[frame - 1] - s.position[0] for s in sources]
    speeds = sorted(np.linalg.norm(v) for v in velocities)
    parallel = velocities[0] @ velocities[1] / (speeds[0] * speeds[1]) > 0.999
    onward = (merged.position[-1] - merged.position[frame]) @ velocities[0] > 0
    similar = 0.8 <= merged.scale[-1] / np.mean([s.scale[0] for s in sources]) <= 1.25
    return len(sources) == 2 and parallel and speeds[1] >= 1.5 * speeds[0] and onward and similar


@check("merging", 3)
def _(tl):
    sources, (merged,), frame = _merges(tl)
    return (
        len(sources) >= 3 and _converging(sources, frame) and merged.scale[-1] >= 1.6 * max(s.scale[0] for s in sources)
    )


@check("merging", 4)
def _(tl):
    sources, merged, _ = _merges(tl)
    big = all(m.scale[-1] >= 1.6 * max(s.scale[0] for s in sources) for m in merged)
    return len(sources) >= 4 and len(merged) >= 2 and big and no_contact(merged)


def _peak_speed(track: ObjectTrack) -> float:
    """Fastest frame-to-frame speed, in whole displacements per clip: about 1.5 / (fraction of the clip the move
    takes) for an eased move, so slow moves score low and quick ones high."""
    distance = np.linalg.norm(track.position[-1] - track.position[0])
    return float(steps(track).max() * (len(track.position) - 1) / distance)


@check("moving in a path", 1)
def _(tl):
    m = one(tl)
    return horizontal_travel(m) >= 2 and _peak_speed(m) <= 3 and is_still_in(m, last(0.1, tl))


@check("moving in a path", 2)
def _(tl):
    m = one(tl)
    return horizontal_travel(m) >= 2 and _peak_speed(m) >= 4 and is_still_in(m, last(0.1, tl))


def is_still_in(track: ObjectTrack, frames: range) -> bool:
    return bool(np.all(np.linalg.norm(track.position[list(frames)] - track.position[frames[-1]], axis=1) < STILL))


@check("moving in a path", 3)
def _(tl):
    m = one(tl)
    excursion = np.linalg.norm(m.position - m.position[0], axis=1).max()
    return np.allclose(m.position[0], m.position[-1]) and excursion >= 2


@check("moving in a path", 4)
def _(tl):
    a, b = role(tl, "mover")
    swapped = np.allclose(a.position[-1, [0, 2]], b.position[0, [0, 2]]) and np.allclose(
        b.position[-1, [0, 2]], a.position[0, [0, 2]]
    )
    return swapped and no_contact([a, b])


def _across(tl, direction: float) -> bool:
    m = one(tl)
    dx = np.diff(m.position[:, 0]) * direction
    return (
        bool(np.all(dx >= -1e-9))
        and direction * (m.position[-1, 0] - m.position[0, 0]) >= 3
        and np.ptp(m.position[:, 2]) < 1e-9
    )


check("moving in a path", 5)(lambda tl: _across(tl, 1.0))
check("moving in a path", 6)(lambda tl: _across(tl, -1.0))


def _closing(a: ObjectTrack, b: ObjectTrack, by: float) -> bool:
    distance = np.linalg.norm(a.position - b.position, axis=1)
    return distance[-1] <= distance[0] - by


@check("not colliding", 1)
def _(tl):
    a, b = role(tl, "mover")
    return _closing(a, b, 1.5) and no_contact([a, b])


@check("not colliding", 2)
def _(tl):
    m, anchor = one(tl), one(tl, "anchor")
    return is_still(anchor) and _closing(m, anchor, 1.0) and no_contact([m, anchor])


@check("not colliding", 3)
def _(tl):
    movers = role(tl, "mover")
    return (
        len(movers) >= 3
        and all(_closing(a, b, 0.5) for i, a in enumerate(movers) for b in movers[i + 1 :])
        and (no_contact(movers))
    )


@check("not colliding", 4)
def _(tl):
    a, b = role(tl, "mover")
    senses = [turning(m, (0, m.position[0, 1], 0), "horizontal") for m in (a, b)]
    half_way = all(swept_angle(m, (0, 0, 0), "horizontal") >= np.pi for m in (a, b))
    return len(senses[0]) == len(senses[1]) == 1 and senses[0] != senses[1] and half_way and no_contact([a, b])


@check("not colliding", 5)
def _(tl):
    m, still = one(tl), role(tl, "anchor")
    nearest = [min(np.linalg.norm(m.position[i] - s.position[i]) for s in still) for i in (0, -1)]
    return (
        len(still) >= 2
        and all(is_still(s) for s in still)
        and nearest[1] <= nearest[0] - 1.0
        and no_contact([m, *still])
    )


def _in_front(front: ObjectTrack, back: ObjectTrack, frame: int) -> bool:
    return bool(front.position[frame, 2] > back.position[frame, 2])


@check("occlusion", 1)
def _(tl):
    front, back = one(tl, "occluder"), one(tl, "occluded")
    covered = front_coverage(front, back, -1)
    return (
        front.scale[0] < back.scale[0]
        and _in_front(front, back, -1)
        and 0 < covered < 0.3
        and (front_coverage(front, back, 0) == 0)
        and no_contact([front, back])
    )


@check("occlusion", 2)
def _(tl):
    front, back = one(tl, "occluder"), one(tl, "occluded")
    return (
        front.scale[0] > back.scale[0]
        and _in_front(front, back, -1)
        and front_coverage(front, back, -1) >= 0.7
        and (front_coverage(front, back, 0) == 0)
        and no_contact([front, back])
    )


def _goes_behind(front: ObjectTrack, back: ObjectTrack) -> bool:
    before = _in_front(front, back, 0) and front_coverage(front, back, 0) > 0
    after = _in_front(back, front, -1) and front_coverage(back, front, -1) > 0
    return before and after


@check("occlusion", 3)
def _(tl):
    front, back = one(tl, "occluder"), one(tl, "occluded")
    return is_still(back) and _goes_behind(front, back) and no_contact([front, back])


@check("occlusion", 4)
def _(tl):
    fronts, backs = role(tl, "occluder"), role(tl, "occluded")
    pairs = [(f, min(backs, key=lambda b, f=f: np.linalg.norm(b.position[0] - f.position[0]))) for f in fronts]
    return len(fronts) == len(backs) == 2 and all(_goes_behind(f, b) for f, b in pairs) and no_contact(tl.objects)


def _orbits(tl, plane: str, senses: list[int]) -> bool:
    m, anchor = one(tl), one(tl, "anchor")
    center = anchor.position[0]
    distance = np.linalg.norm(m.position - center, axis=1)
    in_plane = np.ptp(m.position[:, 1 if plane == "horizontal" else 2]) < 1e-9
    return (
        is_still(anchor)
        and in_plane
        and np.ptp(distance) < 1e-6
        and turning(m, center, plane) == senses
        and swept_angle(m, center, plane) >= 1.5 * np.pi
        and no_contact([m, anchor])
    )


check("orbiting", 1)(lambda tl: _orbits(tl, "horizontal", [-1]))
check("orbiting", 2)(lambda tl: _orbits(tl, "horizontal", [1]))
check("orbiting", 3)(lambda tl: _orbits(tl, "horizontal", [-1, 1]))
check("orbiting", 5)(lambda tl: _orbits(tl, "vertical", [-1]))
check("orbiting", 6)(lambda tl: _orbits(tl, "vertical", [1]))


@check("orbiting", 4)
def _(tl):
    a, b = one(tl, "mover"), one(tl, "anchor")
    a_moves, b_moves = steps(a) > STILL, steps(b) > STILL
    if not a_moves.any() or not b_moves.any() or np.any(a_moves & b_moves):
        return False
    first_phase = np.flatnonzero(a_moves)
    second_phase = np.flatnonzero(b_moves)
    a_around_b = angular_momentum(a, b.position[0], "horizontal")[first_phase]
    b_around_a = angular_momentum(b, a.position[-1], "horizontal")[second_phase]
    return (
        first_phase.max() < second_phase.min()
        and np.all(a_around_b < 0)
        and np.all(b_around_a < 0)
        and (no_contact([a, b]))
    )


def _ballistic(p: ObjectTrack) -> bool:
    """A flight with constant horizontal velocity and constant downward acceleration (a parabola), and a clear apex."""
    flying = np.flatnonzero(steps(p) > STILL)
    path = p.position[
        flying[0] + 1 : flying[-1] + 1
    ]  # frames inside the flight: launch and landing fall between frames
    horizontal = np.diff(path[:, [0, 2]], axis=0)
    vertical = np.diff(path[:, 1], n=2)
    steady = np.allclose(horizontal, horizontal[0], atol=1e-6)
    return (
        steady
        and np.allclose(vertical, vertical[0], atol=1e-6)
        and vertical[0] < 0
        and path[:, 1].max() - p.position[0, 1] >= 1.0
    )


def _shot(tl, start_signs, end_signs) -> bool:
    p = one(tl, "projectile")
    start, end = p.position[0], p.position[-1]
    signs_ok = all(
        want is None or got == want
        for got, want in zip(corner_signs(start) + corner_signs(end), start_signs + end_signs, strict=True)
    )
    return in_corner(start) and in_corner(end) and signs_ok and _ballistic(p)


@check("shooting projectile", 1)
def _(tl):
    p = one(tl, "projectile")
    opposite = corner_signs(p.position[-1]) == tuple(-s for s in corner_signs(p.position[0]))
    return _shot(tl, (None, None), (None, None)) and opposite


check("shooting projectile", 2)(lambda tl: _shot(tl, (1.0, None), (-1.0, None)))
check("shooting projectile", 3)(lambda tl: _shot(tl, (-1.0, None), (1.0, None)))


@check("shooting projectile", 4)
def _(tl):
    a, b = role(tl, "projectile")
    same_start = np.allclose(a.position[0], b.position[0])
    target = tuple(-s for s in corner_signs(a.position[0]))
    landed = all(in_corner(p.position[-1]) and corner_signs(p.position[-1]) == target for p in (a, b))
    return same_start and landed and staggered([a, b]) and all(_ballistic(p) for p in (a, b)) and no_contact([a, b])


@check("shooting projectile", 5)
def _(tl):
    a, b = role(tl, "projectile")
    opposite = corner_signs(a.position[0]) == tuple(-s for s in corner_signs(b.position[0]))
    swapped = np.allclose(a.position[-1, [0, 2]], b.position[0, [0, 2]]) and np.allclose(
        b.position[-1, [0, 2]], a.position[0, [0, 2]]
    )
    return (
        in_corner(a.position[0]) and opposite and swapped and all(_ballistic(p) for p in (a, b)) and no_contact([a, b])
    )


def _shrinks(track: ObjectTrack, start: str, end: str) -> bool:
    return _grows(track, start, end) and track.scale[-1] < track.scale[0]


check("shrinking", 1)(lambda tl: _shrinks(one(tl), "large", "medium"))
check("shrinking", 2)(lambda tl: _shrinks(one(tl), "large", "very small"))


@check("shrinking", 3)
def _(tl):
    a, b = role(tl, "mover")
    large = all(SIZES["large"][0] <= m.scale[0] <= SIZES["large"][1] for m in (a, b))
    same_end = abs(a.scale[-1] - b.scale[-1]) < 1e-5 and a.scale[-1] < 0.5 * min(a.scale[0], b.scale[0])
    return a.shape[0] != b.shape[0] and large and same_end and no_contact([a, b])


@check("shrinking", 4)
def _(tl):
    a, b = role(tl, "mover")
    large = all(SIZES["large"][0] <= m.scale[0] <= SIZES["large"][1] for m in (a, b))
    ends = sorted((a.scale[-1], b.scale[-1]))
    smaller = all(m.scale[-1] < m.scale[0] for m in (a, b))
    return a.shape[0] != b.shape[0] and large and smaller and ends[1] / ends[0] >= 1.5 and no_contact([a, b])


def _teleports(track: ObjectTrack) -> int | None:
    """The frame before a teleport's single jump (all other frames still), or None."""
    s = steps(track)
    jumps = np.flatnonzero(s > 1.0)
    if len(jumps) != 1 or np.any(np.delete(s, jumps) > STILL):
        return None
    return int(jumps[0])


@check("teleporting", 1)
def _(tl):
    m = one(tl)
    start, end = m.position[0], m.position[-1]
    return (
        _teleports(m) is not None and in_corner(start) and in_corner(end) and corner_signs(start) != corner_signs(end)
    )


@check("teleporting", 2)
def _(tl):
    m, anchor = one(tl), one(tl, "anchor")
    start, end = m.position[0], m.position[-1]
    centred = np.abs(anchor.position[0, [0, 2]]).max() < 0.5 and is_still(anchor)
    moved = corner_signs(start) != corner_signs(end) and in_corner(start) and in_corner(end)
    return _teleports(m) is not None and centred and moved


@check("teleporting", 3)
def _(tl):
    a, b = role(tl, "mover")
    opposite = corner_signs(a.position[0]) == tuple(-s for s in corner_signs(b.position[0]))
    swapped = corner_signs(a.position[-1]) == corner_signs(b.position[0]) and corner_signs(b.position[-1]) == (
        corner_signs(a.position[0])
    )
    jumps = {_teleports(a), _teleports(b)}
    return in_corner(a.position[0]) and opposite and swapped and len(jumps) == 1 and None not in jumps


@check("teleporting", 4)
def _(tl):
    movers = role(tl, "mover")
    before = [corner_signs(m.position[0]) for m in movers]
    after = [corner_signs(m.position[-1]) for m in movers]
    jumps = {_teleports(m) for m in movers}
    return (
        len(movers) == 4
        and len(set(before)) == 4
        and set(after) == set(before)
        and all(a != b for a, b in zip(before, after, strict=True))
        and len(jumps) == 1
        and None not in jumps
        and all(in_corner(m.position[0]) and in_corner(m.position[-1]) for m in movers)
    )


@check("teleporting", 5)
def _(tl):
    m, stayer = one(tl), one(tl, "anchor")
    together = (
        corner_signs(m.position[0]) == corner_signs(stayer.position[0])
        and np.linalg.norm(m.position[0] - stayer.position[0]) < 2.5
    )
    moved = in_corner(m.position[-1]) and corner_signs(m.position[-1]) != corner_signs(m.position[0])
    return _teleports(m) is not None and is_still(stayer) and together and moved and no_contact([m, stayer])


# ---- tests ------------------------------------------------------------------------------------------------------

KEYS = sorted(spec.key for spec in list_motions())
# Entering or leaving: these movers' first or last states are off the stage by design.
CROSSES_EDGE = {"arriving", "departing"}


def test_registry_covers_every_fine_class_and_every_class_has_a_check():
    taxonomy = get_taxonomy("syn-ta")
    check_registry()
    assert len(KEYS) == len(taxonomy.fine_names) == 100
    assert sorted(CHECKS) == KEYS
    for fine, name in enumerate(taxonomy.fine_names):
        spec = motion_for_fine(fine)
        assert (spec.fine_index, spec.fine_name, spec.fine_set) == (fine, name, taxonomy.fine_set[fine])
        assert motion_for_fine(name) is spec


@pytest.mark.parametrize("key", KEYS, ids=[f"{c.replace(' ', '_')}{n}" for c, n in KEYS])
def test_every_class_matches_its_description(key):
    coarse, _ = key
    for num_frames in FRAME_COUNTS:
        for seed in SEEDS:
            tl = make(key, seed, num_frames)
            tl.validate()
            assert tl.num_frames == num_frames and tl.meta["coarse"] == coarse
            assert CHECKS[key](tl), f"{key} seed={seed} frames={num_frames} breaks its description; meta={tl.meta}"
            for track in tl.objects:
                shown = track.visible
                assert np.all(track.position[shown, 1] - track.scale[shown] / 2 >= -1e-6), f"{key}: below the ground"
                assert np.all(track.position[shown, 1] + track.scale[shown] / 2 <= 2 * E), f"{key}: above the view"
                if coarse in CROSSES_EDGE and track.role == "mover":
                    continue
                on = all(onstage(track, i) for i in range(num_frames) if shown[i])
                assert on, f"{key} seed={seed}: {track.role} off stage"
            json.dumps(tl.meta)  # meta goes into dataset rows: plain JSON


def test_same_seed_same_timeline_and_different_seeds_different_parameters():
    for key in KEYS:
        a, b, c = make(key, 7, 24), make(key, 7, 24), make(key, 8, 24)
        assert a.meta == b.meta and a.meta != c.meta, key
        for x, y in zip(a.objects, b.objects, strict=True):
            for field in ("position", "rotation", "scale", "color", "opacity", "visible", "shape"):
                assert np.array_equal(getattr(x, field), getattr(y, field)), (key, field)
        assert [(p.center, p.size) for p in a.props] == [(p.center, p.size) for p in b.props]


def test_time_is_a_fraction_of_the_clip():
    # The same seed at another fps gives the same motion; at another length, the same path sampled more finely.
    key = ("orbiting", 1)
    a, b = make(key, 3, 16, fps=24), make(key, 3, 16, fps=60)
    assert np.array_equal(a.objects[1].position, b.objects[1].position) and b.fps == 60
    short, long = make(("moving in a path", 5), 3, 16), make(("moving in a path", 5), 3, 61)
    assert np.allclose(short.objects[0].position, long.objects[0].position[::4])


def test_programs_use_the_shapes_they_are_given():
    allowed = ("torus", "capsule")
    named = {("changing shape", n) for n in (1, 2, 3, 4)}  # the description names the target shape
    for key in KEYS:
        tl = make(key, 0, 16, shapes=allowed)
        used = {s for track in tl.objects for s in track.shape}
        if key in named:
            assert one(tl).shape[0] in allowed
        else:
            assert used <= set(allowed), (key, used)


def test_lookup_errors_name_the_bad_value_and_suggest():
    with pytest.raises(KeyError, match="Did you mean 'orbiting'"):
        get_motion("orbitting", 1)
    with pytest.raises(KeyError, match=r"numbers \[1, 2, 3, 4, 5, 6\]"):
        get_motion("orbiting", 9)
    with pytest.raises(KeyError, match="Did you mean"):
        motion_for_fine("Single object arriving slowly")
    with pytest.raises(KeyError, match="0..99"):
        motion_for_fine(100)
    assert get_motion("changing_color", 1) is get_motion("changing color", 1)  # release folder spelling


def test_register_motion_rejects_unknown_numbers_and_duplicates():
    with pytest.raises(ValueError, match="no fine class number 7"):
        register_motion(coarse="rising", number=7)
    with pytest.raises(ValueError, match="registered twice"):
        register_motion(coarse="rising", number=1)(lambda ctx: None)
    with pytest.raises(KeyError, match="Did you mean 'rising'"):
        register_motion(coarse="risng", number=1)


def test_list_motions_filters():
    assert [s.file_stem for s in list_motions("orbiting*")] == [f"orbiting{n}" for n in (1, 3, 5, 2, 4, 6)]
    assert len(list_motions(fine_set=1)) == 53 and len(list_motions(fine_set=2)) == 47
    assert {s.key for s in list_motions("*counter clockwise*")} == {("orbiting", n) for n in (2, 3, 6)}


def test_motion_context_rejects_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=f"at least {MIN_NUM_FRAMES}.*got 8"):
        MotionContext(rng=rng, num_frames=8)
    with pytest.raises(ValueError, match="subset of"):
        MotionContext(rng=rng, num_frames=16, shapes=("cube", "star"))
    with pytest.raises(ValueError, match=r"\(K, 3\)"):
        MotionContext(rng=rng, num_frames=16, palette=np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MotionContext(rng=rng, num_frames=16, palette=np.full((2, 3), 255.0))
    with pytest.raises(TypeError, match="default_rng"):
        MotionContext(rng=0, num_frames=16)
    with pytest.raises(TypeError, match="MotionContext"):
        get_motion("rising", 1)(rng)


def test_context_colours_are_distinct_even_from_a_one_colour_palette():
    ctx = MotionContext(rng=np.random.default_rng(0), num_frames=16, palette=np.array([[0.8, 0.1, 0.1]]))
    colors = ctx.colors(6)
    distances = np.linalg.norm(colors[:, None] - colors[None], axis=-1)
    assert distances[~np.eye(6, dtype=bool)].min() >= 0.3
    tl = get_motion("changing color", 1)(ctx)
    assert _color_switches(one(tl)) >= 3


# ---- what every program draws, pinned ---------------------------------------------------------------------------

# What every program draws (seeds 0-3 at 16, 33 and 64 frames), written by `fingerprints()` from the programs at
# commit d49c2a1, before their helpers were shared between mirrored classes (checked equal to that commit's digests).
# Refactoring a program must not change a drawn value; a deliberate change of a motion regenerates the file (from the
# repository root):
#   python -c "import json, tests.test_syn_ta_motions as t; json.dump(t.fingerprints(), open(t.FINGERPRINTS, 'w'))"
FINGERPRINTS = Path(__file__).parent / "data" / "motion_fingerprints.json"
STATES = ("position", "rotation", "scale", "color", "opacity")
# Not exact: numpy's SIMD math (sin, cos, exp...) dispatches to other kernels on other CPUs (AVX-512 here, AVX2 on an
# AMD EPYC), which may differ in the last bit; hashing values rounded to 4 decimals flipped on AMD for positions within
# 1e-7 of a rounding boundary. Held to AVX2 here (tests/cpu_families.py), not_colliding5 draws float32 positions that
# differ by up to 4.8e-7 (one float32 ulp); everything else is equal. So each drawn value may move by
# VALUE_ATOL + VALUE_RTOL * |value| (about two float32 ulps); a stored weighted sum, by that bound summed over its
# values.
# A refactor that draws anything else moves values by far more (another random draw moves them by ~0.1).
VALUE_ATOL, VALUE_RTOL = 1e-6, 2.4e-7


def _weights(n: int) -> np.ndarray:
    """Two fixed weightings of n values (a plain sum, and one in +-[0.1, 0.5] from integer arithmetic alone)."""
    index = np.arange(n, dtype=np.int64)
    mixed = ((index * 2654435761) % 1000) / 1000.0 - 0.5
    return np.stack([np.ones(n), np.where(np.abs(mixed) < 0.1, 0.3, mixed)])


def _numbers(value: object, found: list[float]) -> object:
    """``value`` with its numbers moved to ``found`` (booleans and strings stay)."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        found.append(float(value))
        return "#"
    if isinstance(value, dict):
        return {str(k): _numbers(v, found) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_numbers(v, found) for v in value]
    return repr(value)


def fingerprint(timelines: list[Timeline]) -> dict[str, object]:
    """What a program draws: a digest of everything discrete (roles, visibility, shapes, the structure of props and
    meta) and, per kind of value, two weighted sums of every drawn float, with how far they may move (see above)."""
    digest = hashlib.sha256()
    values: dict[str, list[np.ndarray]] = {name: [] for name in (*STATES, "props_meta")}
    for tl in timelines:
        for track in tl.objects:
            digest.update(track.role.encode())
            for name in STATES:
                values[name].append(np.asarray(getattr(track, name), dtype=np.float64).ravel())
            digest.update(track.visible.tobytes() + "|".join(track.shape.tolist()).encode())
        found: list[float] = []
        structure = _numbers([[(p.center, p.size, p.color) for p in tl.props], tl.meta], found)
        digest.update(json.dumps(structure).encode())
        values["props_meta"].append(np.asarray(found, dtype=np.float64))
    sums = {}
    for name, parts in values.items():
        flat = np.concatenate(parts) if parts else np.zeros(0)
        weights = _weights(flat.size)
        sums[name] = {
            "sums": [float(x) for x in weights @ flat],
            "tolerance": [float(x) for x in np.abs(weights) @ (VALUE_ATOL + VALUE_RTOL * np.abs(flat))],
        }
    return {"discrete": digest.hexdigest()[:16], **sums}


def fingerprints() -> dict[str, dict[str, object]]:
    """``{file stem: fingerprint}`` of every registered program."""
    return {
        spec.file_stem: fingerprint([make(spec.key, seed, n) for seed in range(4) for n in (MIN_NUM_FRAMES, 33, 64)])
        for spec in list_motions()
    }


@pytest.mark.cpu_sensitive
def test_programs_draw_exactly_what_they_drew_before():
    expected = json.loads(FINGERPRINTS.read_text())
    actual = fingerprints()
    assert sorted(actual) == sorted(expected)
    assert [stem for stem in expected if actual[stem]["discrete"] != expected[stem]["discrete"]] == []
    moved = [
        (stem, name)
        for stem in expected
        for name in (*STATES, "props_meta")
        if np.any(
            np.abs(np.subtract(actual[stem][name]["sums"], expected[stem][name]["sums"]))
            > actual[stem][name]["tolerance"]
        )
    ]
    assert moved == []
