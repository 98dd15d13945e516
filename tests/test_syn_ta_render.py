"""The Syn-TA renderer, meshes, appearance factors, protocols and backgrounds, on hand-made timelines.

Every test draws real frames with moderngl on EGL (Mesa llvmpipe here); nothing is mocked.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from mt_datasets.syn_ta import renderer as renderer_module
from mt_datasets.syn_ta.appearance import (
    PALETTE,
    PROTOCOLS,
    REGULAR_AZIMUTH_DEG,
    AppearanceFactors,
    get_protocol,
    hex_to_linear,
    linear_to_hex,
    sample_appearance,
)
from mt_datasets.syn_ta.backgrounds import NUM_PROCEDURAL, BackgroundLibrary, procedural_texture
from mt_datasets.syn_ta.meshes import mesh, segments_for
from mt_datasets.syn_ta.renderer import Renderer, project_points
from mt_datasets.syn_ta.timeline import SHAPES, ObjectTrack, Timeline

SIZE = 64
NUM_FRAMES = 16
RED, GREEN, BLUE = (0.9, 0.02, 0.02), (0.02, 0.8, 0.02), (0.02, 0.05, 0.9)

FRONT = AppearanceFactors(
    view="front",
    shapes=SHAPES,
    palette=tuple(PALETTE),
    material="matte",
    background="procedural-03",
    background_index=3,
    camera_azimuth=0.0,
    camera_elevation=5.0,
    camera_distance=11.0,
    light_azimuth=0.0,
    light_elevation=45.0,
    light_intensity=1.0,
    ambient=0.3,
)


@pytest.fixture(scope="module")
def renderer():
    r = Renderer(SIZE, SIZE)
    yield r
    r.release()


@pytest.fixture(scope="module")
def background():
    # a mid grey with no red: any strongly red pixel must come from the object
    return np.full((8, 8, 3), 110, np.uint8)


def still_object(color=RED, *, position=(0.0, 0.75, 0.0), scale=1.5, shape="cube") -> Timeline:
    track = ObjectTrack.constant(NUM_FRAMES, position=position, shape=shape, color=color, scale=scale)
    return Timeline(NUM_FRAMES, 8.0, [track])


def red_mask(frames: np.ndarray) -> np.ndarray:
    rgb = frames.astype(int)
    return (rgb[..., 0] > 120) & (rgb[..., 0] > 2 * rgb[..., 1]) & (rgb[..., 0] > 2 * rgb[..., 2])


def test_renderer_reports_the_gl_implementation(renderer):
    info = renderer.info
    assert info["renderer"] and "4." in info["version"]  # OpenGL 4.x core profile
    assert renderer.samples > 1  # MSAA on


def test_object_at_the_centre_is_drawn_where_the_camera_projects_it(renderer, background):
    frames = renderer.render(still_object(), FRONT, background)
    assert frames.shape == (NUM_FRAMES, SIZE, SIZE, 3) and frames.dtype == np.uint8
    column, row = project_points([(0.0, 0.75, 0.0)], FRONT, SIZE, SIZE)[0].round().astype(int)
    assert abs(column - SIZE / 2) <= 2  # the front camera looks at the stage's centre line
    mask = red_mask(frames[0])
    assert mask[row, column] and mask[row - 2 : row + 3, column - 2 : column + 3].all()
    # the red region is a compact blob around the projected centre, nowhere else
    rows, columns = np.nonzero(mask)
    assert abs(rows.mean() - row) < 2 and abs(columns.mean() - column) < 2
    assert not mask[:, :8].any() and not mask[:, -8:].any()


@pytest.mark.parametrize("color, channel", [(RED, 0), (GREEN, 1), (BLUE, 2)])
def test_object_colour_reaches_the_pixels(renderer, background, color, channel):
    frames = renderer.render(still_object(color), FRONT, background)
    column, row = project_points([(0.0, 0.75, 0.0)], FRONT, SIZE, SIZE)[0].round().astype(int)
    pixel = frames[0, row, column].astype(int)
    others = [c for c in range(3) if c != channel]
    assert all(pixel[channel] > pixel[c] + 60 for c in others), pixel


def test_opacity_zero_draws_nothing_and_half_opacity_blends(renderer, background):
    invisible = still_object()
    invisible.objects[0].visible[:] = False
    empty = renderer.render(invisible, FRONT, background)
    transparent = still_object()
    transparent.objects[0].opacity[:] = 0.0
    assert np.array_equal(renderer.render(transparent, FRONT, background), empty)  # no object, no shadow

    half = still_object()
    half.objects[0].opacity[:] = 0.5
    blended = renderer.render(half, FRONT, background)
    opaque = renderer.render(still_object(), FRONT, background)
    column, row = project_points([(0.0, 0.75, 0.0)], FRONT, SIZE, SIZE)[0].round().astype(int)
    red = [frames[0, row, column, 0] for frames in (empty, blended, opaque)]
    assert red[0] + 30 < red[1] < red[2] - 30


def test_frames_follow_the_timeline_in_order_across_passes(monkeypatch, background):
    # five frames per pass: three full passes and a partial one, so tile placement and pass order are both exercised
    monkeypatch.setattr(renderer_module, "MAX_ATLAS_PIXELS", 5 * SIZE * SIZE)
    small = Renderer(SIZE, SIZE)
    try:
        assert small.tiles_per_pass(NUM_FRAMES) == 5
        timeline = still_object(scale=0.8)
        timeline.objects[0].position[:, 0] = np.linspace(-2.5, 2.5, NUM_FRAMES)
        frames = small.render(timeline, FRONT, background)
    finally:
        small.release()
    expected = project_points(timeline.objects[0].position, FRONT, SIZE, SIZE)[:, 0]
    centroids = [np.nonzero(red_mask(frame))[1].mean() for frame in frames]
    assert np.all(np.diff(centroids) > 0)  # left to right, frame after frame
    assert np.abs(np.asarray(centroids) - expected).max() < 1.5


def test_geometry_stays_inside_its_own_frame(renderer, background):
    # a large object in frame 5 only, half outside the right edge: the neighbouring tiles must not show it
    timeline = still_object(position=(4.2, 1.0, 0.0), scale=2.0)
    timeline.objects[0].visible[:] = False
    timeline.objects[0].visible[5] = True
    frames = renderer.render(timeline, FRONT, background)
    masks = red_mask(frames)
    assert masks[5, :, -3:].any()  # it reaches the frame's right edge
    assert not np.delete(masks, 5, axis=0).any()


def test_rendering_is_deterministic_and_every_shape_is_drawn(renderer, background):
    tracks = [
        ObjectTrack.constant(NUM_FRAMES, position=(-3.5 + k, 0.5, 0.0), shape=shape, color=RED, scale=0.9)
        for k, shape in enumerate(SHAPES)
    ]
    for k, track in enumerate(tracks):
        track.rotation[:, 1] = np.linspace(0, 2, NUM_FRAMES) + k
    timeline = Timeline(NUM_FRAMES, 8.0, tracks)
    regular = dataclasses.replace(
        FRONT, view="regular", camera_azimuth=30.0, camera_elevation=25.0, material="metallic"
    )
    first = renderer.render(timeline, regular, background)
    assert np.array_equal(first, renderer.render(timeline, regular, background))
    centres = project_points([track.position[0] for track in tracks], regular, SIZE, SIZE).round().astype(int)
    for shape, (column, row) in zip(SHAPES, centres, strict=True):
        assert red_mask(first[0])[row - 1 : row + 2, column - 1 : column + 2].any(), f"{shape} not drawn"


def test_front_view_shows_the_user_background_on_its_backdrop(renderer, tmp_path):
    for name, color in (("a.png", (20, 200, 40)), ("b.jpg", (200, 30, 30))):
        Image.new("RGB", (32, 32), color).save(tmp_path / name)
    library = BackgroundLibrary(tmp_path)
    assert library.names == ["a.png", "b.jpg"]
    timeline = still_object(position=(3.0, 0.5, 0.0), scale=0.5)
    frames = renderer.render(timeline, dataclasses.replace(FRONT, background="a.png"), library.image(0))
    top = frames[0, 2:10, 20:44].reshape(-1, 3).mean(axis=0)
    assert top[1] > 2 * top[0] and top[1] > 2 * top[2]  # the green image fills the backdrop behind the stage


def test_missing_or_empty_background_folders_are_rejected(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        BackgroundLibrary(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match="at least 2"):
        BackgroundLibrary(tmp_path)


def test_procedural_backgrounds_are_fixed_distinct_and_seamless():
    textures = [procedural_texture(i) for i in range(NUM_PROCEDURAL)]
    assert np.array_equal(textures[7], procedural_texture(7))
    assert len({t.tobytes() for t in textures}) == NUM_PROCEDURAL
    for texture in textures:
        image = texture.astype(int)
        for rows in (image, image.transpose(1, 0, 2)):
            # the wrap-around seam is no sharper than the sharpest edge inside the texture
            inside = np.abs(np.diff(rows, axis=0)).mean(axis=(1, 2)).max()
            assert np.abs(rows[0] - rows[-1]).mean() <= inside + 1
    with pytest.raises(ValueError, match="index"):
        procedural_texture(NUM_PROCEDURAL)


@pytest.mark.parametrize("shape", SHAPES)
def test_meshes_are_unit_sized_closed_and_face_outward(shape):
    segments = segments_for(SIZE)
    vertices = mesh(shape, segments)
    triangles = vertices.reshape(-1, 3, 6)
    points = triangles[..., :3]
    assert np.allclose(points[..., 1].min(), -0.5) and np.allclose(points[..., 1].max(), 0.5)
    assert np.abs(points).max() <= 0.5 + 1e-6
    normals = np.cross(points[:, 1] - points[:, 0], points[:, 2] - points[:, 0])
    assert (np.einsum("ij,ij->i", normals, triangles[..., 3:].mean(axis=1)) > 0).all()  # winding matches normals
    # closed: every edge is shared by exactly two triangles, once in each direction
    edges = np.round(np.concatenate([points[:, [0, 1]], points[:, [1, 2]], points[:, [2, 0]]]), 5)
    forward = {tuple(e.ravel()) for e in edges}
    backward = {tuple(e[::-1].ravel()) for e in edges}
    assert forward == backward
    with pytest.raises(KeyError, match="known shapes"):
        mesh("hexagon")


def test_protocols_define_their_sets():
    paper = get_protocol("paper")
    assert paper.shapes == (("cube", "cone", "pyramid", "prism"), ("sphere", "cylinder", "torus", "capsule"))
    assert paper.background_indices(1, 20) == range(10) and paper.background_indices(2, 20) == range(10, 20)
    motion_only = get_protocol("motion-only")
    assert motion_only.shapes[0] == motion_only.shapes[1] == SHAPES
    assert motion_only.background_indices(2, 20) == range(20)
    shift = get_protocol("appearance-shift")
    assert shift.variants_in_both_sets and not paper.variants_in_both_sets
    assert not set(shift.shapes[0]) & set(shift.shapes[1]) and set(shift.shapes[0]) | set(shift.shapes[1]) == set(
        SHAPES
    )
    assert not set(shift.colors[0]) & set(shift.colors[1]) and len(shift.colors[0]) == len(shift.colors[1]) == 6
    with pytest.raises(ValueError, match="Did you mean 'motion-only'"):
        get_protocol("motion_only")


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_sampled_appearance_stays_in_its_protocol_and_ranges(protocol):
    rng = np.random.default_rng(0)
    names = BackgroundLibrary().names
    chosen = get_protocol(protocol)
    for fine_set in (1, 2):
        for view in ("regular", "front"):
            for _ in range(50):
                factors = sample_appearance(rng, chosen, fine_set, view, names)
                assert factors.material in chosen.materials
                assert factors.background_index in chosen.background_indices(fine_set, len(names))
                assert factors.shapes == chosen.shapes[fine_set - 1]
                assert factors.camera_elevation > 0
                if view == "regular":
                    assert REGULAR_AZIMUTH_DEG[0] <= factors.camera_azimuth <= REGULAR_AZIMUTH_DEG[1]
                else:
                    assert factors.camera_azimuth == 0.0


def test_palette_round_trips_through_linear_rgb():
    for hex_color in PALETTE.values():
        assert linear_to_hex(hex_to_linear(hex_color)) == hex_color
