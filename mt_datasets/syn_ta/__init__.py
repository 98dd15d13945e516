"""The procedural Syn-TA: every clip a program, reproducible from a seed, with its appearance under control.

Modules, one job each:

- ``timeline``: the per-frame object states a clip shows (stage conventions in its docstring).
- ``motions``: the registry of the 100 fine-class motion programs (``get_motion``, ``motion_for_fine``).
- ``appearance``: the appearance factors and the protocols ``paper``, ``motion-only`` and ``appearance-shift``.
- ``backgrounds``: procedural textures or a folder of the user's images.
- ``meshes`` / ``renderer``: the primitives and the moderngl (EGL) renderer.
- ``options``: the presets and the generation options (``GenerationOptions.resolve``); ``generate``: planning and
  running a generation (workers, shards, resume, Hub layout; its command line, ``mt-datasets syn-ta generate``, is
  ``mt_datasets.commands.generate``); ``contact_sheet``: the card's sample frames.
- ``release``: ``mt-datasets syn-ta convert`` of the authors' Blender release.

Render one clip by hand::

    from mt_datasets.syn_ta.generate import GenerationOptions, plan_clips, render_clip
    from mt_datasets.syn_ta.backgrounds import BackgroundLibrary
    from mt_datasets.syn_ta.renderer import Renderer

    options = GenerationOptions.resolve(appearance_split="motion-only", preset="mini", classes=["orbiting6"])
    spec = plan_clips(options)[0]
    frames, row = render_clip(spec, options, Renderer(options.width, options.height), BackgroundLibrary(), "notebook")
"""

from mt_datasets.syn_ta.appearance import (
    APPEARANCE_SPLITS,
    PROTOCOLS,
    AppearanceFactors,
    AppearanceSplit,
    Protocol,
    get_appearance_split,
    get_protocol,
)
from mt_datasets.syn_ta.timeline import SHAPES, STAGE_EXTENT, ObjectTrack, Prop, Timeline

__all__ = [
    "APPEARANCE_SPLITS",
    "AppearanceSplit",
    "get_appearance_split",
    "PROTOCOLS",
    "SHAPES",
    "STAGE_EXTENT",
    "AppearanceFactors",
    "ObjectTrack",
    "Prop",
    "Protocol",
    "Timeline",
    "get_protocol",
]
