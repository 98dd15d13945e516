"""Arriving: objects enter the stage from outside and come to rest on it.

Departing is the same crossing of the stage edge the other way, so the six programs here serve both coarse classes:
each takes a ``Crossing`` (which way, and the timing ranges of that class) and ``departing.py`` registers them with its
own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline

# Sides an object may cross the stage edge on; never the front, which is behind the front camera.
SIDES = ("left", "right", "back")


@dataclass(frozen=True)
class Crossing:
    """One way of crossing the stage edge and the timing ranges (fractions of the clip) a coarse class draws from.

    Attributes:
        stops: the keyframes of one crossing (see ``cross_edge``): ``"OI"`` arrives, ``"IO"`` departs; the sixth
            program goes there and back (``"OIIO"``, ``"IOOI"``).
        once: the ranges of when a crossing starts and of how long it takes.
        one_by_one: the first of staggered crossings starts ``one_by_one[0]`` plus a little, and they share
            ``one_by_one[1]`` of the clip.
        round_trip: the ranges of the there-and-back program: its first switch, the time before it switches back, its
            first keyframe and the length of the way back.
    """

    stops: str
    once: tuple[tuple[float, float], tuple[float, float]]
    one_by_one: tuple[float, float]
    round_trip: tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


ARRIVING = Crossing(
    stops="OI",
    once=((0.0, 0.15), (0.5, 0.75)),
    one_by_one=(0.0, 0.9),
    round_trip=((0.28, 0.36), (0.15, 0.25), (0.0, 0.04), (0.28, 0.34)),
)


def lane_targets(ctx: MotionContext, scales: list[float], side: str) -> np.ndarray:
    """Resting spots for objects that cross the edge on ``side`` in parallel lanes far enough apart not to touch."""
    widest = 2 * float(kin.collision_radius(max(scales))) + 0.3
    lanes = ctx.spread(len(scales), -0.7 * ctx.extent, 0.7 * ctx.extent, widest, "lanes")[
        ctx.rng.permutation(len(scales))
    ]
    along = ctx.rng.uniform(-0.6 * ctx.extent, 0.6 * ctx.extent, len(scales))
    if side == "back":
        return np.stack([lanes, np.asarray(scales) / 2, along], axis=1)
    return np.stack([along, np.asarray(scales) / 2, lanes], axis=1)


def beside(ctx: MotionContext, anchor: ObjectTrack, scale: float, side: str) -> tuple[np.ndarray, float]:
    """A spot next to ``anchor`` on the ``side`` facing the edge, with a small gap between the two objects."""
    gap = ctx.uniform(0.15, 0.45)
    distance = float(kin.collision_radius(anchor.scale[0]) + kin.collision_radius(scale)) + gap
    offset = {"left": (-distance, 0, 0), "right": (distance, 0, 0), "back": (0, 0, -distance)}[side]
    spot = anchor.position[0] + np.asarray(offset)
    spot[1] = scale / 2
    return spot, gap


def clear_lane_among(ctx: MotionContext, scale: float, side: str) -> tuple[list[ObjectTrack], np.ndarray]:
    """Still distractors and a free spot whose straight lane to the ``side`` edge passes none of them."""

    def draw() -> dict:
        count = ctx.integer(3, 5)
        scales = [ctx.size("medium") * 0.75 for _ in range(count)]
        positions = ctx.scatter(scales, region=0.75 * ctx.extent, gap=0.4)
        spot = ctx.scatter([scale], region=0.5 * ctx.extent, gap=0.3, avoid=list(zip(positions, scales, strict=True)))[
            0
        ]
        return {"scales": scales, "positions": positions, "spot": spot}

    def lane_is_clear(params: dict) -> bool:
        edge = kin.offstage(params["spot"], side, ctx.extent, scale)
        return all(
            kin.segment_distance(p, params["spot"], edge) > kin.collision_radius(s) + kin.collision_radius(scale) + 0.2
            for p, s in zip(params["positions"], params["scales"], strict=True)
        )

    params = ctx.resample(draw, lane_is_clear, "a clear lane among the distractors")
    distractors = [
        ctx.track(p, scale=s, role="distractor") for p, s in zip(params["positions"], params["scales"], strict=True)
    ]
    return distractors, params["spot"]


def cross_edge(ctx: MotionContext, track: ObjectTrack, spot, side: str, times, stops: str) -> None:
    """Move ``track`` through keyframes at ``times``, each at the ``spot`` (``"I"``, in) or past the ``side`` edge
    (``"O"``, out): ``"OI"`` arrives, ``"IO"`` departs, ``"OIIO"`` arrives, pauses and leaves."""
    outside = kin.offstage(spot, side, ctx.extent, float(track.scale[0]))
    track.position[:] = kin.keyframes(ctx.times, times, [spot if k == "I" else outside for k in stops])


def _timing(ctx: MotionContext, way: Crossing) -> tuple[float, float]:
    start = ctx.uniform(*way.once[0])
    return start, start + ctx.uniform(*way.once[1])


def _beside_anchor(ctx: MotionContext, side: str) -> tuple[ObjectTrack, ObjectTrack, np.ndarray, float]:
    """A still anchor near the centre, and a mover whose resting spot is beside it on the ``side`` facing the edge."""
    anchor_scale, scale = ctx.size("medium"), ctx.size("medium")
    anchor = ctx.track(ctx.scatter([anchor_scale], region=0.2 * ctx.extent)[0], scale=anchor_scale, role="anchor")
    spot, gap = beside(ctx, anchor, scale, side)
    return anchor, ctx.track(spot, scale=scale, role="mover"), spot, gap


@register_motion(coarse="arriving", number=1, way=ARRIVING)
def single(ctx: MotionContext, way: Crossing) -> Timeline:
    """Single object arriving (departing)."""
    scale, side = ctx.size("medium"), ctx.choice(SIDES)
    spot = lane_targets(ctx, [scale], side)[0]
    mover = ctx.track(spot, scale=scale, role="mover")
    start, end = _timing(ctx, way)
    cross_edge(ctx, mover, spot, side, (start, end), way.stops)
    return ctx.timeline([mover], side=side, start=start, end=end)


@register_motion(coarse="arriving", number=2, way=ARRIVING)
def simultaneously(ctx: MotionContext, way: Crossing) -> Timeline:
    """Multiple objects arriving (departing) simultaneously."""
    count, side = ctx.integer(2, 3), ctx.choice(SIDES)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    start, end = _timing(ctx, way)
    movers = []
    for spot, scale in zip(lane_targets(ctx, scales, side), scales, strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        cross_edge(ctx, mover, spot, side, (start, end), way.stops)
        movers.append(mover)
    return ctx.timeline(movers, count=count, side=side, start=start, end=end)


@register_motion(coarse="arriving", number=3, way=ARRIVING)
def one_by_one(ctx: MotionContext, way: Crossing) -> Timeline:
    """Multiple objects arriving (departing) one by one."""
    count, side = ctx.integer(2, 3), ctx.choice(SIDES)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    lead, span = way.one_by_one
    step = ctx.uniform(0.2, span / count)
    duration = step * ctx.uniform(0.8, 1.0)
    starts = [lead + k * step + ctx.uniform(0.0, 0.05) for k in range(count)]
    movers = []
    for spot, scale, start in zip(lane_targets(ctx, scales, side), scales, starts, strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        cross_edge(ctx, mover, spot, side, (start, start + duration), way.stops)
        movers.append(mover)
    return ctx.timeline(movers, count=count, side=side, starts=starts, duration=duration)


@register_motion(coarse="arriving", number=4, way=ARRIVING)
def among_many(ctx: MotionContext, way: Crossing) -> Timeline:
    """Single object arriving (departing) among many objects."""
    scale, side = ctx.size("medium") * 0.8, ctx.choice(SIDES)
    distractors, spot = clear_lane_among(ctx, scale, side)
    mover = ctx.track(spot, scale=scale, role="mover")
    start, end = _timing(ctx, way)
    cross_edge(ctx, mover, spot, side, (start, end), way.stops)
    return ctx.timeline([*distractors, mover], side=side, distractors=len(distractors), start=start, end=end)


@register_motion(coarse="arriving", number=5, way=ARRIVING)
def beside_another(ctx: MotionContext, way: Crossing) -> Timeline:
    """Single object arriving (departing) beside another single object."""
    side = ctx.choice(SIDES)
    anchor, mover, spot, gap = _beside_anchor(ctx, side)
    start, end = _timing(ctx, way)
    cross_edge(ctx, mover, spot, side, (start, end), way.stops)
    return ctx.timeline([anchor, mover], side=side, gap=gap, start=start, end=end)


@register_motion(coarse="arriving", number=6, way=ARRIVING)
def there_and_back(ctx: MotionContext, way: Crossing) -> Timeline:
    """Single object arriving beside another single object, pausing then going away (back out the way it came);
    departing: leaving, then coming back shortly to its place."""
    side = ctx.choice(SIDES)
    anchor, mover, spot, gap = _beside_anchor(ctx, side)
    turn_range, pause_range, begin_range, finish_range = way.round_trip
    turn = ctx.uniform(*turn_range)
    back = turn + ctx.uniform(*pause_range)
    times = (ctx.uniform(*begin_range), turn, back, back + ctx.uniform(*finish_range))
    cross_edge(ctx, mover, spot, side, times, way.stops + way.stops[::-1])
    return ctx.timeline([anchor, mover], side=side, gap=gap, times=times)
