"""Disappearing: objects fade out by decreasing opacity; the first three classes are appearing's, run backwards."""

from __future__ import annotations

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions import appearing
from mt_datasets.syn_ta.motions.appearing import Fade
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline

DISAPPEARING = Fade(appear=False, start=(0.1, 0.4), duration=(0.3, 0.5), first=(0.05, 0.15))

for _number, _program in enumerate((appearing.single, appearing.simultaneously, appearing.one_by_one), start=1):
    register_motion(coarse="disappearing", number=_number, fade=DISAPPEARING)(_program)


@register_motion(coarse="disappearing", number=4)
def some_disappearing_some_remaining(ctx: MotionContext) -> Timeline:
    """Multiple objects some disappearing and some remaining."""
    count = ctx.integer(3, 5)
    leaving = ctx.integer(1, count - 1)
    scales = [ctx.size("medium") * 0.75 for _ in range(count)]
    positions = ctx.scatter(scales, region=0.7 * ctx.extent)
    order = ctx.rng.permutation(count)
    objects, starts = [], []
    for k, (position, scale) in enumerate(zip(positions, scales, strict=True)):
        goes = bool(order[k] < leaving)
        track = ctx.track(position, scale=scale, role="mover" if goes else "distractor")
        if goes:
            start = ctx.uniform(0.1, 0.45)
            kin.fade(track, ctx.times, start, start + ctx.uniform(0.25, 0.45), appear=False)
            starts.append(start)
        objects.append(track)
    return ctx.timeline(objects, count=count, disappearing=leaving, starts=starts)
