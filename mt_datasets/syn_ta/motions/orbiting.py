"""Orbiting: an object circles another at a steady angular speed, on the ground (horizontal plane: clockwise seen
from above) or upright facing the front camera (vertical plane: clockwise seen from the front)."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


def _one_way(clockwise: bool):
    def turns(ctx: MotionContext):
        begin = ctx.uniform(0.0, 0.1)
        sweep = ctx.uniform(0.8, 1.5) * (1 if clockwise else -1)
        return (begin, begin + ctx.uniform(0.8, 0.9)), (0.0, sweep)

    return turns


def _clockwise_then_back(ctx: MotionContext):
    begin = ctx.uniform(0.0, 0.08)
    turn = begin + ctx.uniform(0.4, 0.5)
    forward, backward = ctx.uniform(0.6, 0.9), ctx.uniform(0.6, 0.9)
    return (begin, turn, min(turn + ctx.uniform(0.4, 0.5), 1.0)), (0.0, forward, forward - backward)


@register_motion(coarse="orbiting", number=1, plane="horizontal", turns=_one_way(clockwise=True))
@register_motion(coarse="orbiting", number=2, plane="horizontal", turns=_one_way(clockwise=False))
@register_motion(coarse="orbiting", number=3, plane="horizontal", turns=_clockwise_then_back)
@register_motion(coarse="orbiting", number=5, plane="vertical", turns=_one_way(clockwise=True))
@register_motion(coarse="orbiting", number=6, plane="vertical", turns=_one_way(clockwise=False))
def orbit(ctx: MotionContext, plane: str, turns) -> Timeline:
    """One object orbiting a still one at the centre of the stage; ``turns(ctx)`` gives the keyframe times and
    the angle (in turns, positive = clockwise) reached at each."""
    anchor_scale, scale = ctx.size("medium"), ctx.size("medium") * 0.7
    radius = float(kin.collision_radius(anchor_scale) + kin.collision_radius(scale)) + ctx.uniform(0.3, 0.9)
    if plane == "horizontal":
        center = np.array([0.0, scale / 2, 0.0])
        anchor = ctx.track((0.0, 0.0, 0.0), scale=anchor_scale, role="anchor", resting=True)
    else:
        # The anchor floats high enough that the lowest point of the circle stays above the ground.
        height = radius + scale / 2 + ctx.uniform(0.2, 0.6)
        center = np.array([0.0, height, 0.0])
        anchor = ctx.track(center, scale=anchor_scale, role="anchor")
    times, angles = turns(ctx)
    start = ctx.uniform(0, 2 * np.pi)
    angle = start + 2 * np.pi * kin.keyframes(ctx.times, times, angles, easing=len(times) > 2)
    mover = ctx.track(center, scale=scale, role="mover")
    mover.position[:] = kin.orbit(center, radius, angle, plane)
    return ctx.timeline([anchor, mover], plane=plane, radius=radius, start_angle=start, times=times, turns=angles)


@register_motion(coarse="orbiting", number=4)
def orbit_then_orbited(ctx: MotionContext) -> Timeline:
    """Single object orbiting another object in clockwise direction then second object orbiting first object in
    clockwise direction on horizontal plane."""
    scales = [ctx.size("medium") * 0.6 for _ in range(2)]
    radius = float(sum(kin.collision_radius(s) for s in scales)) + ctx.uniform(0.3, 0.5)
    first = ctx.track((0, 0, 0), scale=scales[0], role="mover")
    second = ctx.track((0, 0, 0), scale=scales[1], role="anchor", resting=True)  # the first phase's centre
    begin = ctx.uniform(0.0, 0.05)
    switch = begin + ctx.uniform(0.4, 0.45)
    # A still moment between the phases, at least one frame long, so one object moves at a time.
    resume = switch + max(ctx.uniform(0.04, 0.08), 1.01 / (ctx.num_frames - 1))
    end = resume + ctx.uniform(0.38, 0.42)
    start = ctx.uniform(0, 2 * np.pi)
    sweeps = (ctx.uniform(0.5, 0.8), ctx.uniform(0.5, 0.8))
    # Phase 1: the first object circles the second (at the stage centre) and stops.
    angle = start + 2 * np.pi * sweeps[0] * kin.ramp(ctx.times, begin, switch)
    first.position[:] = kin.orbit((0.0, scales[0] / 2, 0.0), radius, angle, "horizontal")
    # Phase 2: the second object circles the first where it stopped, starting from where it stands.
    pivot = first.position[-1].copy()
    pivot[1] = scales[1] / 2
    back = angle[-1] + np.pi
    angle = back + 2 * np.pi * sweeps[1] * kin.ramp(ctx.times, resume, end)
    second.position[:] = kin.orbit(pivot, radius, angle, "horizontal")
    return ctx.timeline(
        [first, second], radius=radius, start_angle=start, sweeps=sweeps, times=(begin, switch, resume, end)
    )
