"""Draw a Syn-TA timeline into RGB frames with moderngl on a standalone EGL context (Mesa llvmpipe without a GPU).

Speed comes from batching: the frames of a clip are laid out as tiles of one large multisampled framebuffer, and each
pass draws every frame at once with instancing (one draw call per shape, not per frame and object). Each instance
carries its frame's tile; the vertex shader moves the frame's clip-space position into that tile and sets four clip
distances at the tile's edges, so geometry never bleeds into a neighbouring frame. The camera is fixed over a clip,
so all tiles share one view-projection matrix, and the static background (sky gradient, textured ground in the
regular view, floor and vertical backdrop in the front view) is drawn once per clip, at twice the frame size, into a
colour and a depth texture; every tile then copies it (box-filtered colour, and its depth, so that the backdrop still
hides what passes behind it).

Draw order per pass: the background copy, blob shadows (a soft dark disc under each object, fading with height),
props, opaque objects, then translucent objects without depth writes, far to near within each shape. Shading is
Phong (Lambert diffuse, Blinn specular) with one directional light and an ambient term; metallic objects tint their
highlights and reflect a sky/ground gradient. Colours are linear RGB in the shaders and written as sRGB.

The per-clip cost on llvmpipe is dominated by multisampling (the full-frame background copy and the resolve) and by
triangle count, hence the background drawn once and round shapes tessellated for the frame size
(:func:`mt_datasets.syn_ta.meshes.segments_for`).

A GL context belongs to one process: create the :class:`Renderer` inside each worker (the generator uses the spawn
start method), never before a fork.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mt_datasets.syn_ta.appearance import AppearanceFactors
from mt_datasets.syn_ta.meshes import mesh, segments_for
from mt_datasets.syn_ta.timeline import SHAPES, STAGE_EXTENT, Timeline

__all__ = ["Renderer", "camera_view_projection", "project_points", "CAMERA_TARGET", "FIELD_OF_VIEW_DEG"]

FIELD_OF_VIEW_DEG = 40.0  # vertical
CAMERA_TARGET = (0.0, 0.9, 0.0)  # a little above a resting object's centre, so bounces and stacks stay in view
BACKDROP_Z = -(STAGE_EXTENT + 1.5)  # front view: behind everything that stays on the stage
GROUND_HALF_SIZE = 60.0
GROUND_TEXTURE_PERIOD = 6.0  # stage units per repeat of the ground texture
SKY_TOP, SKY_HORIZON = (0.32, 0.45, 0.70), (0.80, 0.85, 0.90)  # linear RGB
PROP_MATERIAL = (0.9, 0.05, 8.0, 0.0)  # matte grey boxes
MATERIAL_PARAMETERS = {  # diffuse weight, specular weight, shininess, metallic (tinted highlights + reflections)
    "matte": (1.0, 0.04, 8.0, 0.0),
    "glossy": (0.9, 0.55, 60.0, 0.0),
    "metallic": (0.45, 0.9, 40.0, 1.0),
}
MAX_ATLAS_PIXELS = 1024 * 1024  # per pass; bounds the framebuffer memory of a worker
MAX_ATLAS_SIDE = 2048
MAX_CACHED_TEXTURES = 32

_TILE_GLSL = """
uniform vec2 atlas_tiles;  // columns, rows
out float gl_ClipDistance[4];
vec4 into_tile(vec4 clip, float tile) {
    // clip to the frame's own view volume, then move the frame into its tile of the atlas
    gl_ClipDistance[0] = clip.w + clip.x;
    gl_ClipDistance[1] = clip.w - clip.x;
    gl_ClipDistance[2] = clip.w + clip.y;
    gl_ClipDistance[3] = clip.w - clip.y;
    float column = mod(tile, atlas_tiles.x);
    float row = atlas_tiles.y - 1.0 - floor(tile / atlas_tiles.x);  // tile 0 at the top left of the image
    vec2 offset = vec2(2.0 * column + 1.0, 2.0 * row + 1.0) / atlas_tiles - 1.0;
    return vec4(clip.xy / atlas_tiles + offset * clip.w, clip.zw);
}
"""

_LIGHTING_GLSL = """
uniform vec3 light_direction;  // toward the light
uniform float light_intensity;
uniform float ambient;
uniform vec3 eye;
uniform vec3 sky_top;
uniform vec3 sky_horizon;
uniform vec3 ground_tint;
vec3 shade(vec3 base, vec3 normal, vec3 world, vec4 material) {
    vec3 n = normalize(normal);
    vec3 to_eye = normalize(eye - world);
    if (dot(n, to_eye) < 0.0) n = -n;  // open or thin surfaces lit from either side
    float diffuse = max(dot(n, light_direction), 0.0);
    float specular = pow(max(dot(n, normalize(light_direction + to_eye)), 0.0), material.z) * material.y;
    vec3 highlight = mix(vec3(1.0), base, material.w);
    vec3 reflected = reflect(-to_eye, n);
    vec3 environment = mix(ground_tint, sky_top, clamp(reflected.y * 0.5 + 0.5, 0.0, 1.0));
    vec3 color = base * (ambient + material.x * diffuse * light_intensity)
               + highlight * specular * light_intensity
               + material.w * 0.35 * base * environment;
    return color;
}
vec3 to_srgb(vec3 linear) { return pow(clamp(linear, 0.0, 1.0), vec3(1.0 / 2.2)); }
"""

_OBJECT_VERTEX = (
    "#version 330\n"
    + _TILE_GLSL
    + """
