"""The timeline of a Syn-TA clip: per-frame states of every object, made by a motion program, drawn by the renderer.

Coordinates are the canonical stage's: x to the right, y up, z toward the front camera. The ground plane is y = 0 and
objects stand on it (an object's ``position`` is its centre, so a resting object of scale s has y = s / 2). The front
camera sits on +z looking at the origin, so "left to right" means increasing x and "clockwise seen from above" means
clockwise when looking down the -y axis (from +y) with x to the right and z toward the viewer. The stage spans
[-STAGE_EXTENT, STAGE_EXTENT] on x and z; objects that "arrive" or "depart" cross its edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["STAGE_EXTENT", "SHAPES", "ObjectTrack", "Prop", "Timeline"]

STAGE_EXTENT = 4.0
SHAPES = ("cube", "cone", "pyramid", "prism", "sphere", "cylinder", "torus", "capsule")


@dataclass
class ObjectTrack:
    """States of one object over ``T`` frames.

    Attributes:
        position: ``(T, 3)`` float32 centre in stage coordinates.
        rotation: ``(T, 3)`` float32 Euler angles (radians, applied x, then y, then z).
        scale: ``(T,)`` float32 edge length / diameter in stage units (1.0 is a medium object).
        color: ``(T, 3)`` float32 linear RGB in [0, 1].
        opacity: ``(T,)`` float32 in [0, 1].
        visible: ``(T,)`` bool; an invisible object is not drawn at all.
        shape: ``(T,)`` array of shape names (from ``SHAPES``); it changes only in shape-changing motions.
        role: free-form tag for checks and cards (``"mover"``, ``"anchor"``, ``"clone"``, ...).
    """

    position: np.ndarray
    rotation: np.ndarray
    scale: np.ndarray
    color: np.ndarray
    opacity: np.ndarray
    visible: np.ndarray
    shape: np.ndarray
    role: str = "object"

    @classmethod
    def constant(
        cls, num_frames: int, *, position, shape: str, color, scale: float = 1.0, role: str = "object"
    ) -> ObjectTrack:
        """A track that holds one state for all frames; programs then edit the arrays they animate."""
        return cls(
            position=np.tile(np.asarray(position, np.float32), (num_frames, 1)),
            rotation=np.zeros((num_frames, 3), np.float32),
            scale=np.full(num_frames, scale, np.float32),
            color=np.tile(np.asarray(color, np.float32), (num_frames, 1)),
            opacity=np.ones(num_frames, np.float32),
            visible=np.ones(num_frames, bool),
            shape=np.full(num_frames, shape, dtype=object),
            role=role,
        )

    def validate(self, num_frames: int) -> None:
        """Raise ``ValueError`` when an array has the wrong shape or a value is out of range."""
        expected = {
            "position": (num_frames, 3),
            "rotation": (num_frames, 3),
            "scale": (num_frames,),
            "color": (num_frames, 3),
            "opacity": (num_frames,),
            "visible": (num_frames,),
            "shape": (num_frames,),
        }
        for name, shape in expected.items():
            actual = np.shape(getattr(self, name))
            if actual != shape:
                raise ValueError(f"ObjectTrack.{name} has shape {actual}, expected {shape}")
        if not np.all(np.isfinite(self.position)):
            raise ValueError("ObjectTrack.position has non-finite values")
        if np.any(self.scale <= 0):
            raise ValueError("ObjectTrack.scale must be positive")
        if np.any((self.opacity < 0) | (self.opacity > 1)) or np.any((self.color < 0) | (self.color > 1)):
            raise ValueError("ObjectTrack.opacity and color must lie in [0, 1]")
        unknown = set(self.shape.tolist()) - set(SHAPES)
        if unknown:
            raise ValueError(f"ObjectTrack.shape has unknown shapes {sorted(unknown)}; known: {SHAPES}")


@dataclass
class Prop:
    """A static box in the scene (stairs, a wall to bounce against), drawn in a neutral material."""

    center: tuple[float, float, float]
    size: tuple[float, float, float]
    color: tuple[float, float, float] = (0.6, 0.6, 0.6)


@dataclass
class Timeline:
    """Everything a clip shows, frame by frame; made by a motion program, drawn by the renderer."""

    num_frames: int
    fps: float
    objects: list[ObjectTrack]
    props: list[Prop] = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # the program's sampled parameters, recorded for checks and cards

    def validate(self) -> None:
        """Check every track; raise ``ValueError`` naming the first problem."""
        if self.num_frames < 2:
            raise ValueError(f"a timeline needs at least 2 frames, got {self.num_frames}")
        if not self.objects:
            raise ValueError("a timeline needs at least one object")
        for i, track in enumerate(self.objects):
            try:
                track.validate(self.num_frames)
            except ValueError as error:
                raise ValueError(f"object {i} ({track.role}): {error}") from None
