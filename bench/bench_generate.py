"""Syn-TA generation speed: the whole pipeline of ``mt-datasets syn-ta generate`` against Blender (``bpy``).

Ours: motion programs, moderngl/EGL rendering, H.264 encoding, staging and packing into the Hub layout (Parquet
shards, contact sheet, card), with one worker per core, at 128x128x32 and 224x224x64 frames. Reported: clips/min
over the whole run (worker start-up and packing included), the target of each size, the peak RSS of a worker and of
the main process, and the CPU time per clip of the hot path's steps (motion, render, encode) on one core.

Anchor: Blender (the release's engine), from the ``bpy`` wheel in a separate virtualenv (``--blender-python``),
rendering the same kind of scene (a textured ground, a sun, three moving primitives with a metallic material, the same
camera and size, the same frame count) straight to H.264 with Workbench (5x AA), Cycles (16 samples, no denoising)
and, with ``--eevee``, EEVEE (it starts headless on llvmpipe, but compiling its shaders on a software GL took more
than 1,200 s without finishing one 32-frame clip on the 2-core machine, so it is off by default). Blender's start-up
and scene building are *not* timed, only its render calls, so the ratio favours Blender.
Each engine runs in its own process (a crash or a hang costs only that engine).

    .venv/bin/python bench/bench_generate.py [--quick] [--eevee] [--blender-python .venv-bpy/bin/python]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"128x128x32": 2000.0, "224x224x64": 400.0}  # clips/min on 2 cores (issue 3)
BENCH_MAX_REPEATS = 1  # bench/run_all.py: one run (Blender's Cycles anchor alone takes minutes)
SIZES = {"128x128x32": (128, 32), "224x224x64": (224, 64)}
CAMERA = {"azimuth": 30.0, "elevation": 20.0, "distance": 11.0}
BLENDER_ENGINES = ("BLENDER_WORKBENCH", "CYCLES", "BLENDER_EEVEE_NEXT")
QUICK_COARSE_CLASSES = 4  # --quick generates the first fine class of this many coarse classes


def run_ours(size: int, num_frames: int, classes: list[str], clips_per_class: int, workers: int) -> dict:
    """Generate a motion-only dataset of ``classes`` and time the whole run."""
    from mt_datasets.syn_ta.generate import GenerationOptions, generate

    options = GenerationOptions.resolve(
        appearance_split="motion-only",
        preset="small",
        size=size,
        num_frames=num_frames,
        clips_per_class=clips_per_class,
        classes=classes,
        seed=0,
    )
    with tempfile.TemporaryDirectory(prefix="bench-synta-") as root:
        cpu_before = _cpu_seconds()
        start = time.perf_counter()
        result = generate(Path(root) / "out", options, workers=workers, progress=False)
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu_before
        dataset_bytes = sum(p.stat().st_size for p in (Path(root) / "out").rglob("*.parquet"))
    assert result.packed and result.made == result.num_clips
    return {
        "clips": result.num_clips,
        "seconds": round(seconds, 2),
        "clips_per_min": round(60 * result.num_clips / seconds, 1),
        # CPU time of the whole run (this process and its reaped workers), per clip: on a shared machine this is the
        # load-robust figure; 60 * cores / it is the throughput of `cores` dedicated cores at full use
        "cpu_ms_per_clip": round(1000 * cpu / result.num_clips, 1),
        "clips_per_min_on_2_dedicated_cores": round(2 * 60 * result.num_clips / cpu, 1),
        "mean_clip_kib": round(dataset_bytes / result.num_clips / 1024, 1),
        "renderer": result.renderers,
    }


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its terminated, reaped children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def hot_path_cpu_ms(size: int, num_frames: int, classes: list[str], max_clips: int = 20) -> dict:
    """CPU milliseconds per clip of each step, in this process (one core, llvmpipe without threads), over at most
    ``max_clips`` clips spread over ``classes``: a load-robust view of where the time goes. The encode step is the
    generator's (x264 with one thread)."""
    import numpy as np

    from mt_datasets.syn_ta.appearance import get_appearance_split, sample_appearance
    from mt_datasets.syn_ta.backgrounds import BackgroundLibrary
    from mt_datasets.syn_ta.generate import GenerationOptions, clip_seed, plan_clips
    from mt_datasets.syn_ta.motions import MotionContext, motion_for_fine
    from mt_datasets.syn_ta.renderer import Renderer
    from mt_datasets.video import encode_video

    options = GenerationOptions.resolve(
        appearance_split="motion-only", size=size, num_frames=num_frames, classes=classes
    )
    specs = plan_clips(options)[:: max(1, len(classes) // 10)][:max_clips]
    library, protocol = BackgroundLibrary(), get_appearance_split("motion-only")
    previous = os.environ.get("LP_NUM_THREADS")
    os.environ["LP_NUM_THREADS"] = "0"
    renderer = Renderer(size, size)
    totals = {"motion": 0.0, "render": 0.0, "encode": 0.0}
    for repeat in range(2):  # the first pass warms up textures and caches
        for spec in specs:
            motion_seed, appearance_seed = np.random.SeedSequence(clip_seed(0, spec)).spawn(2)
            factors = sample_appearance(
                np.random.default_rng(appearance_seed), protocol, spec.fine_set, spec.view, library.names
            )
            start = time.process_time()
            context = MotionContext(
                rng=np.random.default_rng(motion_seed),
                num_frames=num_frames,
                shapes=factors.shapes,
                palette=np.asarray(factors.palette_linear()),
            )
            timeline = motion_for_fine(spec.fine)(context)
            after_motion = time.process_time()
            frames = renderer.render(timeline, factors, library.image(factors.background_index))
            after_render = time.process_time()
            encode_video(frames, fps=16, options={"crf": "20", "preset": options.x264_preset, "threads": "1"})
            if repeat:
                totals["motion"] += after_motion - start
                totals["render"] += after_render - after_motion
                totals["encode"] += time.process_time() - after_render
    renderer.release()
    if previous is None:
        del os.environ["LP_NUM_THREADS"]
    else:
        os.environ["LP_NUM_THREADS"] = previous
    return {step: round(1000 * seconds / len(specs), 1) for step, seconds in totals.items()}


def run_blender(python: str, engine: str, size: int, num_frames: int, clips: int, timeout: float) -> dict:
    """Render ``clips`` clips of the anchor scene with one Blender engine in a child process."""
    from mt_datasets.syn_ta.backgrounds import procedural_texture

    with tempfile.TemporaryDirectory(prefix="bench-blender-") as root:
        texture = Path(root) / "ground.png"
        from PIL import Image

        Image.fromarray(procedural_texture(3)).save(texture)
        job = {"engine": engine, "size": size, "num_frames": num_frames, "clips": clips, "texture": str(texture)}
        job["out"] = root
        try:
            child = subprocess.run(
                [python, __file__, "--blender-child", json.dumps(job)],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"no clip finished within {timeout:.0f} s"}
    lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
    if child.returncode != 0 or not lines:
        return {"error": f"exit {child.returncode}: {(child.stderr or child.stdout)[-400:]}"}
    return json.loads(lines[-1])


def blender_child(job: dict) -> None:
    """Inside the bpy interpreter: build the anchor scene and time its renders (prints one JSON line)."""
    import math

    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    size, num_frames = job["size"], job["num_frames"]
    # Blender is z-up; the stage's (x, y, z) maps to Blender's (x, -z, y)
    bpy.ops.mesh.primitive_plane_add(size=120)
    ground = bpy.context.object
    material = bpy.data.materials.new("ground")
    material.use_nodes = True
    image = material.node_tree.nodes.new("ShaderNodeTexImage")
    image.image = bpy.data.images.load(job["texture"])
    mapping = material.node_tree.nodes.new("ShaderNodeMapping")
    coords = material.node_tree.nodes.new("ShaderNodeTexCoord")
    mapping.inputs["Scale"].default_value = (20.0, 20.0, 1.0)
    links = material.node_tree.links
    links.new(coords.outputs["UV"], mapping.inputs["Vector"])
    links.new(mapping.outputs["Vector"], image.inputs["Vector"])
    links.new(image.outputs["Color"], material.node_tree.nodes["Principled BSDF"].inputs["Base Color"])
    ground.data.materials.append(material)
    metal = bpy.data.materials.new("metal")
    metal.use_nodes = True
    metal.node_tree.nodes["Principled BSDF"].inputs["Metallic"].default_value = 0.8
    metal.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.8, 0.1, 0.1, 1.0)
    adders = (
        lambda: bpy.ops.mesh.primitive_cube_add(size=1.0),
        lambda: bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5),
        lambda: bpy.ops.mesh.primitive_torus_add(major_radius=0.35, minor_radius=0.15),
    )
    for k, add in enumerate(adders):
        add()
        body = bpy.context.object
        body.data.materials.append(metal)
        for frame, x in ((1, -3.0 + 2.0 * k), (num_frames, -1.0 + 2.0 * k)):
            body.location = (x, 0.0, 0.5 + 0.5 * (frame > 1))
            body.keyframe_insert("location", frame=frame)
    azimuth, elevation = math.radians(CAMERA["azimuth"]), math.radians(CAMERA["elevation"])
    eye = (
        CAMERA["distance"] * math.cos(elevation) * math.sin(azimuth),
        -CAMERA["distance"] * math.cos(elevation) * math.cos(azimuth),
        0.9 + CAMERA["distance"] * math.sin(elevation),
    )
    bpy.ops.object.camera_add(location=eye, rotation=(math.pi / 2 - elevation, 0.0, azimuth))
    scene.camera = bpy.context.object
    scene.camera.data.sensor_fit = "VERTICAL"
    scene.camera.data.angle = math.radians(40.0)
    bpy.ops.object.light_add(type="SUN", rotation=(0.6, 0.2, 0.4))
    world = bpy.data.worlds.new("sky")
    world.color = (0.5, 0.6, 0.8)
    scene.world = world

    scene.render.engine = job["engine"]
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.frame_start, scene.frame_end = 1, num_frames
    scene.render.fps = 16
    if job["engine"] == "CYCLES":
        scene.cycles.device = "CPU"
        scene.cycles.samples = 16
        scene.cycles.use_denoising = False
    elif job["engine"] == "BLENDER_WORKBENCH":
        scene.display.render_aa = "5"
    scene.render.image_settings.file_format = "FFMPEG"
    scene.render.ffmpeg.format = "MPEG4"
    scene.render.ffmpeg.codec = "H264"
    seconds = []
    for clip in range(job["clips"]):
        scene.render.filepath = os.path.join(job["out"], f"clip{clip}_")
        start = time.perf_counter()
        bpy.ops.render.render(animation=True)
        seconds.append(time.perf_counter() - start)
    # the first clip pays one-off shader compilation; report both
    steady = seconds[1:] or seconds
    print(
        json.dumps(
            {
                "blender": bpy.app.version_string,
                "clips": len(seconds),
                "first_clip_seconds": round(seconds[0], 2),
                "clips_per_min": round(60 * len(steady) / sum(steady), 2),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true",
        help="a smoke run (what make test runs): 4 classes, 4 clips of the hot path, Blender Workbench at 128 only",
    )  # fmt: skip
    parser.add_argument("--blender-python", default=os.environ.get("MT_BENCH_BPY_PYTHON", ".venv-bpy/bin/python"))
    parser.add_argument("--eevee", action="store_true", help="also time EEVEE (hours on a software GL)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--no-blender", action="store_true", help="measure ours only")
    parser.add_argument("--blender-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blender_child:
        blender_child(json.loads(args.blender_child))
        return

    from mt_datasets import get_taxonomy

    taxonomy = get_taxonomy("syn-ta")
    # the first fine class of 4 coarse classes (quick), or every fine class
    fine = [taxonomy.fine_classes_of(c)[0] for c in range(QUICK_COARSE_CLASSES)] if args.quick else range(100)
    classes = [taxonomy.file_stem(f) for f in fine]
    result: dict = {
        "bench": "generate",
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
        "workers": args.workers,
        "quick": args.quick,
        "ours": {},
        "blender": {},
        "ratio_ours_over_blender": {},
    }
    for name, (size, num_frames) in SIZES.items():
        # clips per view and class: 2 (quick: 16 clips), or 5 at 128 (1000 clips) and 2 at 224 (400 clips)
        ours = run_ours(size, num_frames, classes, 2 if args.quick or size > 128 else 5, args.workers)
        ours["target_clips_per_min"] = TARGETS[name]
        ours["meets_target"] = ours["clips_per_min"] >= TARGETS[name]
        result["ours"][name] = ours
    result["peak_rss_mib"] = {
        "worker": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "main": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    result["hot_path_cpu_ms_per_clip"] = {
        name: hot_path_cpu_ms(size, num_frames, classes, 4 if args.quick else 20)
        for name, (size, num_frames) in SIZES.items()
    }

    if args.no_blender:
        result["blender"] = {"skipped": "--no-blender"}
    elif not Path(args.blender_python).is_file():
        result["blender"] = {"error": f"no bpy interpreter at {args.blender_python} (pip install bpy in a venv)"}
    else:
        for name, (size, num_frames) in SIZES.items():
            for engine in BLENDER_ENGINES:
                # --quick: Workbench at the small size only (Cycles takes minutes); EEVEE (compiling its shaders on
                # llvmpipe takes minutes) only when asked for, and at the small size only
                if args.quick and (engine != "BLENDER_WORKBENCH" or size > 128):
                    continue
                if engine == "BLENDER_EEVEE_NEXT" and (size > 128 or not args.eevee):
                    continue
                clips = 2 if args.quick else {"BLENDER_WORKBENCH": 3, "CYCLES": 1, "BLENDER_EEVEE_NEXT": 2}[engine]
                timeout = 1200 if engine == "BLENDER_EEVEE_NEXT" else 600
                anchor = run_blender(args.blender_python, engine, size, num_frames, clips, timeout)
                result["blender"][f"{engine} {name}"] = anchor
                if "clips_per_min" in anchor:
                    ratio = result["ours"][name]["clips_per_min"] / anchor["clips_per_min"]
                    result["ratio_ours_over_blender"][f"{engine} {name}"] = round(ratio, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
