"""The versioned results record that ``examples/eval.py`` writes as ``all_results.json``.

A record carries everything needed to tell two results apart: the dataset and its revision, the protocol config and
direction, the model, the seed, the package version, and every score the ``motion_transferability`` metric returned.
Readers check ``format_version``; a record written by a newer format is refused with the version named.

JSON has no integer keys: the metric's dicts keyed by class or direction index come back keyed by strings.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mt_datasets.files import atomic_write_bytes

__all__ = [
    "FORMAT_VERSION",
    "RESULTS_FILENAME",
    "ResultsRecord",
    "damaged_weights_reason",
    "dataset_revision",
    "package_version",
    "read_record",
]

# 2: the skipped videos listed by split, id and reason (``skipped``).
FORMAT_VERSION = 2
RESULTS_FILENAME = "all_results.json"


def package_version() -> str:
    """The installed ``motion-transfer`` version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("motion-transfer")
    except PackageNotFoundError:  # running from a source tree that was never installed
        from mt_datasets import __version__

        return __version__


def damaged_weights_reason(path: str | os.PathLike) -> str | None:
    """Why a ``.safetensors`` file cannot be loaded (truncated, as a kill or a full disk leaves it), or None.

    Checks the header and that the file is as long as the header says, without reading the tensors.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            head = file.read(8)
            length = int.from_bytes(head, "little") if len(head) == 8 else -1
            header = json.loads(file.read(length)) if 0 < length < 100_000_000 else None
    except (OSError, ValueError) as error:
        return f"damaged ({error})"
    if not isinstance(header, dict):
        return "truncated or not a safetensors file (no complete header)"
    ends = [entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__"]
    expected = 8 + length + max(ends, default=0)
    size = path.stat().st_size
    if size < expected:
        return f"truncated ({size} of {expected} bytes)"
    return None


def dataset_revision(name_or_path: str | os.PathLike, revision: str | None = None) -> str | None:
    """What identifies the exact data evaluated.

    A local directory written by ``mt_datasets.hub``: ``"sha256:<digest>"`` of its shard manifest (which lists every
    shard's own SHA-256), or of its README when there is no manifest. A Hub id: the commit SHA the Hub resolves
    ``revision`` to; offline, ``revision`` itself (``None`` when not given).
    """
    import hashlib

    from mt_datasets.hub.layout import MANIFEST_FILE

    local = Path(name_or_path)
    if local.is_dir():
        for name in (MANIFEST_FILE, "README.md"):
            if (local / name).is_file():
                return "sha256:" + hashlib.sha256((local / name).read_bytes()).hexdigest()
        return None
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        return HfApi().dataset_info(str(name_or_path), revision=revision).sha
    except (HfHubHTTPError, OfflineModeIsEnabled, OSError):  # offline or unreachable: keep what was asked for
        return revision


def _environment() -> dict[str, str]:
    import accelerate
    import datasets
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "datasets": datasets.__version__,
        "accelerate": accelerate.__version__,
    }


def _jsonable(value: Any) -> Any:
    """NumPy scalars/arrays and tuples -> plain JSON types, recursively."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy scalars and arrays, torch tensors
        return value.tolist()
    return value


@dataclass
class ResultsRecord:
    """One evaluation of one model in one protocol direction.

    Attributes:
        dataset: Hub id or local directory of the dataset.
        dataset_revision: the dataset's commit (Hub) or content digest (local directory); ``None`` if unknown.
        config: the dataset config evaluated (``"set1"`` or ``"set2"``).
        direction: ``"set1->set2"``: the fine set trained on (known) and the held-out one (unknown).
        model: Hub id or directory of the evaluated model.
        model_kind: ``"disentangled"`` (a trained :class:`~mt_models.DisentangledVideoClassifier`) or
            ``"open_vocabulary"`` (X-CLIP with class-name prompts).
        seed: the seed of training (or of the evaluation for zero-shot models).
        num_frames: frames per clip.
        num_clips: clips (views) per video, averaged.
        skipped_videos: ``{"known": n, "unknown": n}`` videos that failed to decode (not scored).
        skipped: each of those videos: ``{"split", "video_id", "reason"}``.
        scores: every output of the ``motion_transferability`` metric for the coarse task.
        fine_scores: the same for the fine (base-to-novel) task, where the model has one.
        head: the classifier's head options (loss weights, embedding size); empty for open-vocabulary models.
        extra: anything else worth keeping (e.g. the prompt template).
    """

    dataset: str
    dataset_revision: str | None
    config: str
    direction: str
    model: str
    model_kind: str
    seed: int
    num_frames: int
    num_clips: int
    skipped_videos: dict[str, int]
    scores: dict[str, Any]
    skipped: list[dict[str, str]] = field(default_factory=list)
    fine_scores: dict[str, Any] | None = None
    head: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    package_version: str = field(default_factory=package_version)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    environment: dict[str, str] = field(default_factory=_environment)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready types (``format_version`` first)."""
        values = _jsonable(asdict(self))
        return {"format_version": values.pop("format_version"), **values}

    def write(self, output_dir: str | os.PathLike) -> Path:
        """Write ``all_results.json`` into ``output_dir`` (created); returns the file's path."""
        return write_json(Path(output_dir) / RESULTS_FILENAME, self.to_dict())


def read_record(path: str | os.PathLike) -> ResultsRecord:
    """Read a record from ``all_results.json`` (or a directory holding one).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a results record, or its ``format_version`` is newer than this package reads.
    """
    path, values = read_versioned_json(path, RESULTS_FILENAME, max_version=FORMAT_VERSION, what="evaluation")
    known = {f for f in ResultsRecord.__dataclass_fields__}
    unexpected = sorted(set(values) - known)
    if unexpected:
        raise ValueError(f"{path} has fields this format does not define: {unexpected}")
    return ResultsRecord(**values)


def write_json(path: str | os.PathLike, values: Any, *, allow_nan: bool = True) -> Path:
    """Write ``values`` as indented JSON to ``path`` (its folder created) atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(values, indent=2, allow_nan=allow_nan) + "\n").encode())
    return path


def read_versioned_json(
    path: str | os.PathLike, filename: str, *, max_version: int, what: str
) -> tuple[Path, dict[str, Any]]:
    """Read a versioned JSON file this package wrote (``path`` or a directory holding ``filename``).

    Returns the file's path and its values. Raises ``ValueError`` when it is not JSON (naming ``what`` was likely
    interrupted), has no integer ``format_version``, or a newer one than ``max_version``.
    """
    path = Path(path)
    if path.is_dir():
        path = path / filename
    try:
        values = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); was the {what} interrupted?") from None
    version = values.get("format_version") if isinstance(values, dict) else None
    if not isinstance(version, int):
        raise ValueError(f"{path} has no integer format_version: it is not a motion-transfer {what} file")
    if version > max_version:
        raise ValueError(
            f"{path} has format_version {version}; this motion-transfer {package_version()} reads up to "
            f"{max_version}: upgrade the package"
        )
    return path, values
