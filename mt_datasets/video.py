"""Video encoding, clip sampling and decoding: the one home for everything that reads or writes video frames.

Decoding accepts what the Hub gives: a torchcodec ``VideoDecoder`` (``datasets.Video()``), a ``{"bytes", "path"}``
dict (``datasets.Video(decode=False)``), raw bytes or a path. Two backends return identical frames:

* ``"torchcodec"`` (what ``datasets.Video`` uses; needs FFmpeg's shared libraries on the system),
* ``"pyav"`` (bundles its own FFmpeg), the fallback that ``backend="auto"`` picks when torchcodec cannot be imported.

Frames are uint8 RGB tensors, channels first: ``(N, C, H, W)`` for frames, ``(T, C, H, W)`` for a clip. Like
torchcodec's, they are channels-first views of channels-last memory (no copy is made to reorder them; call
``.contiguous()`` if an operation needs it). Any file
that cannot be decoded (corrupt, truncated, empty, missing, not a video) raises :class:`VideoDecodeError`, so callers
can skip and count bad videos with one ``except`` clause. Encoding uses PyAV.
"""

from __future__ import annotations

import functools
import io
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:  # torch is imported where frames become tensors: encoding workers never pay for it
    import torch

from .errors import VideoDecodeError, did_you_mean

__all__ = [
    "BACKENDS",
    "SAMPLINGS",
    "VideoDecodeError",
    "VideoInfo",
    "encode_mp4",
    "encode_video",
    "probe_video",
    "read_clip",
    "read_clips",
    "read_frames",
    "reencode_mp4",
    "resolve_video_path",
    "sample_indices",
]

logger = logging.getLogger(__name__)

Backend = Literal["auto", "torchcodec", "pyav"]
Sampling = Literal["uniform", "stride"]
BACKENDS: tuple[str, ...] = ("auto", "torchcodec", "pyav")
SAMPLINGS: tuple[str, ...] = ("uniform", "stride")

# Exceptions that torchcodec (RuntimeError, ValueError) and PyAV (av.error.FFmpegError subclasses ValueError,
# OSError or EOFError) raise for a file they cannot read; they are re-raised as VideoDecodeError.
_DECODER_ERRORS = (RuntimeError, ValueError, OSError, EOFError)


@dataclass(frozen=True)
class VideoInfo:
    """What a video's container says about its (first) video stream.

    Attributes:
        num_frames: decodable frames, counted from the stream's packets where the header has no count (WebM).
        fps: average frame rate.
        width, height: frame size in pixels.
        duration_seconds: the stream's duration.
    """

    num_frames: int
    fps: float
    width: int
    height: int
    duration_seconds: float


# ----------------------------------------------------------------------------------------------------------- encoding

# x264 settings every encode_mp4 adds to its preset: mbtree (on in every preset but ultrafast) reads uninitialised
# memory, which made the bytes of an encode depend on the heap the process left behind (issue 27).
X264_PARAMS = "mbtree=0"


