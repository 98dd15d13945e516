"""Arriving: objects enter the stage from outside and come to rest on it."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import ObjectTrack, Timeline

# Sides an object may cross the stage edge on; never the front, which is behind the front camera.
SIDES = ("left", "right", "back")


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


@register_motion(coarse="arriving", number=1)
def single_arriving(ctx: MotionContext) -> Timeline:
    """Single object arriving."""
    scale, side = ctx.size("medium"), ctx.choice(SIDES)
    spot = lane_targets(ctx, [scale], side)[0]
    mover = ctx.track(spot, scale=scale, role="mover")
    start = ctx.uniform(0.0, 0.15)
    end = start + ctx.uniform(0.5, 0.75)
    cross_edge(ctx, mover, spot, side, (start, end), "OI")
    return ctx.timeline([mover], side=side, start=start, end=end)


@register_motion(coarse="arriving", number=2)
def multiple_arriving_simultaneously(ctx: MotionContext) -> Timeline:
    """Multiple objects arriving simultaneously."""
    count, side = ctx.integer(2, 3), ctx.choice(SIDES)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    start = ctx.uniform(0.0, 0.15)
    end = start + ctx.uniform(0.5, 0.75)
    movers = []
    for spot, scale in zip(lane_targets(ctx, scales, side), scales, strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        cross_edge(ctx, mover, spot, side, (start, end), "OI")
        movers.append(mover)
    return ctx.timeline(movers, count=count, side=side, start=start, end=end)


@register_motion(coarse="arriving", number=3)
def multiple_arriving_one_by_one(ctx: MotionContext) -> Timeline:
    """Multiple objects arriving one by one."""
    count, side = ctx.integer(2, 3), ctx.choice(SIDES)
    scales = [ctx.size("medium") * 0.8 for _ in range(count)]
    step = ctx.uniform(0.2, 0.9 / count)
    duration = step * ctx.uniform(0.8, 1.0)
    starts = [k * step + ctx.uniform(0.0, 0.05) for k in range(count)]
    movers = []
    for spot, scale, start in zip(lane_targets(ctx, scales, side), scales, starts, strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        cross_edge(ctx, mover, spot, side, (start, start + duration), "OI")
        movers.append(mover)
    return ctx.timeline(movers, count=count, side=side, starts=starts, duration=duration)


@register_motion(coarse="arriving", number=4)
def single_arriving_among_many(ctx: MotionContext) -> Timeline:
    """Single object arriving among many objects."""
    scale, side = ctx.size("medium") * 0.8, ctx.choice(SIDES)
    distractors, spot = clear_lane_among(ctx, scale, side)
    mover = ctx.track(spot, scale=scale, role="mover")
    start = ctx.uniform(0.0, 0.15)
    end = start + ctx.uniform(0.5, 0.75)
    cross_edge(ctx, mover, spot, side, (start, end), "OI")
    return ctx.timeline([*distractors, mover], side=side, distractors=len(distractors), start=start, end=end)


@register_motion(coarse="arriving", number=5)
def single_arriving_beside_another(ctx: MotionContext) -> Timeline:
    """Single object arriving beside another single object."""
    side = ctx.choice(SIDES)
    anchor_scale, scale = ctx.size("medium"), ctx.size("medium")
    anchor = ctx.track(ctx.scatter([anchor_scale], region=0.2 * ctx.extent)[0], scale=anchor_scale, role="anchor")
    spot, gap = beside(ctx, anchor, scale, side)
    mover = ctx.track(spot, scale=scale, role="mover")
    start = ctx.uniform(0.0, 0.15)
    end = start + ctx.uniform(0.5, 0.75)
    cross_edge(ctx, mover, spot, side, (start, end), "OI")
    return ctx.timeline([anchor, mover], side=side, gap=gap, start=start, end=end)


@register_motion(coarse="arriving", number=6)
def arriving_beside_pausing_going_away(ctx: MotionContext) -> Timeline:
    """Single object arriving beside another single object, pausing then going away (back out the way it came)."""
    side = ctx.choice(SIDES)
    anchor_scale, scale = ctx.size("medium"), ctx.size("medium")
    anchor = ctx.track(ctx.scatter([anchor_scale], region=0.2 * ctx.extent)[0], scale=anchor_scale, role="anchor")
    spot, gap = beside(ctx, anchor, scale, side)
    mover = ctx.track(spot, scale=scale, role="mover")
    arrive = ctx.uniform(0.28, 0.36)
    leave = arrive + ctx.uniform(0.15, 0.25)
    times = (ctx.uniform(0.0, 0.04), arrive, leave, leave + ctx.uniform(0.28, 0.34))
    cross_edge(ctx, mover, spot, side, times, "OIIO")
    return ctx.timeline([anchor, mover], side=side, gap=gap, times=times)
