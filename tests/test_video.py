"""mt_datasets.video on real files written by PyAV: sampling, both backends, every source form, bad files, paths."""

from __future__ import annotations

import ctypes.util
import logging
import sys
from pathlib import Path

import av
import datasets
import numpy as np
import pytest
import torch
from factories import dirty_freed_heap
from hypothesis import given, settings
from hypothesis import strategies as st

from mt_datasets import video
from mt_datasets.video import (
    VideoDecodeError,
    encode_mp4,
    encode_video,
    probe_video,
    read_clip,
    read_clips,
    read_frames,
    resolve_video_path,
    sample_indices,
)

NUM_FRAMES = 8
BACKENDS = ("torchcodec", "pyav")


def smooth_frames(num_frames: int, height: int, width: int) -> np.ndarray:
    """Smooth colour waves that move with time: every frame differs, and chroma subsampling loses little."""
    t = np.arange(num_frames)[:, None, None] / num_frames
    y = np.arange(height)[None, :, None] / height
    x = np.arange(width)[None, None, :] / width
    red = 128 + 100 * np.sin(2 * np.pi * (x + t))
    green = 128 + 100 * np.cos(2 * np.pi * (y + t))
    blue = 128 + 60 * np.sin(np.pi * (x + y)) + 0 * t
    return np.stack(np.broadcast_arrays(red, green, blue), axis=-1).round().astype(np.uint8)