uniform mat4 view_projection;
in vec3 in_position;
in vec3 in_normal;
in vec3 i_position;
in vec3 i_rotation;
in vec3 i_scale;
in vec4 i_color;
in float i_tile;
out vec3 v_world;
out vec3 v_normal;
out vec4 v_color;
mat3 euler_xyz(vec3 r) {  // rotate about x, then y, then z: R = Rz * Ry * Rx
    vec3 c = cos(r), s = sin(r);
    mat3 rx = mat3(1, 0, 0, 0, c.x, s.x, 0, -s.x, c.x);
    mat3 ry = mat3(c.y, 0, -s.y, 0, 1, 0, s.y, 0, c.y);
    mat3 rz = mat3(c.z, s.z, 0, -s.z, c.z, 0, 0, 0, 1);
    return rz * ry * rx;
}
void main() {
    mat3 rotation = euler_xyz(i_rotation);
    v_world = i_position + rotation * (in_position * i_scale);
    v_normal = rotation * (in_normal / i_scale);  // inverse transpose of a scaled rotation
    v_color = i_color;
    gl_Position = into_tile(view_projection * vec4(v_world, 1.0), i_tile);
}
"""
)

_OBJECT_FRAGMENT = (
    "#version 330\n"
    + _LIGHTING_GLSL
    + """
uniform vec4 material;
in vec3 v_world;
in vec3 v_normal;
in vec4 v_color;
out vec4 f_color;
void main() {
    f_color = vec4(to_srgb(shade(v_color.rgb, v_normal, v_world, material)), v_color.a);
}
"""
)

_SURFACE_VERTEX = (
    "#version 330\n"
    + _TILE_GLSL
    + """
uniform mat4 view_projection;
uniform vec3 surface_origin;
uniform vec3 surface_u;  // world-space half extents of the quad along its two axes
uniform vec3 surface_v;
uniform vec2 texture_scale;  // texture repeats per half extent
uniform vec2 texture_offset;
in vec2 in_corner;
in float i_tile;
out vec3 v_world;
out vec2 v_uv;
void main() {
    v_world = surface_origin + in_corner.x * surface_u + in_corner.y * surface_v;
    v_uv = in_corner * texture_scale + texture_offset;
    gl_Position = into_tile(view_projection * vec4(v_world, 1.0), i_tile);
}
"""
)

_SURFACE_FRAGMENT = (
    "#version 330\n"
    + _LIGHTING_GLSL
    + """