def encode_video(
    frames: Iterable[np.ndarray],
    path: str | Path | None = None,
    *,
    container_format: str = "mp4",
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    fps: float = 24,
    options: Mapping[str, str] | None = None,
) -> bytes:
    """Encode RGB uint8 frames (each ``(H, W, 3)``) with PyAV and return the file's bytes.

    ``container_format``, ``codec`` and ``pix_fmt`` are FFmpeg names (e.g. ``"webm"``, ``"libvpx-vp9"``,
    ``"yuv420p"``); ``options`` are the codec's private options (e.g. ``{"crf": "0"}``). When ``path`` is given the
    bytes are also written there. An encoder that refuses the frames (e.g. odd sizes for H.264 4:2:0) raises
    ``ValueError`` naming the codec, size and pixel format.
    """
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = None
        for frame in frames:
            frame = np.ascontiguousarray(frame)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"frames must be uint8 (H, W, 3) RGB arrays, got {frame.dtype} {frame.shape}")
            if stream is None:
                height, width = frame.shape[:2]
                stream = container.add_stream(codec, rate=round(fps) if float(fps).is_integer() else fps)
                stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
                stream.options = dict(options or {})
            elif frame.shape[:2] != (stream.height, stream.width):
                raise ValueError(
                    f"frame size changed from {stream.width}x{stream.height} to {frame.shape[1]}x{frame.shape[0]}"
                )
            try:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            except av.error.FFmpegError as err:
                raise ValueError(f"{codec} cannot encode {stream.width}x{stream.height} {pix_fmt}: {err}") from err
        if stream is None:
            raise ValueError("encode_video got no frames")
        container.mux(stream.encode())
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def encode_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path | None = None,
    *,
    fps: float = 24,
    crf: int = 20,
    preset: str = "veryfast",
    threads: int | None = None,
) -> bytes:
    """Encode RGB uint8 frames (each ``(H, W, 3)``) as an H.264 yuv420p mp4.

    Returns the file's bytes; when ``path`` is given they are also written there. Width and height must be even
    (yuv420p halves the chroma planes); anything else raises ``ValueError`` naming the size. ``crf=0`` is lossless
    in the YUV domain (the RGB -> yuv420p conversion still rounds and subsamples colour). ``threads`` caps x264's
    threads (``None``: x264 picks by core count); one thread per encoder is the cheapest in a pool of encoding
    workers and makes the bytes independent of the machine's core count.

    The macroblock-tree rate control is off (``X264_PARAMS``): with it, x264 reads memory it never initialised (shown
    by valgrind, "use of uninitialised value" in ``x264_encoder_encode``), so the same frames gave different bytes
    depending on what the process had freed before; without it the bytes depend on the frames and options alone.
    """

    def checked(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for frame in frames:
            if np.ndim(frame) == 3 and (frame.shape[0] % 2 or frame.shape[1] % 2):
                raise ValueError(f"H.264 yuv420p needs even width and height, got {frame.shape[1]}x{frame.shape[0]}")
            yield frame

    options = {"crf": str(crf), "preset": preset, "x264-params": X264_PARAMS}
    if threads is not None:
        options["threads"] = str(threads)
    return encode_video(checked(frames), path, fps=fps, options=options)


# ----------------------------------------------------------------------------------------------------------- sampling


def reencode_mp4(source: str | Path, *, shorter_side: int | None = None, fps: float | None = None) -> bytes:
    """Re-encode a video file as H.264 mp4 with its shorter side scaled to ``shorter_side`` and/or its frame rate set
    to ``fps``; returns the mp4's bytes.

    Frames are resampled by nearest time stamp (dropped or repeated), so the duration stays the same. They are
    streamed from the decoder to the encoder, never all held in memory. A file that cannot be read or re-encoded
    raises :class:`VideoDecodeError`.
    """
    import av

    path = str(source)
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError) as error:
        raise VideoDecodeError(path, f"cannot open it: {error}") from None
    with container:
        if not container.streams.video:
            raise VideoDecodeError(path, "the file has no video stream")
        stream = container.streams.video[0]
        source_fps = float(stream.average_rate or 24)
        width, height = stream.codec_context.width, stream.codec_context.height
        if shorter_side is not None:
            scale = shorter_side / min(width, height)
            # yuv420p needs even sides
            width, height = max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
        target_fps = fps or source_fps

        def frames() -> Iterator[np.ndarray]:
            emitted = 0
            for index, frame in enumerate(container.decode(stream)):
                # Emit this source frame for every output time stamp that falls nearest to it.
                while round(emitted * source_fps / target_fps) <= index:
                    if round(emitted * source_fps / target_fps) == index:
                        yield frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
                    emitted += 1

        try:
            return encode_mp4(frames(), fps=target_fps)
        except (av.error.FFmpegError, ValueError) as error:
            raise VideoDecodeError(path, f"cannot re-encode it: {error}") from None


