"""The Hub writer: Parquet shards with an embedded ``datasets.Video`` column, the schema, and the row checks.

A dataset directory written here loads with ``datasets.load_dataset(str(directory), "set1")`` locally, and the same
directory pushed to the Hub loads with ``load_dataset("<owner>/<name>", "set1")``. Its layout (file names, configs,
format version, reading the info record and the manifest back) lives in :mod:`mt_datasets.hub.layout`, its cards in
:mod:`mt_datasets.hub.cards`; the package, :mod:`mt_datasets.hub`, exports all three.

Writing is atomic and resumable. Rows are buffered per (fine set, split) and written as a shard once the buffer
reaches ``shard_size_bytes``; each shard goes to a hidden ``*.tmp`` name and is renamed into place, then the manifest
is replaced the same way, so an interrupted run leaves only whole, loadable shards. Reopening the directory skips the
committed video ids (``add`` returns ``False``) and, given the same rows in the same order, writes byte-identical shards
to those of an uninterrupted run.

A (fine set, split) group with no rows makes ``finalize`` fail, naming the config splits it would leave empty
(``datasets`` cannot build an empty split: an empty shard fails with "BatchSize must be greater than 0");
``finalize(allow_missing_splits=True)`` leaves those splits out of the configs instead, and the card lists them.
"""

from __future__ import annotations

import json
import numbers
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from datasets.arrow_writer import get_parquet_column_options, get_writer_batch_size_from_data_size

from mt_datasets.errors import DatasetMismatchError, did_you_mean
from mt_datasets.files import atomic_write_bytes
from mt_datasets.hub.cards import card_context_of, card_yaml, render_card
from mt_datasets.hub.layout import (
    DATA_DIR,
    FORMAT_VERSION,
    INFO_FILE,
    MANIFEST_FILE,
    is_incomplete,
    read_info,
    read_manifest,
    sha256_of,
    write_incomplete_card,
)
from mt_datasets.hub.locks import directory_lock
from mt_datasets.protocol import CONFIG_SPLITS, FINE_SETS, SPLITS, group_name
from mt_datasets.taxonomy import Taxonomy

__all__ = [
    "BASE_COLUMNS",
    "DEFAULT_SHARD_SIZE_BYTES",
    "PRETTY_NAMES",
    "HubDatasetWriter",
    "dataset_counts",
    "dataset_features",
]

DEFAULT_SHARD_SIZE_BYTES = 256 * 2**20
BASE_COLUMNS = ("video", "video_id", "coarse_label", "fine_label", "fine_set", "split")
# Content-defined chunking makes re-uploads of mostly unchanged shards cheap on the Hub's Xet storage.
CDC_OPTIONS = datasets.config.DEFAULT_CDC_OPTIONS
PRETTY_NAMES = {"syn-ta": "Syn-TA", "k400-ta": "K400-TA", "ssv2-ta": "SSv2-TA"}
_SHARD_RE = re.compile(r"^set([12])-(train|val)-(\d{5})\.parquet$")


def dataset_features(
    taxonomy: Taxonomy, *, with_video: bool = True, extra: Mapping[str, Any] | None = None
) -> datasets.Features:
    """The one schema of Syn-TA, K400-TA and SSv2-TA.

    Columns: ``video`` (``datasets.Video``, left out when ``with_video`` is False, as in the metadata-only K400-TA and
    SSv2-TA releases), ``video_id`` (string), ``coarse_label`` (ClassLabel over ``taxonomy.coarse_names``),
    ``fine_label`` (ClassLabel over ``taxonomy.fine_names``, set 1 then set 2), ``fine_set`` (int8, 1 or 2), ``split``
    (``"train"`` / ``"val"``), then the ``extra`` columns (name -> ``datasets`` feature) in the given order.

    >>> from mt_datasets import get_taxonomy
    >>> list(dataset_features(get_taxonomy("k400-ta"), with_video=False, extra={"time_start": datasets.Value("int32")}))
    ['video_id', 'coarse_label', 'fine_label', 'fine_set', 'split', 'time_start']
    """
    columns: dict[str, Any] = {"video": datasets.Video()} if with_video else {}
    columns.update(
        video_id=datasets.Value("string"),
        coarse_label=datasets.ClassLabel(names=list(taxonomy.coarse_names)),
        fine_label=datasets.ClassLabel(names=list(taxonomy.fine_names)),
        fine_set=datasets.Value("int8"),
        split=datasets.Value("string"),
    )
    for name, feature in (extra or {}).items():
        if name in columns or name == "video":
            raise ValueError(f"extra column {name!r} clashes with a base column; base columns are {BASE_COLUMNS}")
        columns[name] = feature
    return datasets.Features(columns)


