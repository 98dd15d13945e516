"""Bouncing: objects dropped on the ground, against a wall, down or up stairs (ballistic hops, lossy impacts)."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Prop, Timeline

MAX_DROP = 6.0  # keeps the highest bounce in the camera's view (y <= 2 * extent)


def _drop_and_settle(ctx: MotionContext, drops: list[float]) -> Timeline:
    """Objects released together from ``drops`` heights, all bouncing to rest at time ``stop``.

    The highest drop's restitution is drawn; lower ones bounce more elastically (as a livelier material would), so
    every object keeps hopping until ``stop`` instead of a low drop settling in a few frames. Gravity is scaled by
    the square root of the drop, which halves the spread of fall times (slow motion for the low drops), so a drop
    4x lower still falls for 2 or more frames of a 16-frame clip.
    """
    release, stop = ctx.uniform(0.0, 0.1), ctx.uniform(0.7, 0.85)
    highest = max(drops)
    gravity = kin.gravity_for_stop(highest, ctx.uniform(0.5, 0.62), stop, release)
    gravities = [gravity * np.sqrt(drop / highest) for drop in drops]
    # Fall f = sqrt(2h / g), then hops lasting 2 f e / (1 - e): rest at release + f (1 + e) / (1 - e) = stop.
    ratios = [(stop - release) / np.sqrt(2 * drop / g) for drop, g in zip(drops, gravities, strict=True)]
    restitutions = [(k - 1) / (k + 1) for k in ratios]
    scales = [ctx.size("medium") * (0.8 if len(drops) > 1 else 1.0) for _ in drops]
    movers = []
    spots = ctx.scatter(scales, region=0.65 * ctx.extent)
    for spot, scale, drop, g, restitution in zip(spots, scales, drops, gravities, restitutions, strict=True):
        mover = ctx.track(spot, scale=scale, role="mover")
        mover.position[:, 1] = scale / 2 + kin.bounce_height(
            ctx.times, drop=drop, gravity=g, restitution=restitution, release=release
        )
        movers.append(mover)
    return ctx.timeline(movers, drops=drops, restitutions=restitutions, release=release, stop=stop, gravities=gravities)


@register_motion(coarse="bouncing", number=1)
def single_bouncing_stops(ctx: MotionContext) -> Timeline:
    """Single object bouncing on a plain surface eventually stops."""
    return _drop_and_settle(ctx, [ctx.uniform(2.5, 5.0)])


@register_motion(coarse="bouncing", number=2)
def multiple_bouncing_similar_heights(ctx: MotionContext) -> Timeline:
    """Multiple objects bouncing on plain surface at almost similar heights eventually stop (within +-7 %)."""
    base = ctx.uniform(2.5, 4.5)
    return _drop_and_settle(ctx, [base * ctx.uniform(0.93, 1.07) for _ in range(ctx.integer(2, 4))])


@register_motion(coarse="bouncing", number=3)
def multiple_bouncing_different_heights(ctx: MotionContext) -> Timeline:
    """Multiple objects bouncing on plain surface at very different heights eventually stop (each >= 2x the next)."""
    count = ctx.integer(2, 3)
    ratio = ctx.uniform(2.0, 2.3)
    lowest = ctx.uniform(0.8, MAX_DROP / ratio ** (count - 1))
    drops = [lowest * ratio**k for k in ctx.rng.permutation(count)]
    return _drop_and_settle(ctx, drops)


@register_motion(coarse="bouncing", number=4)
def bouncing_against_wall(ctx: MotionContext) -> Timeline:
    """Single object imitating the motion of bouncing against a wall: thrown in an arc, it hits a wall mid-flight,
    rebounds with lost speed and lands."""
    scale = ctx.size("medium") * 0.8

    def draw() -> dict:
        side = ctx.sign()
        face = side * ctx.uniform(2.4, 3.0)
        contact = face - side * scale / 2
        start = contact - side * ctx.uniform(2.5, 4.0)
        launch = ctx.uniform(0.05, 0.15)
        hit = launch + ctx.uniform(0.3, 0.4)
        land = hit + ctx.uniform(0.25, 0.35)
        rebound = ctx.uniform(0.5, 0.8)  # fraction of the horizontal speed kept by the impact
        back = contact - rebound * (contact - start) / (hit - launch) * (land - hit)
        return dict(
            side=side,
            face=face,
            contact=contact,
            start=start,
            back=back,
            launch=launch,
            hit=hit,
            land=land,
            rebound=rebound,
            apex=ctx.uniform(1.2, 2.2),
            depth=ctx.uniform(-1.5, 1.5),
        )

    p = ctx.resample(draw, lambda p: abs(p["back"]) + scale / 2 <= ctx.extent, "a landing spot on the stage")
    mover = ctx.track((p["start"], 0.0, p["depth"]), scale=scale, role="mover", resting=True)
    mover.rotation[:] = 0.0  # face-on to the wall, so contact is at half the object's width
    mover.position[:, 0] = kin.keyframes(
        ctx.times, (p["launch"], p["hit"], p["land"]), (p["start"], p["contact"], p["back"]), easing=False
    )
    flight = kin.ramp(ctx.times, p["launch"], p["land"])
    mover.position[:, 1] = scale / 2 + 4.0 * p["apex"] * flight * (1.0 - flight)
    thickness, height = 0.3, p["apex"] + scale + ctx.uniform(0.8, 1.5)
    wall = Prop(center=(p["face"] + p["side"] * thickness / 2, height / 2, p["depth"]), size=(thickness, height, 4.0))
    return ctx.timeline([mover], [wall], **p)


def _shortest_fall(ctx: MotionContext, fraction: float) -> float:
    """The shortest fall (fraction of the clip) that still spans 2.5 frames, so each hop shows a rise and a fall."""
    return max(fraction, 2.5 / (ctx.num_frames - 1))


@register_motion(coarse="bouncing", number=5)
def bouncing_going_forward(ctx: MotionContext) -> Timeline:
    """Single object bouncing and going forward at a steady horizontal speed."""
    scale, drop = ctx.size("medium") * 0.8, ctx.uniform(1.5, 3.0)
    fall, restitution = ctx.uniform(_shortest_fall(ctx, 0.15), 0.25), ctx.uniform(0.75, 0.88)
    direction, distance = ctx.direction(), ctx.uniform(4.0, 5.5)
    start = -direction * distance / 2
    mover = ctx.track(start, scale=scale, role="mover")
    mover.position[:] = start + np.outer(ctx.times, direction * distance)
    mover.position[:, 1] = scale / 2 + kin.bounce_height(
        ctx.times, drop=drop, gravity=2 * drop / fall**2, restitution=restitution
    )
    return ctx.timeline([mover], drop=drop, fall=fall, restitution=restitution, direction=direction, distance=distance)


@register_motion(coarse="bouncing", number=6)
def bouncing_perpetually(ctx: MotionContext) -> Timeline:
    """Single object bouncing on a plain surface perpetually (elastic impacts: every hop as high as the drop)."""
    scale, drop, fall = ctx.size("medium"), ctx.uniform(1.5, 3.5), ctx.uniform(_shortest_fall(ctx, 0.12), 0.2)
    mover = ctx.track(ctx.scatter([scale], region=0.5 * ctx.extent)[0], scale=scale, role="mover")
    mover.position[:, 1] = scale / 2 + kin.bounce_height(
        ctx.times, drop=drop, gravity=2 * drop / fall**2, restitution=1.0
    )
    return ctx.timeline([mover], drop=drop, fall=fall)


@register_motion(coarse="bouncing", number=7, down=True)
@register_motion(coarse="bouncing", number=8, down=False)
def stairs(ctx: MotionContext, *, down: bool) -> Timeline:
    """Hops from spot to spot of a flight of box steps: top step to the ground (down) or ground to top step (up)."""
    steps = ctx.integer(3, 4 if ctx.num_frames >= 32 else 3)  # a short clip gets fewer, longer hops
    width = ctx.uniform(1.2, 6.6 / (steps + 1))
    riser = ctx.uniform(0.4, 0.6)
    scale = ctx.uniform(0.5, min(0.8, 0.6 * width))
    direction, depth = ctx.sign(), ctx.uniform(-1.0, 1.0)
    first = -direction * steps * width / 2  # spots centred on the stage, props reach (steps + 1) * width / 2
    tops = (
        [(steps - k) * riser for k in range(steps)] + [0.0] if down else [0.0] + [(k + 1) * riser for k in range(steps)]
    )
    spots = np.array([[first + direction * k * width, top + scale / 2, depth] for k, top in enumerate(tops)])
    props = [
        Prop(center=(x, top / 2, depth), size=(width, top, 2.0))
        for (x, _, _), top in zip(spots, tops, strict=True)
        if top > 0
    ]
    mover = ctx.track(spots[0], scale=scale, role="mover")
    mover.rotation[:] = 0.0  # square to the steps
    begin = ctx.uniform(0.03, 0.1)
    slot = (0.95 - begin) / steps
    # The object rests on every step for at least 1.5 frames, so each landing shows.
    hop = slot - max(slot * ctx.uniform(0.2, 0.4), 1.5 / (ctx.num_frames - 1))
    clearance = riser + 0.3  # apex above the line between spots: clears the step edge for objects <= 0.6 step wide
    for k in range(steps):
        launch = begin + k * slot
        flying = ctx.times >= launch
        mover.position[flying] = kin.arc(
            ctx.times, spots[k], spots[k + 1], height=clearance, launch=launch, land=launch + hop
        )[flying]
    return ctx.timeline(
        [mover], props, steps=steps, width=width, riser=riser, direction=direction, begin=begin, hop=hop
    )
