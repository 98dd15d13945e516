"""Triangle meshes of the Syn-TA primitives, made with NumPy.

Every mesh fits the timeline's unit: centred on the origin, 1 stage unit tall and at most 1 wide or deep, so an object
of scale ``s`` whose centre sits at ``y = s / 2`` rests on the ground. The torus stands upright (its ring in the x-y
plane, facing the front camera) so that it, too, is 1 unit tall and rests on the ground like the others.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from mt_datasets.syn_ta.timeline import SHAPES

__all__ = ["mesh", "segments_for", "VERTEX_FLOATS"]

VERTEX_FLOATS = 6  # position xyz, normal xyz


def segments_for(frame_height: int) -> int:
    """Segments around round shapes for frames ``frame_height`` pixels tall.

    A medium object spans about a tenth of the frame; one segment per 2-3 pixels of its outline keeps silhouettes
    smooth, and no more: the triangle count, not the pixel count, dominates software rendering time.
    """
    return int(np.clip(4 * round(frame_height / 40), 12, 48))


@cache
def mesh(shape: str, segments: int = 24) -> np.ndarray:
    """Non-indexed triangle list of one primitive: a read-only float32 array ``(3 * triangles, 6)``.

    ``segments`` (a multiple of 4, at least 8) sets the tessellation of round shapes. Raises ``KeyError`` with the
    known shapes when ``shape`` is not one of ``SHAPES``.
    """
    if segments < 8 or segments % 4:
        raise ValueError(f"segments must be a multiple of 4 and at least 8, got {segments}")
    if shape in _FLAT:
        vertices = _FLAT[shape]()
    elif shape in _ROUND:
        vertices = _ROUND[shape](segments)
    else:
        raise KeyError(f"no mesh for shape {shape!r}; known shapes: {SHAPES}")
    vertices = np.ascontiguousarray(vertices, dtype=np.float32)
    vertices.setflags(write=False)
    return vertices


def _flat(triangles: np.ndarray) -> np.ndarray:
    """Attach face normals to ``(n, 3, 3)`` counter-clockwise triangles (sharp edges)."""
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.repeat(normals[:, None], 3, axis=1)
    return np.concatenate([triangles, normals], axis=2).reshape(-1, 6)


def _quads_to_triangles(quads: np.ndarray) -> np.ndarray:
    """Split ``(n, 4, k)`` counter-clockwise quads into ``(2n, 3, k)`` triangles."""
    return np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])


def _cube() -> np.ndarray:
    corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)], np.float32)
    # corner index = 4 * (x > 0) + 2 * (y > 0) + (z > 0); each face listed counter-clockwise seen from outside
    faces = [(1, 5, 7, 3), (4, 0, 2, 6), (5, 4, 6, 7), (0, 1, 3, 2), (3, 7, 6, 2), (0, 4, 5, 1)]
    return _flat(_quads_to_triangles(corners[np.array(faces)]))


def _pyramid() -> np.ndarray:
    apex = np.array([0.0, 0.5, 0.0], np.float32)
    base = np.array([[-0.5, -0.5, 0.5], [0.5, -0.5, 0.5], [0.5, -0.5, -0.5], [-0.5, -0.5, -0.5]], np.float32)
    sides = [[base[i], base[(i + 1) % 4], apex] for i in range(4)]
    bottom = [[base[0], base[2], base[1]], [base[0], base[3], base[2]]]
    return _flat(np.array(sides + bottom, np.float32))


def _prism() -> np.ndarray:
    # a triangular cross-section (1 wide, 1 tall) in the x-y plane, extruded 1 unit along z
    tri = np.array([[-0.5, -0.5], [0.5, -0.5], [0.0, 0.5]], np.float32)
    front = np.column_stack([tri, np.full(3, 0.5, np.float32)])
    back = np.column_stack([tri, np.full(3, -0.5, np.float32)])
    caps = [front, back[::-1]]
    sides = [[front[i], back[i], back[(i + 1) % 3], front[(i + 1) % 3]] for i in range(3)]
    sides = _quads_to_triangles(np.array(sides, np.float32))
    return _flat(np.concatenate([np.array(caps, np.float32), sides]))


def _lathe(profile: np.ndarray, segments: int) -> np.ndarray:
    """Revolve a ``(k, 4)`` profile (radius, y, normal radial part, normal y part), listed bottom to top, about y."""
    angles = np.linspace(0.0, 2.0 * np.pi, segments + 1, dtype=np.float32)
    cos, sin = np.cos(angles), np.sin(angles)
    shape = (len(profile), len(angles))
    radius, height, normal_r, normal_y = (np.broadcast_to(profile[:, i][:, None], shape) for i in range(4))
    grid = np.stack([radius * sin, height, radius * cos, normal_r * sin, normal_y, normal_r * cos], axis=-1)
    lower, upper = grid[:-1], grid[1:]
    quads = np.stack([lower[:, :-1], lower[:, 1:], upper[:, 1:], upper[:, :-1]], axis=2).reshape(-1, 4, 6)
    triangles = _quads_to_triangles(quads)
    # drop the degenerate triangles that a zero radius (a pole or an apex) leaves
    edge_a = triangles[:, 1, :3] - triangles[:, 0, :3]
    edge_b = triangles[:, 2, :3] - triangles[:, 0, :3]
    keep = np.linalg.norm(np.cross(edge_a, edge_b), axis=1) > 1e-6
    return triangles[keep].reshape(-1, 6)


def _disc(y: float, facing_up: bool, segments: int) -> np.ndarray:
    # the lathe's winding faces outward when the profile turns the same way as a sphere's (bottom pole to top pole)
    if facing_up:
        return _lathe(np.array([[0.5, y, 0.0, 1.0], [0.0, y, 0.0, 1.0]], np.float32), segments)
    return _lathe(np.array([[0.0, y, 0.0, -1.0], [0.5, y, 0.0, -1.0]], np.float32), segments)


def _cylinder(segments: int) -> np.ndarray:
    side = np.array([[0.5, -0.5, 1.0, 0.0], [0.5, 0.5, 1.0, 0.0]], np.float32)
    return np.concatenate([_lathe(side, segments), _disc(0.5, True, segments), _disc(-0.5, False, segments)])


def _cone(segments: int) -> np.ndarray:
    slope = np.array([1.0, 0.5], np.float32) / np.hypot(1.0, 0.5)  # outward normal of a cone 1 tall, radius 0.5
    side = np.array([[0.5, -0.5, *slope], [0.0, 0.5, *slope]], np.float32)
    return np.concatenate([_lathe(side, segments), _disc(-0.5, False, segments)])


def _sphere_profile(center_y: float, radius: float, from_angle: float, to_angle: float, rings: int) -> np.ndarray:
    polar = np.linspace(from_angle, to_angle, rings + 1, dtype=np.float32)  # 0 = bottom pole, pi = top pole
    normal_r, normal_y = np.sin(polar), -np.cos(polar)
    return np.column_stack([radius * normal_r, center_y + radius * normal_y, normal_r, normal_y])


def _sphere(segments: int) -> np.ndarray:
    return _lathe(_sphere_profile(0.0, 0.5, 0.0, np.pi, segments // 2), segments)


def _capsule(segments: int) -> np.ndarray:
    radius = 0.25
    bottom = _sphere_profile(-0.5 + radius, radius, 0.0, np.pi / 2, segments // 4)
    top = _sphere_profile(0.5 - radius, radius, np.pi / 2, np.pi, segments // 4)
    return _lathe(np.concatenate([bottom, top]), segments)


def _torus(segments: int) -> np.ndarray:
    ring, tube = 0.35, 0.15  # outer diameter 2 * (0.35 + 0.15) = 1
    around = np.linspace(0.0, 2.0 * np.pi, segments + 1, dtype=np.float32)[:, None]
    across = np.linspace(0.0, 2.0 * np.pi, segments // 2 + 1, dtype=np.float32)[None, :]
    cos_across, sin_across = np.broadcast_arrays(np.cos(across), np.sin(across))
    cos_across, sin_across = cos_across * np.ones_like(around), sin_across * np.ones_like(around)
    normal = np.stack([cos_across * np.cos(around), cos_across * np.sin(around), sin_across], axis=-1)
    centre = np.stack([ring * np.cos(around), ring * np.sin(around), np.zeros_like(around)], axis=-1)
    grid = np.concatenate([centre + tube * normal, normal], axis=-1)
    lower, upper = grid[:-1], grid[1:]
    quads = np.stack([lower[:, :-1], upper[:, :-1], upper[:, 1:], lower[:, 1:]], axis=2).reshape(-1, 4, 6)
    return _quads_to_triangles(quads).reshape(-1, 6)


_FLAT = {"cube": _cube, "pyramid": _pyramid, "prism": _prism}
_ROUND = {"cone": _cone, "sphere": _sphere, "cylinder": _cylinder, "torus": _torus, "capsule": _capsule}