uniform sampler2D surface_texture;
uniform vec3 surface_normal;
uniform vec3 surface_tint;  // multiplies the texture: 1 for the textured surface, a grey for the front floor
in vec3 v_world;
in vec2 v_uv;
out vec4 f_color;
void main() {
    vec3 albedo = pow(texture(surface_texture, v_uv).rgb, vec3(2.2)) * surface_tint;
    float diffuse = max(dot(surface_normal, light_direction), 0.0);
    vec3 color = albedo * (ambient + 0.8 * diffuse * light_intensity);
    // fade the far ground into the horizon haze so its texture does not alias at grazing angles
    float haze = smoothstep(25.0, 55.0, length(v_world.xz - eye.xz));
    f_color = vec4(to_srgb(mix(color, sky_horizon * (ambient + 0.6 * light_intensity), haze)), 1.0);
}
"""
)

_SKY_VERTEX = (
    "#version 330\n"
    + _TILE_GLSL
    + """
in vec2 in_corner;
in float i_tile;
out float v_height;
void main() {
    v_height = in_corner.y * 0.5 + 0.5;
    gl_Position = into_tile(vec4(in_corner, 0.0, 1.0), i_tile);
}
"""
)

_SKY_FRAGMENT = (
    "#version 330\n"
    + _LIGHTING_GLSL
    + """
in float v_height;
out vec4 f_color;
void main() {
    f_color = vec4(to_srgb(mix(sky_horizon, sky_top, v_height) * (0.55 + 0.45 * light_intensity)), 1.0);
}
"""
)

_BACKGROUND_VERTEX = (
    "#version 330\n"
    + _TILE_GLSL
    + """
in vec2 in_corner;
in float i_tile;
out vec2 v_uv;
void main() {
    v_uv = in_corner * 0.5 + 0.5;
    gl_Position = into_tile(vec4(in_corner, 0.0, 1.0), i_tile);
}
"""
)

_BACKGROUND_FRAGMENT = """#version 330
uniform sampler2D background_color;  // the static background at twice the frame size
uniform sampler2D background_depth;
in vec2 v_uv;
out vec4 f_color;
void main() {
    // a pixel centre falls between four texels of the 2x image: one bilinear fetch is their box-filtered average
    f_color = texture(background_color, v_uv);
    gl_FragDepth = texture(background_depth, v_uv).r;
}
"""

_BLOB_VERTEX = (
    "#version 330\n"
    + _TILE_GLSL
    + """
uniform mat4 view_projection;
in vec2 in_corner;
in vec3 i_position;
in vec3 i_scale;
in vec4 i_color;
in float i_tile;
out vec2 v_corner;
out float v_strength;
void main() {
    float footprint = 0.6 * max(i_scale.x, i_scale.z);
    float height = max(i_position.y - 0.5 * i_scale.y, 0.0);  // gap between the object's bottom and the ground
    v_corner = in_corner;
    v_strength = 0.55 * i_color.a / (1.0 + 0.6 * height);
    float radius = footprint * (1.0 + 0.15 * height);  // higher objects cast wider, fainter shadows
    vec3 world = vec3(i_position.x, 0.004, i_position.z) + radius * vec3(in_corner.x, 0.0, in_corner.y);
    gl_Position = into_tile(view_projection * vec4(world, 1.0), i_tile);
}
"""
)

_BLOB_FRAGMENT = """#version 330
in vec2 v_corner;
in float v_strength;
out vec4 f_color;
void main() {
    float falloff = 1.0 - smoothstep(0.35, 1.0, length(v_corner));
    f_color = vec4(0.0, 0.0, 0.0, v_strength * falloff);
}
"""

_QUAD = np.array([-1, -1, 1, -1, 1, 1, -1, -1, 1, 1, -1, 1], np.float32)
# per-instance layout of objects and props: position 3, rotation 3, scale 3, rgba 4, tile 1
_INSTANCE_FLOATS = 14
_INSTANCE_FORMAT = "3f 3f 3f 4f 1f/i"
_INSTANCE_ATTRIBUTES = ("i_position", "i_rotation", "i_scale", "i_color", "i_tile")
_OPAQUE = 0.999  # opacities at or above this are drawn as opaque


def _perspective(fov_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    f = 1.0 / math.tan(math.radians(fov_deg) / 2.0)
    return np.array(
        [
            [f / aspect, 0, 0, 0],
            [0, f, 0, 0],
            [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
            [0, 0, -1, 0],
        ],
        np.float64,
    )


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    forward = target - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, (0.0, 1.0, 0.0))
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = right, up, -forward
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def _direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit vector at an azimuth (0 = +z, positive toward +x) and elevation (above the ground plane)."""
    azimuth, elevation = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array(
        [math.cos(elevation) * math.sin(azimuth), math.sin(elevation), math.cos(elevation) * math.cos(azimuth)]
    )