def _atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_bytes(path, (json.dumps(value, indent=2, sort_keys=False) + "\n").encode())


def _info_record(taxonomy: Taxonomy, features: datasets.Features, info: Mapping[str, Any] | None) -> dict[str, Any]:
    record = {
        "format_version": FORMAT_VERSION,
        "dataset": taxonomy.name,
        "features": features.to_dict(),
        "info": dict(info or {}),
    }
    try:
        # Round-trip through JSON so the in-memory record compares equal to the stored one (tuples -> lists).
        return json.loads(json.dumps(record))
    except TypeError as error:
        raise TypeError(f"info must be JSON-serialisable: {error}") from None


# directories with an open HubDatasetWriter in this process (the directory lock is re-entrant, so it cannot tell)
_OPEN_WRITERS: set[Path] = set()


class HubDatasetWriter:
    """Write rows of one dataset into a Hub-layout directory; a context manager.

    Args:
        out_dir: the dataset directory (created when missing; reopened and resumed when it holds a dataset).
        taxonomy: the dataset's class tables; labels are checked against them.
        features: the schema, from :func:`dataset_features`.
        info: a JSON-serialisable record of how the rows were made (generator version, source, seed, ...), stored in
            ``meta/info.json``; reopening with a different ``info`` raises :class:`DatasetMismatchError`.
        shard_size_bytes: target shard size, measured on the encoded (Arrow) rows; a shard is written once a
            (fine set, split) buffer reaches it, so shards hold at least this much except the last of each group.
        check_videos: decode the first frame of every added video, so a corrupt or truncated file is refused with its
            row's id (about a millisecond per small clip).
        fine_set_from_rows: take each row's ``fine_set`` as given (1 or 2) instead of requiring the taxonomy's set of
            its fine class: for protocols where every fine class appears in both sets and the set names something
            else (Syn-TA's ``appearance-shift``, where it names the appearance set).

    Rows are dicts with every column of ``features``. ``coarse_label`` and ``fine_label`` may be indices or names;
    ``video`` may be bytes, a path (its bytes are embedded and its file name kept) or a ``{"bytes", "path"}`` dict.
    One writer at a time per directory: a second one in this process raises ``RuntimeError``, one in another process
    :class:`mt_datasets.hub.locks.DirectoryBusyError` naming the first. Until :meth:`finalize` writes the card, the
    directory's README marks it unfinished (:func:`write_incomplete_card`), so ``load_dataset`` on an interrupted
    write fails with the hint to rerun the command.

    Leaving the ``with`` block normally commits the buffered rows; leaving it on an exception drops them, so that a
    resumed run writes the same shards as an uninterrupted one.
    """

    def __init__(
        self,
        out_dir: str | Path,
        taxonomy: Taxonomy,
        features: datasets.Features,
        *,
        info: Mapping[str, Any] | None = None,
        shard_size_bytes: int = DEFAULT_SHARD_SIZE_BYTES,
        check_videos: bool = True,
        fine_set_from_rows: bool = False,
    ) -> None:
        if shard_size_bytes <= 0:
            raise ValueError(f"shard_size_bytes must be positive, got {shard_size_bytes}")
        self.out_dir = Path(out_dir)
        self.taxonomy = taxonomy
        self.features = features
        self.shard_size_bytes = shard_size_bytes
        self.check_videos = check_videos
        self.fine_set_from_rows = fine_set_from_rows
        self._check_features()
        self._schema = features.arrow_schema
        self._has_video = "video" in features
        self._record = _info_record(taxonomy, features, info)

        key = self.out_dir.resolve()
        if key in _OPEN_WRITERS:
            raise RuntimeError(f"another HubDatasetWriter is writing {self.out_dir}; use one writer per directory")
        # The directory's lock (held for the writer's lifetime) keeps other processes out; re-entrant, so a command
        # that holds it already (a build, a generation) opens its writer under it.
        self._lock = directory_lock(self.out_dir)
        self._lock.__enter__()
        _OPEN_WRITERS.add(key)
        try:
            (self.out_dir / DATA_DIR).mkdir(parents=True, exist_ok=True)
            (self.out_dir / "meta").mkdir(exist_ok=True)
            self._open_existing()
            if not (self.out_dir / "README.md").is_file():
                write_incomplete_card(self.out_dir)
        except BaseException:
            self._release_lock()
            raise
        self._marked_incomplete = is_incomplete(self.out_dir)
        # Rows wait as dicts and become one Arrow table per shard: converting row by row costs ~100 us a row,
        # which dominated metadata-only builds of 100k+ rows.
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._buffered_bytes: dict[str, int] = {}
        self._value_checks = {
            name: _value_check(field.type) for name, field in zip(self._schema.names, self._schema, strict=True)
        }
        self._buffered_ids: set[str] = set()
        self._closed = False

    # ---- opening and resuming ---------------------------------------------------------------------------------
    def _check_features(self) -> None:
        missing = [c for c in BASE_COLUMNS[1:] if c not in self.features]
        if missing:
            raise ValueError(f"features lack the base columns {missing}; build them with dataset_features(taxonomy)")
        expected = dataset_features(self.taxonomy, with_video=False)
        for column in ("coarse_label", "fine_label"):
            if self.features[column] != expected[column]:
                raise DatasetMismatchError(
                    f"features[{column!r}] does not match the {self.taxonomy.name} taxonomy; "
                    "build the features with dataset_features(taxonomy)"
                )

    def _open_existing(self) -> None:
        info_path = self.out_dir / INFO_FILE
        if info_path.is_file():
            stored = read_info(self.out_dir)
            differences = [key for key in self._record if stored.get(key) != self._record[key]]
            if differences:
                details = "; ".join(
                    _describe_difference(key, stored.get(key), self._record[key]) for key in differences
                )
                raise DatasetMismatchError(
                    f"{self.out_dir} holds a different dataset ({details}). "
                    "Write to a new directory, or delete this one to start over."
                )
        else:
            _atomic_write_json(info_path, self._record)
        manifest = read_manifest(self.out_dir)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise DatasetMismatchError(
                f"{self.out_dir / MANIFEST_FILE} has format version {manifest.get('format_version')!r}, "
                f"this writer writes {FORMAT_VERSION!r}"
            )
        self._shards: dict[str, dict[str, Any]] = {entry["file"]: entry for entry in manifest["shards"]}
        self._committed: set[str] = {vid for entry in self._shards.values() for vid in entry["video_ids"]}
        # Leftovers of an interrupted run: temp files, and a shard renamed into place whose manifest update never
        # happened (its rows are not committed, so the resumed run writes that shard again under the same name).
        data_dir = self.out_dir / DATA_DIR
        for path in sorted(data_dir.iterdir()):
            relative = f"{DATA_DIR}/{path.name}"
            if path.name.endswith(".tmp") or (_SHARD_RE.match(path.name) and relative not in self._shards):
                path.unlink()

    # ---- adding rows ------------------------------------------------------------------------------------------
    def committed_ids(self) -> set[str]:
        """Video ids already in committed shards (a resumed run skips them)."""
        return set(self._committed)

    def add(self, row: Mapping[str, Any]) -> bool:
        """Validate and buffer one row; returns ``False`` (and writes nothing) when its video id is already committed.

        Raises ``ValueError`` naming the row's ``video_id`` when a column is missing or unknown, a value does not fit
        its column's type, a label is unknown (with "did you mean") or disagrees with the taxonomy, the split is not
        train/val, the video id was added before in this run, or the video is missing, empty or undecodable.
        """
        if self._closed:
            raise RuntimeError(f"the writer of {self.out_dir} is closed")
        video_id = row.get("video_id")
        if not isinstance(video_id, str) or not video_id:
            raise ValueError(f"row has no usable video_id (got {video_id!r}); every row needs a non-empty string id")
        if video_id in self._committed:
            return False
        if video_id in self._buffered_ids:
            raise ValueError(f"duplicate video_id {video_id!r}: it was already added in this run")
        encoded = self._encode_row(video_id, row)
        self._check_types(video_id, encoded)
        group = group_name(encoded["fine_set"], encoded["split"])
        self._buffers.setdefault(group, []).append(encoded)
        self._buffered_bytes[group] = self._buffered_bytes.get(group, 0) + _row_bytes(encoded)
        self._buffered_ids.add(video_id)
        if self._buffered_bytes[group] >= self.shard_size_bytes:
            self._flush(group)
        return True

    def _encode_row(self, video_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
        missing = [c for c in self.features if c not in row]
        if missing:
            raise ValueError(f"row {video_id!r} lacks the columns {missing}")
        unknown = [c for c in row if c not in self.features]
        if unknown:
            raise ValueError(
                f"row {video_id!r} has columns {unknown} that are not in the features {list(self.features)}"
            )
        t = self.taxonomy
        fine = self._label_index(video_id, row["fine_label"], t.fine_names, "fine")
        coarse = self._label_index(video_id, row["coarse_label"], t.coarse_names, "coarse")
        if coarse != t.fine_to_coarse[fine]:
            raise ValueError(
                f"row {video_id!r}: fine class {t.fine_names[fine]!r} belongs to coarse class "
                f"{t.coarse_names[t.fine_to_coarse[fine]]!r}, not {t.coarse_names[coarse]!r}"
            )
        if self.fine_set_from_rows:
            if row["fine_set"] not in FINE_SETS:
                raise ValueError(f"row {video_id!r}: fine_set must be 1 or 2, got {row['fine_set']!r}")
        elif row["fine_set"] != t.fine_set[fine]:
            raise ValueError(
                f"row {video_id!r}: fine class {t.fine_names[fine]!r} is in fine set {t.fine_set[fine]}, "
                f"not {row['fine_set']!r}"
            )
        if row["split"] not in SPLITS:
            raise ValueError(f"row {video_id!r}: " + did_you_mean(str(row["split"]), SPLITS, "split"))
        encoded = dict(row, coarse_label=coarse, fine_label=fine, fine_set=int(row["fine_set"]))
        if self._has_video:
            encoded["video"] = _video_value(video_id, row["video"])
            if self.check_videos:
                _check_decodable(video_id, encoded["video"])
        return encoded

    def _check_types(self, video_id: str, encoded: Mapping[str, Any]) -> None:
        """Reject a value that does not fit its column now, naming the row; rare types are checked by Arrow."""
        for name, check in self._value_checks.items():
            value = encoded[name]
            fits = check(value) if check is not None else _fits_arrow(value, self._schema.field(name).type)
            if not fits:
                raise ValueError(
                    f"row {video_id!r} does not fit the schema: column {name!r} is "
                    f"{self._schema.field(name).type}, got {_short(value)!r}"
                )

    @staticmethod
    def _label_index(video_id: str, value: Any, names: tuple[str, ...], level: str) -> int:
        if isinstance(value, str):
            if value in names:
                return names.index(value)
            raise ValueError(f"row {video_id!r}: " + did_you_mean(value, names, f"{level} class"))
        # numbers.Integral admits NumPy integers; bool is excluded because True is no class index.
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < len(names):
            raise ValueError(
                f"row {video_id!r}: {level}_label must be a class name or an index in [0, {len(names)}), got {value!r}"
            )
        return int(value)

    # ---- writing shards ---------------------------------------------------------------------------------------
    def _next_shard_file(self, group: str) -> str:
        index = sum(1 for entry in self._shards.values() if entry["group"] == group)
        return f"{DATA_DIR}/{group}-{index:05d}.parquet"

    def _write_shard(self, file: str, group: str, table: pa.Table, video_ids: list[str]) -> None:
        if not self._marked_incomplete:
            # The card of a finished dataset no longer matches once a shard is added: until finalize writes the new
            # one, the directory says it is unfinished.
            write_incomplete_card(self.out_dir)
            self._marked_incomplete = True
        path = self.out_dir / file
        tmp = path.with_name(f".{path.name}.tmp")
        batch_rows = get_writer_batch_size_from_data_size(table.num_rows, table.nbytes)
        with pq.ParquetWriter(
            tmp,
            self._schema,
            use_content_defined_chunking=CDC_OPTIONS,
            write_page_index=True,
            # Embedded video bytes are stored uncompressed and unencoded, as datasets' own writer does.
            **get_parquet_column_options(self.features, self._schema),
        ) as writer:
            writer.add_key_value_metadata({"content_defined_chunking": json.dumps(CDC_OPTIONS)})
            writer.write_table(table, row_group_size=batch_rows)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        # The rename is the commit point of the shard, the manifest replace the commit point of its ids.
        os.replace(tmp, path)
        self._shards[file] = {
            "file": file,
            "group": group,
            "num_rows": table.num_rows,
            "num_bytes": table.nbytes,
            "file_bytes": path.stat().st_size,
            "sha256": sha256_of(path),
            "video_ids": video_ids,
        }
        _atomic_write_json(self.out_dir / MANIFEST_FILE, self._manifest())

    def _manifest(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "shards": [self._shards[f] for f in sorted(self._shards)]}

    def _flush(self, group: str) -> None:
        rows = self._buffers.pop(group, [])
        self._buffered_bytes.pop(group, None)
        if not rows:
            return
        table = pa.Table.from_pylist(rows, schema=self._schema)
        video_ids = [row["video_id"] for row in rows]
        self._write_shard(self._next_shard_file(group), group, table, video_ids)
        self._committed.update(video_ids)
        self._buffered_ids.difference_update(video_ids)

    def flush(self) -> None:
        """Commit every buffered row now, as possibly short shards (shard boundaries then depend on when this ran)."""
        for group in sorted(self._buffers):
            self._flush(group)

    # ---- finishing --------------------------------------------------------------------------------------------
    def finalize(
        self,
        card_template: str = "dataset_card_base.md.j2",
        card_context: Mapping[str, Any] | None = None,
        *,
        license: str = "other",
        pretty_name: str | None = None,
        tags: tuple[str, ...] | list[str] = (),
        allow_missing_splits: bool = False,
    ) -> Path:
        """Commit the buffered rows and write README.md; returns the dataset directory.

        The README's YAML declares the configs (``set1`` the default, ``set2``, ``all``), ``dataset_info`` with the
        features and per-split example counts (``load_dataset`` checks them), ``license``, ``task_categories``,
        ``pretty_name``, ``tags`` and ``size_categories``; the body is ``hub_cards/<card_template>`` rendered with
        :func:`card_context_of` plus ``card_context`` (which wins).

        A (fine set, split) group without rows would leave splits that ``load_dataset`` cannot build (datasets
        refuses an empty split), so it raises ``ValueError`` naming the group and the config splits it feeds. With
        ``allow_missing_splits=True`` those splits (and a config left with none) are left out of the YAML instead,
        and the card lists them as missing.
        """
        self.flush()
        counts = dataset_counts(self.out_dir)
        missing = [group for group, n in counts["groups"].items() if n == 0]
        if missing and not allow_missing_splits:
            fed = [
                f"{config}/{split}"
                for config, splits in CONFIG_SPLITS.items()
                for split, g in splits.items()
                if g in missing
            ]
            raise ValueError(
                f"{self.out_dir} has no rows for {', '.join(missing)}, which the config splits {', '.join(fed)} read. "
                "Add those rows, or leave these splits out of the configs with allow_missing_splits=True."
            )
        pretty = pretty_name or PRETTY_NAMES.get(self.taxonomy.name, self.taxonomy.name)
        context = {
            **card_context_of(self.taxonomy, counts, self.features),
            "pretty_name": pretty,
            "license": license,
            "info": self._record["info"],
            "missing_groups": missing,
            **(card_context or {}),
        }
        body = render_card(card_template, context)
        yaml_block = card_yaml(self._shards, self.features, counts, license, pretty, list(tags), set(missing))
        atomic_write_bytes(self.out_dir / "README.md", f"---\n{yaml_block}---\n\n{body}".encode())
        self._marked_incomplete = False
        return self.out_dir

    def close(self) -> None:
        """Commit the buffered rows and release the directory."""
        if not self._closed:
            self.flush()
            self._closed = True
            self._release_lock()

    def _release_lock(self) -> None:
        _OPEN_WRITERS.discard(self.out_dir.resolve())
        self._lock.__exit__(None, None, None)

    def __enter__(self) -> HubDatasetWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            # Drop the uncommitted rows: a resumed run re-adds them and cuts the same shards.
            self._buffers.clear()
            if not self._closed:
                self._closed = True
                self._release_lock()


def _value_check(arrow_type: pa.DataType) -> Any:
    """A fast Python check that a value fits ``arrow_type`` (None allowed), or None where Arrow must decide."""
    if pa.types.is_boolean(arrow_type):
        return lambda v: v is None or isinstance(v, bool)
    if pa.types.is_integer(arrow_type):
        return lambda v: v is None or (isinstance(v, numbers.Integral) and not isinstance(v, bool))
    if pa.types.is_floating(arrow_type):
        return lambda v: v is None or (isinstance(v, numbers.Real) and not isinstance(v, bool))
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return lambda v: v is None or isinstance(v, str)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        item = _value_check(arrow_type.value_type)
        if item is not None:
            return lambda v: v is None or (isinstance(v, (list, tuple)) and all(item(x) for x in v))
    return None


def _fits_arrow(value: Any, arrow_type: pa.DataType) -> bool:
    try:
        pa.array([value], type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return False
    return True


def _row_bytes(row: Mapping[str, Any]) -> int:
    """Approximate encoded size of a row (video bytes dominate; other values count their length or 8 bytes)."""
    size = 0
    for value in row.values():
        if isinstance(value, Mapping):
            size += len(value.get("bytes") or b"") + len(value.get("path") or "")
        elif isinstance(value, (str, bytes)):
            size += len(value)
        elif isinstance(value, (list, tuple)):
            size += sum(len(x) if isinstance(x, (str, bytes)) else 8 for x in value)
        else:
            size += 8
    return size


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."


def _describe_difference(key: str, stored: Any, given: Any) -> str:
    if key == "features" and isinstance(stored, dict) and isinstance(given, dict):
        changed = [c for c in {**stored, **given} if stored.get(c) != given.get(c)]
        return f"features: columns {changed} differ (stored {list(stored)}, given {list(given)})"
    return f"{key}: stored {_short(stored)}, given {_short(given)}"


def _video_value(video_id: str, video: Any) -> dict[str, Any]:
    """``{"bytes", "path"}`` with the bytes embedded; ``path`` keeps the source's file name, never a local directory."""
    if isinstance(video, (bytes, bytearray, memoryview)):
        data, name = bytes(video), f"{video_id}.mp4"
    elif isinstance(video, (str, os.PathLike)):
        path = Path(video)
        if not path.is_file():
            raise ValueError(f"row {video_id!r}: video file {str(path)!r} does not exist")
        data, name = path.read_bytes(), path.name
    elif isinstance(video, Mapping) and set(video) <= {"bytes", "path"}:
        if video.get("bytes") is None:
            if video.get("path") is None:
                raise ValueError(f"row {video_id!r}: video dict has neither bytes nor path")
            return _video_value(video_id, video["path"])
        data, name = bytes(video["bytes"]), video.get("path") or f"{video_id}.mp4"
        relative = PurePosixPath(str(name))
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(
                f"row {video_id!r}: video path {name!r} must be relative and stay inside the dataset "
                "(it is a name stored with the bytes, e.g. 'arriving/arriving1_id_3.mp4')"
            )
    else:
        raise ValueError(
            f"row {video_id!r}: video must be bytes, a path or a {{'bytes', 'path'}} dict, got {type(video).__name__}"
        )
    if not data:
        raise ValueError(f"row {video_id!r}: the video {name!r} is empty (0 bytes)")
    return {"bytes": data, "path": str(name)}


def _check_decodable(video_id: str, video: Mapping[str, Any]) -> None:
    """Decode the first frame, so a corrupt or truncated file fails here, naming its row, not in a user's training."""
    from mt_datasets.errors import VideoDecodeError
    from mt_datasets.video import probe_video

    try:
        probe_video(video)
    except VideoDecodeError as error:
        raise ValueError(
            f"row {video_id!r}: the video {video['path']!r} cannot be decoded ({error.reason}); "
            "re-encode or drop it (check_videos=False skips this check)"
        ) from None


# ---- reading back: counts ------------------------------------------------------------------------------------------
def dataset_counts(out_dir: str | Path) -> dict[str, Any]:
    """Row counts of a dataset directory, from its committed shards.

    Returns ``{"num_rows": int, "groups": {"set1-train": n, "set1-val": n, "set2-train": n, "set2-val": n},
    "configs": {config: {split: n}} (as loaded: set1 / set2 train, known, unknown; all set1_train ... set2_val),
    "coarse": {coarse name: {group: n}}, "fine": {fine name: {"train": n, "val": n}}}``; every class of the dataset's
    taxonomy is listed, with zeros where it has no rows.
    """
    from mt_datasets.taxonomy import get_taxonomy

    out_dir = Path(out_dir)
    taxonomy = get_taxonomy(read_info(out_dir)["dataset"])
    groups = {group_name(s, split): 0 for s in FINE_SETS for split in SPLITS}
    coarse = {name: dict.fromkeys(groups, 0) for name in taxonomy.coarse_names}
    fine = {name: dict.fromkeys(SPLITS, 0) for name in taxonomy.fine_names}
    for entry in read_manifest(out_dir)["shards"]:
        group = entry["group"]
        groups[group] += entry["num_rows"]
        table = pq.read_table(out_dir / entry["file"], columns=["coarse_label", "fine_label"])
        split = group.split("-")[1]
        for c, f in zip(table.column("coarse_label").to_pylist(), table.column("fine_label").to_pylist(), strict=True):
            coarse[taxonomy.coarse_names[c]][group] += 1
            fine[taxonomy.fine_names[f]][split] += 1
    configs = {
        config: {split: groups[group] for split, group in splits.items()} for config, splits in CONFIG_SPLITS.items()
    }
    return {"num_rows": sum(groups.values()), "groups": groups, "configs": configs, "coarse": coarse, "fine": fine}
