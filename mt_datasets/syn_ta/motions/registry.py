"""The registry of motion programs, keyed by (coarse class, intra-class number) of the Syn-TA naming scheme.

One decorator registers a program (timm's style): ``@register_motion(coarse="orbiting", number=6)``. The program
modules take the registry and the context from their own modules, never from the package ``__init__``, so importing
them in any order is safe; the ``__init__`` imports every program module once, by name in the source, and then checks
that no fine class is missing.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.timeline import Timeline
from mt_datasets.taxonomy import get_taxonomy

__all__ = ["MotionSpec", "check_registry", "get_motion", "list_motions", "motion_for_fine", "register_motion"]


@dataclass(frozen=True)
class MotionSpec:
    """One registered motion program and the fine class it draws. Call it with a ``MotionContext``."""

    coarse: str
    number: int
    fine_name: str
    fine_index: int
    fine_set: int
    program: Callable[[MotionContext], Timeline] = field(repr=False)

    @property
    def key(self) -> tuple[str, int]:
        """``(coarse class name, intra-class number)``."""
        return (self.coarse, self.number)

    @property
    def file_stem(self) -> str:
        """The release's file stem, e.g. ``"orbiting6"``."""
        return get_taxonomy("syn-ta").file_stem(self.fine_index)

    def __call__(self, ctx: MotionContext) -> Timeline:
        """Run the program; the timeline is validated and its meta names the class."""
        if not isinstance(ctx, MotionContext):
            raise TypeError(f"a motion program takes a MotionContext, got {type(ctx).__name__}")
        timeline = self.program(ctx)
        timeline.meta = {"coarse": self.coarse, "number": self.number, "fine_name": self.fine_name, **timeline.meta}
        timeline.validate()
        return timeline


_REGISTRY: dict[tuple[str, int], MotionSpec] = {}


def _coarse_name(coarse: str) -> str:
    """The taxonomy's coarse name; release folder spellings (``changing_color``) are accepted too."""
    taxonomy = get_taxonomy("syn-ta")
    name = str(coarse).replace("_", " ")
    taxonomy.coarse_index(name)  # raises KeyError with suggestions
    return name


def _numbers_of(coarse: str) -> dict[int, int]:
    taxonomy = get_taxonomy("syn-ta")
    c = taxonomy.coarse_index(coarse)
    return {taxonomy.intra_class_number[f]: f for f in taxonomy.fine_classes_of(c)}


def register_motion(*, coarse: str, number: int, **options: Any) -> Callable:
    """Decorator registering ``program(ctx) -> Timeline`` as fine class ``(coarse, number)`` of the naming scheme.

    ``options`` are keyword arguments bound to the program for this class, so that mirrored classes share one
    program (``@register_motion(coarse="falling", number=2, path="zigzag", falling=True)``); the decorator returns
    the program unchanged, so several registrations stack.
    """
    name = _coarse_name(coarse)
    numbers = _numbers_of(name)
    if number not in numbers:
        raise ValueError(f"{name!r} has no fine class number {number}; its numbers are {sorted(numbers)}")

    def decorator(program: Callable[..., Timeline]) -> Callable[..., Timeline]:
        if (name, number) in _REGISTRY:
            raise ValueError(f"motion ({name!r}, {number}) is registered twice: {program.__qualname__}")
        taxonomy = get_taxonomy("syn-ta")
        fine = numbers[number]
        bound = functools.partial(program, **options) if options else program
        _REGISTRY[(name, number)] = MotionSpec(
            name, number, taxonomy.fine_names[fine], fine, taxonomy.fine_set[fine], bound
        )
        return program

    return decorator


def get_motion(coarse: str, number: int) -> MotionSpec:
    """The motion of fine class ``number`` of ``coarse`` (e.g. ``get_motion("orbiting", 6)``).

    Raises ``KeyError`` with suggestions for an unknown coarse class or number.
    """
    name = _coarse_name(coarse)
    try:
        return _REGISTRY[(name, int(number))]
    except KeyError:
        numbers = sorted(n for c, n in _REGISTRY if c == name)
        raise KeyError(f"no motion ({name!r}, {number}); {name!r} has numbers {numbers}") from None


def motion_for_fine(fine: int | str) -> MotionSpec:
    """The motion of a fine class given by dataset-level index (``get_taxonomy("syn-ta").fine_names``) or name."""
    taxonomy = get_taxonomy("syn-ta")
    if isinstance(fine, str):
        fine = taxonomy.fine_index(fine)  # KeyError with suggestions
    if not 0 <= int(fine) < len(taxonomy.fine_names):
        raise KeyError(f"Syn-TA fine index must be in 0..{len(taxonomy.fine_names) - 1}, got {fine}")
    fine = int(fine)
    return get_motion(taxonomy.coarse_names[taxonomy.fine_to_coarse[fine]], taxonomy.intra_class_number[fine])


def list_motions(pattern: str = "*", fine_set: int | None = None) -> list[MotionSpec]:
    """Registered motions in fine-index order; ``pattern`` (fnmatch, case-insensitive) matches the file stem
    (``"orbiting*"``) or the fine name (``"*clockwise*"``); ``fine_set`` keeps one set.
    """
    pattern = pattern.lower()
    return [
        spec
        for spec in sorted(_REGISTRY.values(), key=lambda s: s.fine_index)
        if (fine_set is None or spec.fine_set == fine_set)
        and (fnmatch.fnmatch(spec.file_stem, pattern) or fnmatch.fnmatch(spec.fine_name.lower(), pattern))
    ]


def check_registry() -> None:
    """Raise ``RuntimeError`` naming every Syn-TA fine class without a registered motion program."""
    taxonomy = get_taxonomy("syn-ta")
    missing = [
        f"{taxonomy.file_stem(f)} ({taxonomy.fine_names[f]})"
        for f in range(len(taxonomy.fine_names))
        if (taxonomy.coarse_names[taxonomy.fine_to_coarse[f]], taxonomy.intra_class_number[f]) not in _REGISTRY
    ]
    if missing:
        raise RuntimeError(f"{len(missing)} Syn-TA fine classes have no motion program: {', '.join(missing)}")