def camera_eye(appearance: AppearanceFactors) -> np.ndarray:
    """World position of the clip's camera."""
    direction = _direction(appearance.camera_azimuth, appearance.camera_elevation)
    return np.asarray(CAMERA_TARGET) + appearance.camera_distance * direction


def camera_view_projection(appearance: AppearanceFactors, width: int, height: int) -> np.ndarray:
    """The clip's 4x4 view-projection matrix (float64, column vectors: ``clip = M @ [x, y, z, 1]``)."""
    eye = camera_eye(appearance)
    return _perspective(FIELD_OF_VIEW_DEG, width / height, 0.5, 200.0) @ _look_at(eye, np.asarray(CAMERA_TARGET))


def project_points(points, appearance: AppearanceFactors, width: int, height: int) -> np.ndarray:
    """Pixel coordinates ``(n, 2)`` (column, row from the top) of world ``points`` ``(n, 3)`` in a rendered frame."""
    points = np.atleast_2d(np.asarray(points, np.float64))
    homogeneous = np.column_stack([points, np.ones(len(points))]) @ camera_view_projection(appearance, width, height).T
    ndc = homogeneous[:, :2] / homogeneous[:, 3:4]
    return np.column_stack([(ndc[:, 0] + 1) / 2 * width, (1 - ndc[:, 1]) / 2 * height])


@dataclass
class _Atlas:
    columns: int
    rows: int
    msaa: object
    resolved: object