def sample_indices(
    num_video_frames: int,
    num_frames: int,
    *,
    sampling: Sampling = "uniform",
    stride: int = 2,
    num_clips: int = 1,
) -> np.ndarray:
    """Frame indices of ``num_clips`` clips of ``num_frames`` frames each, as an int64 array ``(num_clips, T)``.

    * ``"uniform"`` (TSN-style, the paper's protocol): the video is cut into ``T`` equal segments and each clip takes
      one frame per segment, at the segment centre for one clip; ``K`` clips take ``K`` evenly shifted offsets within
      the segments (``(k + 0.5) / K`` of the way through each). Every clip spans the whole video. A video shorter
      than ``T`` frames repeats frames in order (e.g. 4 frames, T=8: ``0 0 1 1 2 2 3 3``).
    * ``"stride"``: ``T`` frames ``stride`` apart from a window of ``(T - 1) * stride + 1`` frames, centred in the
      video for one clip; ``K`` windows start at evenly spaced positions from the first frame to the last possible
      start. A video shorter than the window is padded by repeating its last frame.

    Deterministic: the same arguments always give the same indices (no random jitter; train-time augmentation is
    the data loader's business).
    """
    _check_positive(num_video_frames=num_video_frames)
    _check_sampling(num_frames, num_clips, sampling, stride)
    clip = np.arange(num_frames)
    if sampling == "uniform":
        segment = num_video_frames / num_frames
        offsets = (np.arange(num_clips) + 0.5) / num_clips
        indices = np.floor((clip[None, :] + offsets[:, None]) * segment).astype(np.int64)
    else:
        window = (num_frames - 1) * stride + 1
        slack = max(num_video_frames - window, 0)
        if num_clips == 1:
            starts = np.array([slack // 2])
        else:
            starts = np.round(np.linspace(0, slack, num_clips)).astype(np.int64)
        indices = starts[:, None] + clip[None, :] * stride
    return np.minimum(indices, num_video_frames - 1)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_sampling(num_frames: int, num_clips: int, sampling: str, stride: int) -> None:
    _check_positive(num_frames=num_frames, num_clips=num_clips, stride=stride)
    if sampling not in SAMPLINGS:
        raise ValueError(did_you_mean(str(sampling), SAMPLINGS, "sampling"))


# ----------------------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Source:
    """A video to decode, in exactly one of three forms, with a readable name for errors."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    decoder: Any = None  # a torchcodec VideoDecoder, already opened (what datasets.Video() gives)


def _is_torchcodec_decoder(obj: object) -> bool:
    # Checked by type name so that passing a path never imports torchcodec (a broken install must only cost the
    # fallback to PyAV).
    cls = type(obj)
    return cls.__name__ == "VideoDecoder" and cls.__module__.startswith("torchcodec")


def _as_source(source: Any) -> _Source:
    if _is_torchcodec_decoder(source):
        return _Source(name=getattr(source.metadata, "path", None) or "<torchcodec VideoDecoder>", decoder=source)
    if isinstance(source, Mapping):
        if not {"bytes", "path"} & set(source):
            raise TypeError(f"a video dict needs a 'bytes' or 'path' key (datasets.Video format), got {sorted(source)}")
        data, path = source.get("bytes"), source.get("path")
        if data is not None:
            return _bytes_source(data, name=str(path) if path else None)
        if path is not None:
            return _as_source(path)
        raise VideoDecodeError("<video dict>", "both 'bytes' and 'path' are None (a row without a video)")
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _bytes_source(source, name=None)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise VideoDecodeError(str(path), "no such file" if not path.exists() else "not a regular file")
        if path.stat().st_size == 0:
            raise VideoDecodeError(str(path), "the file is empty (0 bytes)")
        return _Source(name=str(path), path=path)
    raise TypeError(
        "a video source must be a path, bytes, a {'bytes': ..., 'path': ...} dict or a torchcodec VideoDecoder, "
        f"got {type(source).__name__}"
    )


def _bytes_source(data: bytes | bytearray | memoryview, name: str | None) -> _Source:
    data = bytes(data)
    name = name or f"<bytes: {len(data)}>"
    if not data:
        raise VideoDecodeError(name, "the video data is empty (0 bytes)")
    return _Source(name=name, data=data)


@contextmanager
def _decode_errors(name: str) -> Iterator[None]:
    """Turn the backends' own exceptions into VideoDecodeError naming the video."""
    try:
        yield
    except VideoDecodeError:
        raise
    except _DECODER_ERRORS as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        if "best video stream is unknown" in reason:  # torchcodec on a file with no video stream (audio only)
            raise VideoDecodeError(name, "no video stream in the file (audio only?)") from err
        raise VideoDecodeError(name, f"{type(err).__name__}: {reason}") from err


# ----------------------------------------------------------------------------------------------------------- backends


@functools.cache
def _torchcodec_import_error() -> str | None:
    """Why torchcodec cannot be used here, or None when it can (checked once per process)."""
    try:
        import torchcodec.decoders  # noqa: F401
    except (ImportError, OSError, RuntimeError) as err:  # RuntimeError: FFmpeg's shared libraries did not load
        return f"{type(err).__name__}: {err}"
    return None


@functools.cache
def _auto_backend() -> str:
    error = _torchcodec_import_error()
    if error is None:
        logger.info("mt_datasets.video decodes with torchcodec")
        return "torchcodec"
    logger.info("mt_datasets.video decodes with PyAV: torchcodec is unavailable (%s)", error)
    return "pyav"


def _resolve_backend(backend: str, source: _Source) -> str:
    if backend not in BACKENDS:
        raise ValueError(did_you_mean(str(backend), BACKENDS, "backend"))
    if source.decoder is not None:
        if backend == "pyav":
            raise ValueError(
                "a torchcodec VideoDecoder can only be read with backend='torchcodec' or 'auto'; to decode a "
                "datasets column with PyAV, cast it to datasets.Video(decode=False) and pass its dicts"
            )
        return "torchcodec"
    if backend == "auto":
        return _auto_backend()
    if backend == "torchcodec" and (error := _torchcodec_import_error()) is not None:
        raise ImportError(
            f"backend='torchcodec' needs torchcodec and FFmpeg's shared libraries ({error}); install them "
            "(Debian: libavcodec59 libavformat59 libavutil57 libswscale6 libswresample4 libavdevice59 libavfilter8) "
            "or use backend='pyav'"
        )
    return backend


class _TorchcodecReader:
    """Reads frames with torchcodec, in exact seek mode (frame i is always the i-th frame in presentation order)."""

    def __init__(self, source: _Source) -> None:
        if source.decoder is not None:
            self._decoder = source.decoder
        else:
            from torchcodec.decoders import VideoDecoder

            self._decoder = VideoDecoder(str(source.path) if source.path else source.data, seek_mode="exact")
        meta = self._decoder.metadata
        num_frames = meta.num_frames or 0
        fps = meta.average_fps or 0.0
        duration = meta.duration_seconds or (num_frames / fps if fps else 0.0)
        self.info = VideoInfo(num_frames, float(fps), int(meta.width), int(meta.height), float(duration))

    def frames(self, indices: np.ndarray) -> torch.Tensor:
        data = self._decoder.get_frames_at(indices.tolist()).data
        # A datasets.Video(dimension_order="NHWC") column gives channels-last decoders.
        if data.shape[-3:] != (3, self.info.height, self.info.width):
            data = data.permute(0, 3, 1, 2)
        return data

    def close(self) -> None:
        """Nothing to release: torchcodec frees its decoder when the object goes away."""


class _PyAVReader:
    """Reads frames with PyAV by decoding sequentially (frame-accurate, no seeking) up to the last needed frame.

    Colour conversion goes through an FFmpeg filter graph (``format=rgb24``), as torchcodec does, so that both
    backends give identical pixels; see ``_to_rgb``.
    """

    def __init__(self, source: _Source) -> None:
        import av

        self._av = av
        self._source = source
        self._container = self._open()
        stream = self._stream()
        num_frames = stream.frames
        duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else 0.0
        if not num_frames:
            # WebM/Matroska headers carry neither a frame count nor a stream duration: demux (no decoding) to count
            # the packets and measure the time they span, as torchcodec's exact seek mode does.
            num_frames, duration = self._scan(stream)
            self._container.close()
            self._container = self._open()
            stream = self._stream()
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        if not duration:
            duration = num_frames / fps if fps else 0.0
        self.info = VideoInfo(
            int(num_frames), fps, int(stream.codec_context.width), int(stream.codec_context.height), duration
        )
        self._graph = None
        self._graph_key: tuple | None = None

    def _scan(self, stream) -> tuple[int, float]:
        """Number of packets of ``stream`` and the seconds from the first one's start to the last one's end."""
        count, begin, end = 0, None, None
        for packet in self._container.demux(stream):
            if not packet.size:  # the demuxer's final flush packet
                continue
            count += 1
            if packet.pts is not None:
                begin = packet.pts if begin is None else min(begin, packet.pts)
                end = max(end or begin, packet.pts + (packet.duration or 0))
        duration = float((end - begin) * stream.time_base) if begin is not None else 0.0
        return count, duration

    def _open(self):
        return self._av.open(str(self._source.path) if self._source.path else io.BytesIO(self._source.data))

    def _stream(self):
        if not self._container.streams.video:
            raise VideoDecodeError(self._source.name, "the file has no video stream")
        return self._container.streams.video[0]

    def _to_rgb(self, frame) -> np.ndarray:
        # torchcodec 0.13 converts with sws_scale when the width is a multiple of 32, and with an FFmpeg filter graph
        # otherwise; both use swscale's default (bicubic) chroma interpolation. A `format=rgb24` filter graph
        # reproduces that exactly (VideoFrame.to_ndarray uses bilinear chroma and differs for odd sizes and 10-bit).
        # torchcodec's sws_scale path takes the YUV range from the pixel format only (full for yuvj*, else limited)
        # and ignores the frame's range flag; we do the same so the two backends never disagree.
        if frame.width % 32 == 0 and not frame.format.name.startswith("yuvj"):
            frame.color_range = 1  # AVCOL_RANGE_MPEG: limited ("TV") range
        key = (frame.width, frame.height, frame.format.name)
        if key != self._graph_key:
            graph = self._av.filter.Graph()
            buffer = graph.add_buffer(
                width=frame.width, height=frame.height, format=frame.format.name, time_base=frame.time_base
            )
            to_rgb, sink = graph.add("format", "rgb24"), graph.add("buffersink")
            buffer.link_to(to_rgb)
            to_rgb.link_to(sink)
            graph.configure()
            self._graph, self._graph_key = graph, key
        self._graph.push(frame)
        return self._graph.pull().to_ndarray()

    def frames(self, indices: np.ndarray) -> torch.Tensor:
        wanted = iter(enumerate(indices.tolist()))
        slot, target = next(wanted)
        rgb = np.empty((len(indices), self.info.height, self.info.width, 3), dtype=np.uint8)
        decoded = 0
        for decoded, frame in enumerate(self._container.decode(self._stream()), start=1):
            if decoded - 1 == target:  # indices are sorted and distinct
                rgb[slot] = self._to_rgb(frame)
                slot, target = next(wanted, (None, None))
                if target is None:
                    break
        if target is not None:
            raise VideoDecodeError(
                self._source.name,
                f"the stream ended after {decoded} of the {self.info.num_frames} frames its header promises "
                f"(frame {target} was requested); the file is probably truncated",
            )
        # Channels-first view of channels-last memory: the layout torchcodec returns, without a copy.
        import torch

        return torch.from_numpy(rgb).permute(0, 3, 1, 2)

    def close(self) -> None:
        self._container.close()


@contextmanager
def _open_video(source: Any, backend: str) -> Iterator[tuple[_Source, _TorchcodecReader | _PyAVReader]]:
    src = _as_source(source)
    reader_class = _TorchcodecReader if _resolve_backend(backend, src) == "torchcodec" else _PyAVReader
    with _decode_errors(src.name):
        reader = reader_class(src)
    try:
        if reader.info.num_frames < 1:
            raise VideoDecodeError(src.name, "the video stream has no frames")
        yield src, reader
    finally:
        reader.close()


# ----------------------------------------------------------------------------------------------------------- decoding


def probe_video(source: Any, *, backend: Backend = "auto") -> VideoInfo:
    """Frame count, frame rate, size and duration of a video, read from its container.

    Cheap (the container is demuxed, not decoded) apart from decoding the first frame, which makes sure that a file
    whose headers parse but whose stream does not decode is caught here. Raises :class:`VideoDecodeError` for a
    video that cannot be read. ``source`` and ``backend`` are as for :func:`read_frames`.
    """
    with _open_video(source, backend) as (src, reader), _decode_errors(src.name):
        reader.frames(np.zeros(1, dtype=np.int64))
        return reader.info


def read_frames(source: Any, indices: Sequence[int] | np.ndarray, *, backend: Backend = "auto") -> torch.Tensor:
    """Decode the frames at ``indices`` (0-based, presentation order, any order, repeats allowed).

    Args:
        source: a path, the file's bytes, a ``{"bytes": ..., "path": ...}`` dict (``datasets.Video(decode=False)``)
            or a torchcodec ``VideoDecoder`` (``datasets.Video()``).
        indices: 1-D frame indices, each in ``[0, num_frames)``.
        backend: ``"torchcodec"``, ``"pyav"`` or ``"auto"`` (torchcodec when it can be imported, else PyAV).

    Returns:
        uint8 tensor ``(len(indices), 3, H, W)``, RGB. Each distinct frame is decoded once.

    Raises:
        VideoDecodeError: the video is corrupt, truncated, empty, missing or not a video.
        IndexError: an index is outside the video.
    """
    wanted = np.asarray(indices)
    if wanted.ndim != 1 or wanted.size == 0 or not np.issubdtype(wanted.dtype, np.integer):
        raise ValueError(f"indices must be a non-empty 1-D sequence of integers, got {wanted.dtype} {wanted.shape}")
    with _open_video(source, backend) as (src, reader):
        return _gather(src, reader, wanted)


def _gather(src: _Source, reader: _TorchcodecReader | _PyAVReader, indices: np.ndarray) -> torch.Tensor:
    """Decode each distinct frame of ``indices`` once and lay them out in the shape of ``indices`` + (C, H, W)."""
    num_frames = reader.info.num_frames
    if indices.min() < 0 or indices.max() >= num_frames:
        bad = indices[(indices < 0) | (indices >= num_frames)]
        raise IndexError(f"frame indices {bad.tolist()} are outside {src.name}, which has {num_frames} frames")
    unique = np.unique(indices)
    with _decode_errors(src.name):
        frames = reader.frames(unique)
    if np.array_equal(unique, indices.ravel()):  # sorted and distinct (the usual single clip): no copy needed
        return frames.reshape(*indices.shape, *frames.shape[1:])
    import torch

    return frames[torch.from_numpy(np.searchsorted(unique, indices))]


def read_clips(
    source: Any,
    num_frames: int,
    num_clips: int,
    *,
    sampling: Sampling = "uniform",
    stride: int = 2,
    backend: Backend = "auto",
) -> torch.Tensor:
    """Decode ``num_clips`` clips of ``num_frames`` frames (multi-view testing), each frame decoded once.

    Clips are placed by :func:`sample_indices`; ``source`` and ``backend`` are as for :func:`read_frames`.

    Returns:
        uint8 tensor ``(num_clips, num_frames, 3, H, W)``, RGB.

    Raises:
        VideoDecodeError: the video is corrupt, truncated, empty, missing or not a video.
    """
    _check_sampling(num_frames, num_clips, sampling, stride)
    with _open_video(source, backend) as (src, reader):
        indices = sample_indices(
            reader.info.num_frames, num_frames, sampling=sampling, stride=stride, num_clips=num_clips
        )
        return _gather(src, reader, indices)


def read_clip(
    source: Any,
    num_frames: int,
    *,
    sampling: Sampling = "uniform",
    stride: int = 2,
    backend: Backend = "auto",
) -> torch.Tensor:
    """Decode one clip of ``num_frames`` frames: uint8 ``(num_frames, 3, H, W)``, RGB.

    ``sampling="uniform"`` spreads the frames over the whole video; ``"stride"`` takes every ``stride``-th frame of a
    centred window (see :func:`sample_indices`). ``source`` and ``backend`` are as for :func:`read_frames`.

    Raises:
        VideoDecodeError: the video is corrupt, truncated, empty, missing or not a video.
    """
    return read_clips(source, num_frames, 1, sampling=sampling, stride=stride, backend=backend)[0]


# ----------------------------------------------------------------------------------------------------------- paths


def resolve_video_path(root: str | Path, relative: str | Path) -> Path:
    """The absolute path of ``relative`` inside ``root``, refusing anything that would leave ``root``.

    For paths read from annotation files or dataset rows: an absolute path, a ``..`` that climbs out of ``root`` or
    a symlink that points outside it raises ``ValueError`` naming the path. The file need not exist (decoding a
    missing file raises :class:`VideoDecodeError`).
    """
    relative = Path(relative)
    if relative.is_absolute() or relative.drive:
        raise ValueError(f"video path {str(relative)!r} must be relative to the dataset root {str(root)!r}")
    if not relative.parts:
        raise ValueError(f"video path is empty (dataset root {str(root)!r})")
    base = Path(root).resolve()
    resolved = (base / relative).resolve()
    if not resolved.is_relative_to(base):
        raise ValueError(
            f"video path {str(relative)!r} resolves to {str(resolved)!r}, outside the dataset root {str(base)!r} "
            "(a '..' or a symlink leaving the root)"
        )
    return resolved
