"""Motion programs of the 100 Syn-TA fine classes, in a registry keyed by (coarse class, intra-class number).

A motion program turns a ``MotionContext`` (random generator, clip length, the shapes and colours the appearance
sampler allows) into a ``Timeline``: the per-frame states of every object. Programs are scripted kinematics, so a
clip's label is right by construction; every free parameter (speeds, distances, timings, counts, directions the
description leaves open) is drawn from ``ctx.rng`` and recorded in ``timeline.meta``. Time is a fraction of the clip,
so a program looks the same at any ``num_frames >= MIN_NUM_FRAMES`` and any fps.

Adding a fine class is one decorated function in the module of its coarse class (``motions/<folder>.py``)::

    @register_motion(coarse="orbiting", number=6)
    def orbit_counter_clockwise_vertical(ctx: MotionContext) -> Timeline: ...

>>> import numpy as np
>>> spec = get_motion("orbiting", 6)
>>> spec.fine_name
'Single object orbiting another object in the center in counter clockwise direction on vertical plane'
>>> timeline = spec(MotionContext(rng=np.random.default_rng(0), num_frames=16))
>>> [track.role for track in timeline.objects]
['anchor', 'mover']

Object roles (``ObjectTrack.role``) name what each object does, for checks and cards: ``mover`` (the object the
description is about), ``anchor`` (a still reference: the orbit centre, the object beside which one arrives),
``distractor`` (still bystanders: "among many objects"), ``source`` / ``clone`` (cloning), ``source`` / ``merged``
(merging), ``leader`` / ``follower``, ``projectile``, ``occluder`` / ``occluded``.
"""

from __future__ import annotations

# The program modules register their motions when imported; they are listed here, in the source, so that the registry
# is complete after ``import mt_datasets.syn_ta.motions`` and a missing module is an ImportError, not a silent gap.
from mt_datasets.syn_ta.motions import (  # noqa: F401
    appearing,
    arriving,
    bouncing,
    changing_color,
    changing_shape,
    cloning,
    departing,
    disappearing,
    expanding,
    falling,
    following,
    merging,
    moving_in_a_path,
    not_colliding,
    occlusion,
    orbiting,
    rising,
    shooting_projectile,
    shrinking,
    teleporting,
)
from mt_datasets.syn_ta.motions.context import DEFAULT_PALETTE, MIN_NUM_FRAMES, SIZES, MotionContext
from mt_datasets.syn_ta.motions.registry import (
    MotionSpec,
    check_registry,
    get_motion,
    list_motions,
    motion_for_fine,
    register_motion,
)

__all__ = [
    "MIN_NUM_FRAMES",
    "SIZES",
    "DEFAULT_PALETTE",
    "MotionContext",
    "MotionSpec",
    "register_motion",
    "get_motion",
    "motion_for_fine",
    "list_motions",
    "check_registry",
]

check_registry()