class Renderer:
    """Renders timelines into ``(T, height, width, 3)`` uint8 RGB frames; one per process (it owns a GL context).

    Args:
        width, height: frame size in pixels (positive; H.264 output additionally needs them even).
        samples: MSAA samples per pixel (clamped to what the driver offers; 0 or 1 turns it off).
        backend: moderngl context backend; ``"egl"`` renders headless (Mesa llvmpipe without a GPU).
    """

    def __init__(self, width: int, height: int, *, samples: int = 4, backend: str = "egl") -> None:
        import moderngl

        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {width}x{height}")
        self.width, self.height = int(width), int(height)
        self.ctx = moderngl.create_context(standalone=True, backend=backend)
        self.samples = min(int(samples), self.ctx.max_samples) if samples > 1 else 0
        self._moderngl = moderngl
        self._object_program = self.ctx.program(vertex_shader=_OBJECT_VERTEX, fragment_shader=_OBJECT_FRAGMENT)
        self._surface_program = self.ctx.program(vertex_shader=_SURFACE_VERTEX, fragment_shader=_SURFACE_FRAGMENT)
        self._sky_program = self.ctx.program(vertex_shader=_SKY_VERTEX, fragment_shader=_SKY_FRAGMENT)
        self._blob_program = self.ctx.program(vertex_shader=_BLOB_VERTEX, fragment_shader=_BLOB_FRAGMENT)
        self._background_program = self.ctx.program(
            vertex_shader=_BACKGROUND_VERTEX, fragment_shader=_BACKGROUND_FRAGMENT
        )
        self._background_program["background_color"].value = 0
        self._background_program["background_depth"].value = 1
        background_size = (2 * self.width, 2 * self.height)
        self._background_color = self.ctx.texture(background_size, 4)
        self._background_depth = self.ctx.depth_texture(background_size)
        # read depth values as plain numbers (no shadow comparison), one texel each (no blending across edges)
        self._background_depth.compare_func = ""
        self._background_depth.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._background_fbo = self.ctx.framebuffer([self._background_color], self._background_depth)
        self._quad = self.ctx.buffer(_QUAD.tobytes())
        meshes = {shape: mesh(shape, segments_for(self.height)) for shape in SHAPES}
        self._meshes = {shape: self.ctx.buffer(vertices.tobytes()) for shape, vertices in meshes.items()}
        self._mesh_vertices = {shape: len(vertices) for shape, vertices in meshes.items()}
        # Instance buffers grow to the largest clip seen and are reused; vertex arrays are rebuilt only on growth.
        self._instances = self.ctx.buffer(reserve=_INSTANCE_FLOATS * 4 * 1024, dynamic=True)
        self._tiles = self.ctx.buffer(reserve=4 * 256, dynamic=True)
        self._vertex_arrays: dict[str, object] = {}
        self._build_vertex_arrays()
        self._textures: dict[str, object] = {}
        self._atlases: dict[int, _Atlas] = {}
        self._white = self.ctx.texture((1, 1), 3, b"\xff\xff\xff")

    @property
    def info(self) -> dict[str, str]:
        """The GL implementation: ``renderer`` (e.g. ``llvmpipe (LLVM 15.0.6, 256 bits)``), ``version`` (with the
        Mesa version), ``vendor``."""
        info = self.ctx.info
        return {"renderer": info["GL_RENDERER"], "version": info["GL_VERSION"], "vendor": info["GL_VENDOR"]}

    def release(self) -> None:
        """Free the GL context and everything on it."""
        self.ctx.__enter__()  # make it current, so that its objects (not another renderer's) are freed
        self.ctx.release()

    # ---- GL objects -------------------------------------------------------------------------------------------
    def _build_vertex_arrays(self) -> None:
        for vao in self._vertex_arrays.values():
            vao.release()
        instance = (self._instances, _INSTANCE_FORMAT, *_INSTANCE_ATTRIBUTES)
        arrays = {
            shape: self.ctx.vertex_array(
                self._object_program, [(buffer, "3f 3f", "in_position", "in_normal"), instance]
            )
            for shape, buffer in self._meshes.items()
        }
        # the blob shader ignores the rotation, which the GL compiler then drops: skip its 12 bytes
        blob_instance = (self._instances, "3f 12x 3f 4f 1f/i", "i_position", "i_scale", "i_color", "i_tile")
        arrays["blob"] = self.ctx.vertex_array(self._blob_program, [(self._quad, "2f", "in_corner"), blob_instance])
        tiles = (self._tiles, "1f/i", "i_tile")
        arrays["surface"] = self.ctx.vertex_array(self._surface_program, [(self._quad, "2f", "in_corner"), tiles])
        arrays["sky"] = self.ctx.vertex_array(self._sky_program, [(self._quad, "2f", "in_corner"), tiles])
        arrays["background"] = self.ctx.vertex_array(self._background_program, [(self._quad, "2f", "in_corner"), tiles])
        self._vertex_arrays = arrays

    def _reserve(self, instance_bytes: int, tile_bytes: int) -> None:
        grown = False
        if instance_bytes > self._instances.size:
            self._instances.orphan(max(instance_bytes, 2 * self._instances.size))
            grown = True
        if tile_bytes > self._tiles.size:
            self._tiles.orphan(max(tile_bytes, 2 * self._tiles.size))
            grown = True
        if grown:
            self._build_vertex_arrays()

    def _texture(self, key: str, image: np.ndarray):
        texture = self._textures.pop(key, None)
        if texture is None:
            if len(self._textures) >= MAX_CACHED_TEXTURES:  # a user folder may hold many images: keep the recent
                self._textures.pop(next(iter(self._textures))).release()
            image = np.ascontiguousarray(image[::-1], dtype=np.uint8)  # GL rows run bottom to top
            texture = self.ctx.texture((image.shape[1], image.shape[0]), 3, image.tobytes(), alignment=1)
            texture.build_mipmaps()
            texture.filter = (self._moderngl.LINEAR_MIPMAP_LINEAR, self._moderngl.LINEAR)
            texture.repeat_x = texture.repeat_y = True
        self._textures[key] = texture  # (re)inserted last: the dict's order is least recently used first
        return texture

    def _atlas(self, tiles: int) -> _Atlas:
        atlas = self._atlases.get(tiles)
        if atlas is None:
            columns = min(tiles, max(1, MAX_ATLAS_SIDE // self.width), math.ceil(math.sqrt(tiles)))
            rows = math.ceil(tiles / columns)
            size = (columns * self.width, rows * self.height)
            msaa = self.ctx.framebuffer(
                color_attachments=[self.ctx.renderbuffer(size, 4, samples=self.samples)],
                depth_attachment=self.ctx.depth_renderbuffer(size, samples=self.samples),
            )
            resolved = msaa if not self.samples else self.ctx.framebuffer([self.ctx.renderbuffer(size, 4)])
            atlas = self._atlases[tiles] = _Atlas(columns, rows, msaa, resolved)
        return atlas

    def tiles_per_pass(self, num_frames: int) -> int:
        """How many frames one pass draws: as many as fit the atlas budget, at least one."""
        by_pixels = MAX_ATLAS_PIXELS // (self.width * self.height)
        by_side = (MAX_ATLAS_SIDE // self.width) * (MAX_ATLAS_SIDE // self.height)
        return max(1, min(num_frames, by_pixels, by_side))

    # ---- drawing ----------------------------------------------------------------------------------------------
    def render(self, timeline: Timeline, appearance: AppearanceFactors, background: np.ndarray) -> np.ndarray:
        """Draw every frame of ``timeline`` as seen under ``appearance``.

        Args:
            timeline: the clip's object states (validated here).
            appearance: view, camera, material and lighting; ``appearance.background`` keys the texture cache.
            background: the background image ``(S, S, 3)`` uint8 (uploaded once per name and process).

        Returns:
            ``(timeline.num_frames, height, width, 3)`` uint8 RGB frames.
        """
        timeline.validate()
        # A process may hold several renderers; make this one's context current for the calls below.
        with self.ctx:
            return self._render(timeline, appearance, background)

    def _render(self, timeline: Timeline, appearance: AppearanceFactors, background: np.ndarray) -> np.ndarray:
        frames = np.empty((timeline.num_frames, self.height, self.width, 3), np.uint8)
        per_pass = self.tiles_per_pass(timeline.num_frames)
        atlas = self._atlas(per_pass)
        self._reserve(_INSTANCE_FLOATS * 4 * (len(timeline.objects) + len(timeline.props)) * per_pass, 4 * per_pass)
        self._tiles.write(np.arange(per_pass, dtype=np.float32).tobytes())
        self._set_uniforms(appearance)
        self._draw_background(appearance, self._texture(appearance.background, background))
        self._set_tiles(atlas.columns, atlas.rows)
        instances = _object_instances(timeline, camera_eye(appearance))
        props = _prop_instances(timeline)
        for start in range(0, timeline.num_frames, per_pass):
            count = min(per_pass, timeline.num_frames - start)
            self._draw_pass(atlas, appearance, instances, props, start, count)
            frames[start : start + count] = self._read_tiles(atlas, count)
        return frames

    def _set_uniforms(self, appearance: AppearanceFactors) -> None:
        view_projection = camera_view_projection(appearance, self.width, self.height)
        light = _direction(appearance.light_azimuth, appearance.light_elevation)
        shared = {
            "view_projection": tuple(view_projection.T.astype(np.float32).ravel()),
            "light_direction": tuple(light),
            "light_intensity": appearance.light_intensity,
            "ambient": appearance.ambient,
            "eye": tuple(camera_eye(appearance)),
            "sky_top": SKY_TOP,
            "sky_horizon": SKY_HORIZON,
            "ground_tint": (0.3, 0.3, 0.3),
            "material": MATERIAL_PARAMETERS[appearance.material],
        }
        for program in self._programs():
            for name, value in shared.items():
                if name in program:
                    program[name].value = value

    def _programs(self) -> tuple:
        return (
            self._object_program,
            self._surface_program,
            self._sky_program,
            self._blob_program,
            self._background_program,
        )

    def _set_tiles(self, columns: int, rows: int) -> None:
        for program in self._programs():
            program["atlas_tiles"].value = (columns, rows)

    def _draw_background(self, appearance: AppearanceFactors, texture) -> None:
        """Draw the clip's static background once, into the 2x colour and depth textures."""
        ctx, mgl = self.ctx, self._moderngl
        self._set_tiles(1, 1)
        self._background_fbo.use()
        ctx.viewport = (0, 0, 2 * self.width, 2 * self.height)
        ctx.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
        ctx.disable(mgl.DEPTH_TEST | mgl.BLEND | mgl.CULL_FACE)
        self._vertex_arrays["sky"].render(mgl.TRIANGLES, instances=1)
        ctx.enable(mgl.DEPTH_TEST)
        vao, program = self._vertex_arrays["surface"], self._surface_program
        program["surface_texture"].value = 0
        ground = {
            "surface_origin": (0.0, 0.0, 0.0),
            "surface_u": (GROUND_HALF_SIZE, 0.0, 0.0),
            "surface_v": (0.0, 0.0, -GROUND_HALF_SIZE),
            "surface_normal": (0.0, 1.0, 0.0),
            "texture_scale": (GROUND_HALF_SIZE / GROUND_TEXTURE_PERIOD,) * 2,
            "texture_offset": (0.0, 0.0),
            "surface_tint": (1.0, 1.0, 1.0),
        }
        if appearance.view == "regular":
            surfaces = [(ground, texture)]
        else:
            # the backdrop shows the image once, centred on the stage; the floor is a plain grey
            half_width = STAGE_EXTENT + 4.0
            backdrop = {
                "surface_origin": (0.0, half_width, BACKDROP_Z),
                "surface_u": (half_width, 0.0, 0.0),
                "surface_v": (0.0, half_width, 0.0),
                "surface_normal": (0.0, 0.0, 1.0),
                "texture_scale": (0.5, 0.5),
                "texture_offset": (0.5, 0.5),
                "surface_tint": (1.0, 1.0, 1.0),
            }
            surfaces = [(dict(ground, surface_tint=(0.45, 0.45, 0.45)), self._white), (backdrop, texture)]
        for values, surface_texture in surfaces:
            surface_texture.use(0)
            for name, value in values.items():
                program[name].value = value
            vao.render(mgl.TRIANGLES, instances=1)

    def _draw_pass(self, atlas: _Atlas, appearance, instances, props, start: int, count: int) -> None:
        ctx, mgl = self.ctx, self._moderngl
        atlas.msaa.use()
        ctx.viewport = (0, 0, atlas.columns * self.width, atlas.rows * self.height)
        ctx.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
        opaque, translucent = (_select_frames(block, start, count) for block in instances)
        frame_props = _tile_props(props, count)

        # the background copy writes colour and depth everywhere, so its depth test must always pass
        ctx.disable(mgl.BLEND | mgl.CULL_FACE)
        ctx.enable(mgl.DEPTH_TEST)
        ctx.depth_func = "1"
        self._background_color.use(0)
        self._background_depth.use(1)
        self._vertex_arrays["background"].render(mgl.TRIANGLES, instances=count)
        ctx.depth_func = "<"

        # blob shadows of every drawn object, blended onto the ground, never hiding anything
        ctx.enable(mgl.BLEND)
        ctx.blend_func = mgl.SRC_ALPHA, mgl.ONE_MINUS_SRC_ALPHA
        ctx.depth_mask = False
        shadows = np.concatenate([opaque, translucent, frame_props])[:, :_INSTANCE_FLOATS]
        if len(shadows):
            self._instances.write(np.ascontiguousarray(shadows).tobytes())
            self._vertex_arrays["blob"].render(mgl.TRIANGLES, instances=len(shadows))
        ctx.depth_mask = True
        ctx.disable(mgl.BLEND)

        ctx.enable(mgl.CULL_FACE)  # every mesh is closed and wound counter-clockwise outward
        if len(frame_props):
            self._object_program["material"].value = PROP_MATERIAL
            self._draw_objects(frame_props)
            self._object_program["material"].value = MATERIAL_PARAMETERS[appearance.material]
        self._draw_objects(opaque)
        if len(translucent):
            ctx.enable(mgl.BLEND)
            ctx.depth_mask = False
            self._draw_objects(translucent)
            ctx.depth_mask = True

    def _draw_objects(self, block: np.ndarray) -> None:
        """Draw instance rows ``(n, 15)`` (the last column is the shape index), one instanced call per shape."""
        if not len(block):
            return
        shapes = block[:, -1].astype(np.int64)
        for shape_index in np.unique(shapes):
            rows = np.ascontiguousarray(block[shapes == shape_index, :_INSTANCE_FLOATS])
            self._instances.write(rows.tobytes())
            shape = SHAPES[shape_index]
            self._vertex_arrays[shape].render(
                self._moderngl.TRIANGLES, vertices=self._mesh_vertices[shape], instances=len(rows)
            )

    def _read_tiles(self, atlas: _Atlas, count: int) -> np.ndarray:
        if atlas.resolved is not atlas.msaa:
            self.ctx.copy_framebuffer(atlas.resolved, atlas.msaa)
        width, height = atlas.columns * self.width, atlas.rows * self.height
        raw = np.frombuffer(atlas.resolved.read(components=3, alignment=1), np.uint8)
        image = raw.reshape(height, width, 3)[::-1]
        tiles = image.reshape(atlas.rows, self.height, atlas.columns, self.width, 3).transpose(0, 2, 1, 3, 4)
        return tiles.reshape(-1, self.height, self.width, 3)[:count]


def _object_instances(timeline: Timeline, eye: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Instance rows of every drawn (visible, not fully transparent) object state, split into opaque and translucent.

    Each row is the 14 instance floats (the tile column holds the frame index) plus the shape index. Translucent rows
    are sorted by frame, then far to near, so blending composes them in the right order within a shape.
    """
    shape_index = {name: i for i, name in enumerate(SHAPES)}
    blocks, depths = [], []
    frames = np.arange(timeline.num_frames, dtype=np.float32)
    for track in timeline.objects:
        drawn = track.visible & (track.opacity > 0)
        if not drawn.any():
            continue
        scale = np.repeat(track.scale[:, None], 3, axis=1)
        shapes = np.array([shape_index[s] for s in track.shape], np.float32)
        block = np.column_stack(
            [track.position, track.rotation, scale, track.color, track.opacity, frames, shapes]
        ).astype(np.float32)
        blocks.append(block[drawn])
        depths.append(np.linalg.norm(track.position[drawn] - eye, axis=1))
    if not blocks:
        empty = np.empty((0, _INSTANCE_FLOATS + 1), np.float32)
        return empty, empty
    rows, depth = np.concatenate(blocks), np.concatenate(depths)
    translucent = rows[:, 12] < _OPAQUE
    order = np.lexsort((-depth[translucent], rows[translucent, 13]))
    return rows[~translucent], rows[translucent][order]


def _prop_instances(timeline: Timeline) -> np.ndarray:
    """One instance row per prop (a grey box), tile column 0; :func:`_tile_props` repeats them per frame."""
    cube = SHAPES.index("cube")
    rows = [[*prop.center, 0.0, 0.0, 0.0, *prop.size, *prop.color, 1.0, 0.0, cube] for prop in timeline.props]
    return np.asarray(rows, np.float32).reshape(-1, _INSTANCE_FLOATS + 1)


def _tile_props(props: np.ndarray, count: int) -> np.ndarray:
    if not len(props):
        return props
    tiled = np.repeat(props[None], count, axis=0)
    tiled[:, :, 13] = np.arange(count, dtype=np.float32)[:, None]
    return tiled.reshape(-1, props.shape[1])


def _select_frames(rows: np.ndarray, start: int, count: int) -> np.ndarray:
    """The rows of frames ``start .. start + count - 1``, with their tile index made relative to the pass."""
    frame = rows[:, 13]
    chosen = rows[(frame >= start) & (frame < start + count)].copy()
    chosen[:, 13] -= start
    return chosen