def noise_frames(num_frames: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Random pixels: the hardest case for two colour converters to agree on."""
    return np.random.default_rng(seed).integers(0, 256, (num_frames, height, width, 3), dtype=np.uint8)


# Videos on which both backends must agree bit for bit. Widths that are and are not multiples of 32 take different
# colour-conversion paths inside torchcodec; 10-bit, odd-sized 4:2:0 and full-range yuv420p (not yuvj420p) are where
# a naive PyAV conversion differs.
AGREEMENT_VIDEOS = {
    "h264-420-64x64": dict(container_format="mp4", codec="libx264", pix_fmt="yuv420p", size=(64, 64)),
    "h264-420-48x80": dict(container_format="mp4", codec="libx264", pix_fmt="yuv420p", size=(48, 80)),
    "h264-444-35x51": dict(container_format="mp4", codec="libx264", pix_fmt="yuv444p", size=(35, 51)),
    "h264-420-10bit-32x64": dict(container_format="mp4", codec="libx264", pix_fmt="yuv420p10le", size=(32, 64)),
    "vp9-420-35x51": dict(container_format="webm", codec="libvpx-vp9", pix_fmt="yuv420p", size=(35, 51)),
    "vp9-420-fullrange-32x64": dict(
        container_format="webm", codec="libvpx-vp9", pix_fmt="yuv420p", size=(32, 64), options={"color_range": "pc"}
    ),
    "vp8-420-34x46": dict(container_format="webm", codec="libvpx", pix_fmt="yuv420p", size=(34, 46)),
}
AVAILABLE_VIDEOS = [name for name, spec in AGREEMENT_VIDEOS.items() if spec["codec"] in av.codecs_available]


@pytest.fixture(scope="module")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    for name in AVAILABLE_VIDEOS:
        spec = dict(AGREEMENT_VIDEOS[name])
        height, width = spec.pop("size")
        suffix = ".webm" if spec["container_format"] == "webm" else ".mp4"
        encode_video(noise_frames(NUM_FRAMES, height, width), root / f"{name}{suffix}", fps=8, **spec)
    return root


@pytest.fixture(scope="module")
def source_frames() -> np.ndarray:
    return smooth_frames(NUM_FRAMES, 32, 48)


@pytest.fixture(scope="module")
def mp4_path(tmp_path_factory: pytest.TempPathFactory, source_frames: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("mp4") / "clip.mp4"
    encode_mp4(source_frames, path, fps=8, crf=0)
    return path


@pytest.fixture(scope="module")
def all_frames(mp4_path: Path) -> torch.Tensor:
    return read_frames(mp4_path, range(NUM_FRAMES), backend="pyav")


# ----------------------------------------------------------------------------------------------------------- sampling


def test_uniform_takes_segment_centres():
    assert sample_indices(64, 16).tolist() == [list(range(2, 64, 4))]
    assert sample_indices(10, 4).tolist() == [[1, 3, 6, 8]]  # segments of 2.5 frames, centres 1.25, 3.75, ...


def test_uniform_views_shift_evenly_within_segments():
    views = sample_indices(64, 8, num_clips=4)  # segments of 8 frames; offsets 1, 3, 5, 7 within each
    assert views.tolist() == [[8 * t + offset for t in range(8)] for offset in (1, 3, 5, 7)]


def test_uniform_short_video_repeats_frames_in_order():
    assert sample_indices(4, 8).tolist() == [[0, 0, 1, 1, 2, 2, 3, 3]]


def test_stride_window_is_centred():
    (clip,) = sample_indices(64, 8, sampling="stride", stride=2)  # window of 15 frames, 49 frames of slack
    assert clip.tolist() == list(range(24, 39, 2))


def test_stride_views_spread_from_first_to_last_window():
    views = sample_indices(64, 8, sampling="stride", stride=2, num_clips=3)
    assert views[:, 0].tolist() == [0, 24, 49]
    assert views[-1, -1] == 63
    assert (np.diff(views, axis=1) == 2).all()


def test_stride_short_video_pads_with_last_frame():
    assert sample_indices(5, 4, sampling="stride", stride=2).tolist() == [[0, 2, 4, 4]]
    assert sample_indices(5, 4, sampling="stride", stride=2, num_clips=2).tolist() == [[0, 2, 4, 4]] * 2


@settings(max_examples=200, deadline=None)
@given(
    num_video_frames=st.integers(1, 500),
    num_frames=st.integers(1, 64),
    num_clips=st.integers(1, 10),
    stride=st.integers(1, 8),
    sampling=st.sampled_from(["uniform", "stride"]),
)
def test_sample_indices_properties(num_video_frames, num_frames, num_clips, stride, sampling):
    indices = sample_indices(num_video_frames, num_frames, sampling=sampling, stride=stride, num_clips=num_clips)
    assert indices.shape == (num_clips, num_frames) and indices.dtype == np.int64
    assert indices.min() >= 0 and indices.max() < num_video_frames
    assert (np.diff(indices, axis=1) >= 0).all()  # time runs forward in every clip
    again = sample_indices(num_video_frames, num_frames, sampling=sampling, stride=stride, num_clips=num_clips)
    assert np.array_equal(indices, again)
    if sampling == "uniform" and num_video_frames >= num_frames:
        assert (np.diff(indices, axis=1) > 0).all()  # no repeats when the video is long enough
        assert indices[:, 0].max() < num_video_frames / num_frames  # every clip starts in the first segment
    if sampling == "stride" and num_video_frames >= (num_frames - 1) * stride + 1:
        assert (np.diff(indices, axis=1) == stride).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(num_video_frames=0, num_frames=4), "num_video_frames must be a positive integer"),
        (dict(num_video_frames=8, num_frames=0), "num_frames must be a positive integer"),
        (dict(num_video_frames=8, num_frames=4, num_clips=0), "num_clips must be a positive integer"),
        (dict(num_video_frames=8, num_frames=4, sampling="stride", stride=0), "stride must be a positive integer"),
        (dict(num_video_frames=8, num_frames=4, sampling="unifrom"), "Did you mean 'uniform'"),
    ],
)
def test_sample_indices_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_indices(**kwargs)


# ----------------------------------------------------------------------------------------------------------- decoding


@pytest.mark.parametrize("name", AVAILABLE_VIDEOS)
def test_backends_give_identical_frames(video_dir: Path, name: str):
    (path,) = video_dir.glob(f"{name}.*")
    height, width = AGREEMENT_VIDEOS[name]["size"]
    frames = {backend: read_frames(path, range(NUM_FRAMES), backend=backend) for backend in BACKENDS}
    assert frames["torchcodec"].shape == (NUM_FRAMES, 3, height, width)
    assert frames["torchcodec"].dtype == torch.uint8
    assert torch.equal(frames["torchcodec"], frames["pyav"])
    assert frames["torchcodec"].stride() == frames["pyav"].stride()  # the same memory layout too
    assert probe_video(path, backend="torchcodec") == probe_video(path, backend="pyav")


def test_probe_reads_the_container(mp4_path: Path):
    info = probe_video(mp4_path)
    assert (info.num_frames, info.fps, info.width, info.height) == (NUM_FRAMES, 8.0, 48, 32)
    assert info.duration_seconds == pytest.approx(1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_decoded_frames_match_the_source(mp4_path: Path, source_frames: np.ndarray, backend: str):
    decoded = read_frames(mp4_path, range(NUM_FRAMES), backend=backend).permute(0, 2, 3, 1).numpy().astype(int)
    error = np.abs(decoded - source_frames)
    assert error.mean() < 5  # crf=0 is lossless in YUV; what is left is yuv420p's halved colour resolution
    # Frame accuracy: each decoded frame is closest to the source frame of the same index.
    distance = ((decoded[:, None] - source_frames[None].astype(int)) ** 2).mean(axis=(2, 3, 4))
    assert distance.argmin(axis=1).tolist() == list(range(NUM_FRAMES))


def test_lossless_444_round_trip_is_within_rounding(tmp_path: Path, source_frames: np.ndarray):
    data = encode_video(source_frames, pix_fmt="yuv444p", fps=8, options={"crf": "0"})
    decoded = read_frames(data, range(NUM_FRAMES)).permute(0, 2, 3, 1).numpy().astype(int)
    assert np.abs(decoded - source_frames).max() <= 2  # only RGB <-> YUV rounding remains


@pytest.mark.parametrize("backend", BACKENDS)
def test_read_clip_and_clips_pick_the_sampled_frames(mp4_path: Path, all_frames: torch.Tensor, backend: str):
    clip = read_clip(mp4_path, 4, backend=backend)
    assert torch.equal(clip, all_frames[[1, 3, 5, 7]])
    strided = read_clip(mp4_path, 3, sampling="stride", stride=3, backend=backend)
    assert torch.equal(strided, all_frames[[0, 3, 6]])
    views = read_clips(mp4_path, 4, 2, backend=backend)
    assert views.shape == (2, 4, 3, 32, 48)
    assert torch.equal(views[0], all_frames[[0, 2, 4, 6]]) and torch.equal(views[1], all_frames[[1, 3, 5, 7]])
    padded = read_clip(mp4_path, 6, sampling="stride", stride=2, backend=backend)
    assert torch.equal(padded, all_frames[[0, 2, 4, 6, 7, 7]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_read_frames_in_any_order_with_repeats(mp4_path: Path, all_frames: torch.Tensor, backend: str):
    assert torch.equal(read_frames(mp4_path, [5, 0, 5, 7], backend=backend), all_frames[[5, 0, 5, 7]])
    with pytest.raises(IndexError, match=r"\[8\] are outside .*clip.mp4, which has 8 frames"):
        read_frames(mp4_path, [0, 8], backend=backend)
    with pytest.raises(ValueError, match="1-D sequence of integers"):
        read_frames(mp4_path, [[0, 1]], backend=backend)


def test_every_source_form_gives_the_same_frames(mp4_path: Path, all_frames: torch.Tensor):
    from torchcodec.decoders import VideoDecoder

    data = mp4_path.read_bytes()
    sources = {
        "str": str(mp4_path),
        "bytes": data,
        "dict with path": {"bytes": None, "path": str(mp4_path)},
        "dict with bytes": {"bytes": data, "path": "clip.mp4"},
        "VideoDecoder": VideoDecoder(str(mp4_path)),
        "VideoDecoder NHWC": VideoDecoder(data, dimension_order="NHWC"),
    }
    for name, source in sources.items():
        assert torch.equal(read_clip(source, NUM_FRAMES), all_frames), name
    for name in ("bytes", "dict with path", "dict with bytes"):
        assert torch.equal(read_clip(sources[name], NUM_FRAMES, backend="pyav"), all_frames), name


def test_reads_what_datasets_video_gives(mp4_path: Path, all_frames: torch.Tensor):
    rows = datasets.Dataset.from_dict({"video": [str(mp4_path)]}).cast_column("video", datasets.Video())
    decoder = rows[0]["video"]
    assert torch.equal(read_clip(decoder, 4), all_frames[[1, 3, 5, 7]])
    assert probe_video(decoder).num_frames == NUM_FRAMES
    raw = rows.cast_column("video", datasets.Video(decode=False))[0]["video"]
    assert torch.equal(read_clip(raw, 4, backend="pyav"), all_frames[[1, 3, 5, 7]])
    with pytest.raises(ValueError, match="Video\\(decode=False\\)"):
        read_clip(decoder, 4, backend="pyav")


def test_unknown_backend_and_source_type(mp4_path: Path):
    with pytest.raises(ValueError, match="Did you mean 'pyav'"):
        read_clip(mp4_path, 4, backend="pyva")
    with pytest.raises(TypeError, match="got int"):
        read_clip(3, 4)
    with pytest.raises(TypeError, match="'bytes' or 'path' key"):
        read_clip({"file": str(mp4_path)}, 4)


def test_auto_backend_logs_its_choice_once(mp4_path: Path, caplog: pytest.LogCaptureFixture):
    video._auto_backend.cache_clear()
    with caplog.at_level(logging.INFO, logger="mt_datasets.video"):
        read_clip(mp4_path, 2)
        read_clip(mp4_path, 2)
    assert [r.getMessage() for r in caplog.records] == ["mt_datasets.video decodes with torchcodec"]


@pytest.fixture
def broken_torchcodec(monkeypatch: pytest.MonkeyPatch):
    """An environment where `import torchcodec.decoders` fails, as it does when FFmpeg's libraries are missing."""
    monkeypatch.setitem(sys.modules, "torchcodec.decoders", None)
    video._torchcodec_import_error.cache_clear()
    video._auto_backend.cache_clear()
    yield
    video._torchcodec_import_error.cache_clear()
    video._auto_backend.cache_clear()


def test_auto_falls_back_to_pyav(
    broken_torchcodec, mp4_path: Path, all_frames: torch.Tensor, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, logger="mt_datasets.video"):
        assert torch.equal(read_clip(mp4_path, NUM_FRAMES), all_frames)
    assert "decodes with PyAV: torchcodec is unavailable" in caplog.text
    with pytest.raises(ImportError, match="backend='pyav'"):
        read_clip(mp4_path, 2, backend="torchcodec")


# ----------------------------------------------------------------------------------------------------------- bad files


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory, mp4_path: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad")
    good = mp4_path.read_bytes()
    contents = {
        "corrupt.mp4": np.random.default_rng(1).bytes(4096),
        "truncated.mp4": good[: len(good) // 2],
        "empty.mp4": b"",
        "notes.webm": b"these are my notes, renamed by mistake\n" * 20,
    }
    for name, data in contents.items():
        (root / name).write_bytes(data)
    return {Path(name).stem: root / name for name in contents} | {"missing": root / "missing.mp4"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["corrupt", "truncated", "empty", "notes", "missing"])
def test_bad_files_raise_video_decode_error(bad_files: dict[str, Path], kind: str, backend: str):
    path = bad_files[kind]
    for read in (lambda: read_clip(path, 4, backend=backend), lambda: probe_video(path, backend=backend)):
        with pytest.raises(VideoDecodeError) as caught:
            read()
        assert caught.value.source == str(path)
        assert str(path) in str(caught.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_bytes_are_named_by_size(bad_files: dict[str, Path], backend: str):
    data = bad_files["corrupt"].read_bytes()
    with pytest.raises(VideoDecodeError, match="<bytes: 4096>") as caught:
        read_clip(data, 4, backend=backend)
    assert caught.value.source == "<bytes: 4096>"
    with pytest.raises(VideoDecodeError, match="'path' are None"):
        read_clip({"bytes": None, "path": None}, 4, backend=backend)
    with pytest.raises(VideoDecodeError, match="corrupt.mp4"):
        read_clip({"bytes": data, "path": "corrupt.mp4"}, 4, backend=backend)


def test_encoder_refuses_bad_frames():
    with pytest.raises(ValueError, match="even width and height, got 33x32"):
        encode_mp4([np.zeros((32, 33, 3), np.uint8)])
    with pytest.raises(ValueError, match="uint8 \\(H, W, 3\\)"):
        encode_mp4([np.zeros((32, 32), np.uint8)])
    with pytest.raises(ValueError, match="got no frames"):
        encode_mp4([])


@pytest.mark.skipif(ctypes.util.find_library("c") is None, reason="needs the C library's malloc")
@pytest.mark.parametrize("threads", [1, None])
def test_encode_bytes_do_not_depend_on_what_the_process_freed_before(threads: int | None):
    # x264's macroblock tree read memory it never wrote: the same frames gave 4 different files after 4 fillings of
    # the heap, so a generation worker's bytes depended on the clips it happened to encode before (issue 27).
    frames = smooth_frames(16, 64, 64)
    encodings = set()
    for byte in (0x00, 0xFF, 0x55, 0xAA):
        dirty_freed_heap(byte)
        encodings.add(encode_mp4(frames, fps=8, threads=threads))
    assert len(encodings) == 1


# ----------------------------------------------------------------------------------------------------------- paths


def test_resolve_video_path_stays_inside_root(tmp_path: Path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (tmp_path / "outside.mp4").write_bytes(b"x")
    (root / "a" / "inside.mp4").write_bytes(b"x")
    assert resolve_video_path(root, "a/inside.mp4") == (root / "a" / "inside.mp4").resolve()
    assert resolve_video_path(root, "a/../a/inside.mp4") == (root / "a" / "inside.mp4").resolve()
    (root / "link.mp4").symlink_to(root / "a" / "inside.mp4")
    assert resolve_video_path(root, "link.mp4") == (root / "a" / "inside.mp4").resolve()
    with pytest.raises(ValueError, match="must be relative"):
        resolve_video_path(root, tmp_path / "outside.mp4")
    with pytest.raises(ValueError, match="outside the dataset root"):
        resolve_video_path(root, "../outside.mp4")
    (root / "escape.mp4").symlink_to(tmp_path / "outside.mp4")
    with pytest.raises(ValueError, match="outside the dataset root"):
        resolve_video_path(root, "escape.mp4")
    (root / "dir_link").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside the dataset root"):
        resolve_video_path(root, "dir_link/outside.mp4")
    with pytest.raises(ValueError, match="empty"):
        resolve_video_path(root, "")
