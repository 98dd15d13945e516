"""Publish a dataset directory to the Hugging Face Hub: ``mt-datasets publish DIR --repo-id ORG/NAME``.

The directory is checked locally first (every shard against the manifest, as ``mt-datasets verify``; the card's
metadata parses, the configs ``set1`` / ``set2`` / ``all`` exist and each of their data-file patterns matches files,
the info record has a format version; no third-party videos are embedded without the user saying they hold the rights
to them), the files to upload are listed with their sizes, then ``create_repo`` and batched ``create_commit`` calls
(at most :data:`COMMIT_MAX_FILES` files / :data:`COMMIT_MAX_BYTES` bytes each; ``meta/info.json`` in the first, the
card in the last) upload what the repository lacks: a file whose size and sha256 (LFS) or git blob id already match the
remote one is not sent again, so a rerun after an interrupted upload sends only the rest, and files of an earlier
version that this one lacks are deleted. A repository that holds another dataset (another ``dataset`` in its
``meta/info.json``, or files without one) is refused unless ``--overwrite``. ``create_tag`` tags the release with the
format version. Hub errors come back as one line each. The directory's lock (:mod:`mt_datasets.hub.locks`) is held
throughout, so no build writes it meanwhile.

K400-TA and SSv2-TA built with ``--embed`` hold Kinetics-400 (YouTube) and Something-Something-v2 videos, which their
owners' terms do not let anyone redistribute by default: ``publish`` refuses them unless ``--i-hold-the-video-rights``
says the user may, and then writes that statement into the card. The default build of both is metadata only.

The metric's Space (``mt_metrics/motion_transferability``: script, NumPy core, card, ``requirements.txt``,
``app.py``) goes up with its sibling, ``mt-datasets publish-metric --repo-id motion-transfer/motion_transferability``,
after which ``evaluate.load("motion-transfer/motion_transferability")`` works with only evaluate and numpy installed.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mt_datasets.commands.registry import command
from mt_datasets.errors import PublishError

__all__ = [
    "THIRD_PARTY_VIDEO_SOURCES",
    "PublishError",
    "PublishPlan",
    "add_parser",
    "metric_release_tag",
    "metric_space_dir",
    "plan_metric_upload",
    "plan_upload",
    "publish",
    "publish_metric",
]

REQUIRED_CONFIGS = ("set1", "set2", "all")
# Writer bookkeeping that must not reach the Hub: the lock file, temp files, upload caches.
IGNORE_PATTERNS = ("meta/.lock", "**/.*.tmp", ".*.tmp", ".cache/**", "**/.DS_Store")


# info["source"] of builds whose embedded videos belong to third parties -> who owns them, for the messages and card
THIRD_PARTY_VIDEO_SOURCES = {
    "kinetics-400": "Kinetics-400 clips from YouTube, owned by their uploaders",
    "something-something-v2": "Something-Something-v2 videos, licensed by Qualcomm under terms without redistribution",
}
RIGHTS_MARKER = "<!-- mt-datasets: video rights stated by the publisher -->"
RIGHTS_FLAG = "--i-hold-the-video-rights"
OVERWRITE_FLAG = "--overwrite"
# One commit carries at most this many files / bytes; a bigger dataset goes up in several commits.
COMMIT_MAX_FILES = 100
COMMIT_MAX_BYTES = 2 * 1024**3

_NO_TOKEN = "no Hugging Face token: run `hf auth login` or set HF_TOKEN to a token with write access"


@dataclass(frozen=True)
class PublishPlan:
    """What ``publish`` will upload: the files (relative path, bytes), the configs and the release tag."""

    folder: Path
    files: tuple[tuple[str, int], ...]
    configs: tuple[str, ...]
    format_version: str

    @property
    def total_bytes(self) -> int:
        """Size of every file to upload."""
        return sum(size for _, size in self.files)

    def describe(self) -> str:
        """A listing of the files and sizes, for the terminal."""
        lines = [f"{size:>14,d}  {name}" for name, size in self.files]
        configs = f"; configs: {', '.join(self.configs)}" if self.configs else ""
        lines.append(f"{self.total_bytes:>14,d}  total ({len(self.files)} files{configs})")
        return "\n".join(lines)


def _ignored(relative: str) -> bool:
    return any(fnmatch.fnmatch(relative, pattern) for pattern in IGNORE_PATTERNS) or any(
        part.startswith(".") for part in relative.split("/")
    )


def plan_upload(folder: str | Path, *, hold_video_rights: bool = False) -> PublishPlan:
    """Validate a dataset directory locally and list what would be uploaded; raises :class:`PublishError`.

    ``hold_video_rights`` says the user may redistribute the third-party videos a build embeds (K400-TA / SSv2-TA
    with ``--embed``); without it such a directory is refused.
    """
    from huggingface_hub import DatasetCard

    from mt_datasets.hub.layout import is_incomplete, read_info
    from mt_datasets.hub.verify import verify_dataset

    folder = Path(folder)
    _refuse_what_is_no_dataset(folder)
    readme = folder / "README.md"
    if not readme.is_file():
        raise PublishError(f"{readme} not found: build or generate the dataset completely before publishing it")
    if is_incomplete(folder):
        raise PublishError(
            f"{folder} is unfinished, nothing was uploaded: its build or generation did not finish; rerun the same "
            "command to resume, then publish"
        )
    try:
        card = DatasetCard.load(readme, repo_type="dataset")
    except Exception as error:  # the card parser raises several types for bad YAML
        raise PublishError(f"{readme}: the card's YAML metadata does not parse ({error})") from None
    metadata = card.data.to_dict()
    configs = {entry.get("config_name"): entry for entry in metadata.get("configs") or []}
    missing = [name for name in REQUIRED_CONFIGS if name not in configs]
    if missing:
        raise PublishError(f"{readme}: the YAML lacks the configs {missing}; re-run the build to rewrite the card")
    if not metadata.get("license"):
        raise PublishError(f"{readme}: the YAML has no license; the Hub needs one for a public dataset card")
    files = sorted(
        (path.relative_to(folder).as_posix(), path.stat().st_size)
        for path in folder.rglob("*")
        if path.is_file() and not _ignored(path.relative_to(folder).as_posix())
    )
    names = [name for name, _ in files]
    for config_name, entry in configs.items():
        for data_file in entry.get("data_files") or []:
            pattern = data_file["path"] if isinstance(data_file, dict) else data_file
            if not any(fnmatch.fnmatch(name, pattern) for name in names):
                raise PublishError(
                    f"{readme}: config {config_name!r} reads {pattern!r}, which matches no file in {folder}"
                )
    verification = verify_dataset(folder)
    if not verification.ok:
        more = (
            f" (and {len(verification.problems) - 1} more: run `mt-datasets verify {folder}`)"
            if len(verification.problems) > 1
            else ""
        )
        raise PublishError(f"{folder} is damaged or unfinished, nothing was uploaded: {verification.problems[0]}{more}")
    try:
        info = read_info(folder)
        format_version = str(info["format_version"])
    except (FileNotFoundError, KeyError, ValueError) as error:
        raise PublishError(f"{folder}: no usable meta/info.json ({error})") from None
    owner = _third_party_videos(info)
    if owner is not None and not hold_video_rights:
        raise PublishError(
            f"{folder} embeds {owner}, which may not be redistributed: publish a metadata-only build (the same build "
            f"command without --embed, into another directory), or pass {RIGHTS_FLAG} if you hold the rights to "
            "redistribute these videos"
        )
    return PublishPlan(folder, tuple(files), tuple(configs), format_version)


def _refuse_what_is_no_dataset(folder: Path) -> None:
    """One line for a folder that does not exist (naming the closest one beside it), a file, or a model's folder."""
    from mt_datasets.errors import did_you_mean
    from mt_datasets.hub.layout import INFO_FILE

    if not folder.exists():
        parent = folder.parent if folder.parent.is_dir() else None
        names = sorted(p.name for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")) if parent else []
        hint = (" " + did_you_mean(folder.name, names, "folder").split(". ", 1)[1]) if names else ""
        raise PublishError(f"{folder} does not exist: give the folder of a built or generated dataset.{hint}")
    if not folder.is_dir():
        raise PublishError(f"{folder} is a file: give the folder of a built or generated dataset")
    if (folder / "config.json").is_file() and not (folder / INFO_FILE).is_file():
        raise PublishError(
            f"{folder} is a model's folder (config.json), not a dataset: publish uploads datasets; upload a model "
            "with train.py --push_to_hub --hub_model_id ORG/NAME"
        )


def check_tag(tag: str | None) -> None:
    """A :class:`PublishError` for a release tag the Hub (a git ref) refuses: spaces, ``~^:?*[\\``, ``..``, ``@{``,
    a leading ``-`` or ``.``, a trailing ``.``, ``/`` or ``.lock``. Checked before any upload, ``--dry-run`` too."""
    if tag is None:
        return
    bad = (
        not tag
        or re.search(r"[\s~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{|//", tag)
        or tag.startswith(("-", ".", "/"))
        or tag.endswith((".", "/", ".lock"))
        or tag == "@"
    )
    if bad:
        suggestion = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "-", tag)).removesuffix(".lock")
        suggestion = suggestion.strip("-.") or "v1"
        raise PublishError(
            f"--tag {tag!r} is not a valid tag name (no spaces or any of ~^:?*[\\, no '..'); e.g. --tag {suggestion}"
        )


def _third_party_videos(info: dict) -> str | None:
    """Who owns the videos a build embeds, when they belong to a third party; None for metadata-only builds and
    Syn-TA."""
    record = info.get("info") or {}
    embedded = record.get("embedded_videos", "video" in (info.get("features") or {}))
    return THIRD_PARTY_VIDEO_SOURCES.get(record.get("source")) if embedded else None


def _state_video_rights(folder: Path, owner: str) -> None:
    """Add the publisher's statement that they hold the rights to the embedded videos to the card (once)."""
    from mt_datasets.files import atomic_write_bytes

    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    if RIGHTS_MARKER in text:
        return
    statement = (
        f"\n{RIGHTS_MARKER}\n## Video rights\n\nThis copy embeds {owner}. The publisher of this repository stated, "
        f"when uploading it (`mt-datasets publish {RIGHTS_FLAG}`), that they hold the rights to redistribute these "
        "videos. Check that your own use is covered by those rights.\n"
    )
    atomic_write_bytes(readme, (text.rstrip("\n") + "\n" + statement).encode("utf-8"))


def publish(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    tag: str | None = None,
    dry_run: bool = False,
    token: str | None = None,
    hold_video_rights: bool = False,
    overwrite: bool = False,
) -> PublishPlan:
    """Validate ``folder``, then create the dataset repo ``repo_id`` (if needed), upload and tag the release.

    ``tag`` defaults to ``v<format_version>``; ``revision`` is the branch to upload to (created if missing; default
    the main branch). With ``dry_run`` nothing is sent. Errors (no token, no rights, rate limits, unreachable Hub)
    raise :class:`PublishError` with one line saying what went wrong and what to do. The endpoint is
    ``HF_ENDPOINT`` (huggingface_hub's setting). ``hold_video_rights`` states that the user may redistribute the
    third-party videos of a K400-TA / SSv2-TA build made with ``--embed`` (refused without it); the statement is
    written into the card before the upload. The directory's lock is held throughout. ``overwrite`` lets the upload
    replace another dataset that the repository holds, and move an existing ``tag``.
    """
    with _locked(folder):
        plan = plan_upload(folder, hold_video_rights=hold_video_rights)
        return _publish(plan, repo_id, private, revision, tag, dry_run, token, overwrite)


class _locked:
    """Hold the directory's lock (no build or generation writes it while it is read and uploaded)."""

    def __init__(self, folder: str | Path) -> None:
        from mt_datasets.hub.locks import directory_lock

        self._folder = Path(folder)
        self._lock = directory_lock(folder)

    def __enter__(self) -> None:
        from mt_datasets.hub.locks import DirectoryBusyError

        _refuse_what_is_no_dataset(self._folder)  # before the lock, which would be made beside a mistyped path
        try:
            self._lock.__enter__()
        except DirectoryBusyError as error:
            raise PublishError(str(error)) from None

    def __exit__(self, *exc_info) -> None:
        self._lock.__exit__(*exc_info)


def _publish(
    plan: PublishPlan,
    repo_id: str,
    private: bool,
    revision: str | None,
    tag: str | None,
    dry_run: bool,
    token: str | None,
    overwrite: bool = False,
) -> PublishPlan:
    """Upload what ``plan`` (made by :func:`plan_upload`, which verified every shard) lists."""
    from mt_datasets.hub.layout import read_info

    if "/" not in repo_id or repo_id.count("/") != 1:
        raise PublishError(f"--repo-id must be ORG/NAME, got {repo_id!r}")
    check_tag(tag)
    if dry_run:
        return plan
    owner = _third_party_videos(read_info(plan.folder))
    api = _writable_hub(token)
    if owner is not None:
        _state_video_rights(plan.folder, owner)
    release_tag = tag or f"v{plan.format_version}"
    with _hub_errors(repo_id, api.endpoint):
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision is not None:
            api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
        _upload_missing(api, repo_id, plan, revision, release_tag, overwrite)
        if overwrite and _has_tag(api, repo_id, release_tag):
            api.delete_tag(repo_id, repo_type="dataset", tag=release_tag)
        api.create_tag(repo_id, repo_type="dataset", tag=release_tag, revision=revision, exist_ok=True)
    return plan


def _upload_missing(api: Any, repo_id: str, plan: PublishPlan, revision: str | None, tag: str, overwrite: bool) -> None:
    """Commit the files of ``plan`` that ``repo_id`` at ``revision`` lacks or holds otherwise, in batches, and delete
    the files of an earlier version that ``plan`` does not list (in the last commit, with the card)."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    from mt_datasets.hub.layout import INFO_FILE

    remote = {
        entry.path: entry
        for entry in api.list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True)
        if hasattr(entry, "blob_id")
    }
    _refuse_another_dataset(api, repo_id, plan, revision, remote, overwrite)
    local = dict(plan.files)
    missing = [name for name in local if not _same_file(plan.folder / name, remote.get(name))]
    stale = sorted(name for name in remote if name not in local and name != ".gitattributes")
    if not missing and not stale:
        return
    if not overwrite:
        _refuse_moving_the_tag(api, repo_id, tag)
    first = [name for name in missing if name == INFO_FILE]
    last = [name for name in missing if name == "README.md"]
    batches, batch, batch_bytes = [], list(first), sum(local[name] for name in first)
    for name in missing:
        if name in first or name in last:
            continue
        if batch and (len(batch) >= COMMIT_MAX_FILES or batch_bytes + local[name] > COMMIT_MAX_BYTES):
            batches.append(batch)
            batch, batch_bytes = [], 0
        batch.append(name)
        batch_bytes += local[name]
    batches.append(batch)
    if last or stale:
        batches.append(last)
    batches = [b for b in batches[:-1] if b] + [batches[-1]]
    for number, names in enumerate(batches, 1):
        operations: list[Any] = [CommitOperationAdd(name, str(plan.folder / name)) for name in names]
        if number == len(batches):
            operations += [CommitOperationDelete(name) for name in stale]
        api.create_commit(
            repo_id,
            operations,
            repo_type="dataset",
            revision=revision,
            commit_message=f"Publish {plan.folder.name} ({number}/{len(batches)}: {len(operations)} files)",
        )


def _same_file(path: Path, remote: Any) -> bool:
    """Whether the Hub's ``remote`` entry (a ``RepoFile`` or None) holds the bytes of the local file ``path``."""
    import hashlib

    if remote is None or remote.size != path.stat().st_size:
        return False
    data = path.read_bytes()
    if remote.lfs is not None:
        return hashlib.sha256(data).hexdigest() == remote.lfs.sha256
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == remote.blob_id


def _refuse_another_dataset(
    api: Any, repo_id: str, plan: PublishPlan, revision: str | None, remote: dict, overwrite: bool
) -> None:
    """A :class:`PublishError` when ``repo_id`` holds files of another dataset than ``plan`` and not ``overwrite``."""
    import json

    from mt_datasets.hub.layout import INFO_FILE, read_info

    if overwrite or not set(remote) - {".gitattributes"}:
        return
    ours = read_info(plan.folder).get("dataset")
    theirs = None
    if INFO_FILE in remote:
        with open(api.hf_hub_download(repo_id, INFO_FILE, repo_type="dataset", revision=revision), "rb") as file:
            theirs = json.load(file).get("dataset")
        if theirs == ours:
            return
    holds = f"the dataset {theirs!r}" if theirs else f"files that are not an mt-datasets build ({INFO_FILE} missing)"
    raise PublishError(
        f"{repo_id} already holds {holds}, not {ours!r}; nothing was uploaded: pass {OVERWRITE_FLAG} to replace it, "
        "or publish to another --repo-id"
    )


def _refuse_moving_the_tag(api: Any, repo_id: str, tag: str) -> None:
    """A :class:`PublishError` when the release tag already names a commit (of another version): before any upload."""
    if _has_tag(api, repo_id, tag):
        raise PublishError(
            f"{repo_id} already has the tag {tag!r} on another version; nothing was uploaded: pass --tag with a new "
            f"release name (or {OVERWRITE_FLAG} to move the tag)"
        )


def _has_tag(api: Any, repo_id: str, tag: str) -> bool:
    return any(ref.name == tag for ref in api.list_repo_refs(repo_id, repo_type="dataset").tags)


# What the Space may ask pip for: it must run without the motion-transfer package, which is not on PyPI.
SPACE_REQUIREMENTS = ("evaluate", "numpy")


def metric_space_dir() -> Path:
    """The directory of the evaluate module in the installed ``mt_metrics`` (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("mt_metrics")
    if spec is None or not spec.submodule_search_locations:
        raise PublishError("the mt_metrics package is not installed: run `make setup` (or pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "motion_transferability"


def plan_metric_upload(folder: str | Path | None = None) -> PublishPlan:
    """Validate the metric's Space directory (default: :func:`metric_space_dir`) and list what would be uploaded.

    The Space must run on evaluate and numpy alone: the card has a Space header, ``requirements.txt`` names only
    :data:`SPACE_REQUIREMENTS`, and the script imports nothing of this project's packages.
    """
    from huggingface_hub import SpaceCard

    folder = Path(folder) if folder is not None else metric_space_dir()
    name = folder.name
    for required in (f"{name}.py", "README.md", "requirements.txt", "app.py"):
        if not (folder / required).is_file():
            raise PublishError(f"{folder / required} not found: the Space needs the script, card, requirements, app")
    try:
        header = SpaceCard.load(folder / "README.md", repo_type="space").data.to_dict()
    except Exception as error:  # the card parser raises several types for bad YAML
        raise PublishError(f"{folder / 'README.md'}: the card's YAML metadata does not parse ({error})") from None
    if header.get("sdk") != "gradio" or not header.get("app_file"):
        raise PublishError(f"{folder / 'README.md'}: the Space header needs `sdk: gradio` and `app_file: app.py`")
    for line in (folder / "requirements.txt").read_text().splitlines():
        requirement = line.split("#")[0].strip()
        package = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()
        if requirement and package not in SPACE_REQUIREMENTS:
            raise PublishError(
                f"{folder / 'requirements.txt'} asks for {requirement!r}, which the Space cannot install: "
                f"keep it to {', '.join(SPACE_REQUIREMENTS)} and put the code beside the script"
            )
    script = (folder / f"{name}.py").read_text()
    for package in ("mt_datasets", "mt_metrics", "mt_models"):
        if f"import {package}" in script or f"from {package}" in script:
            raise PublishError(f"{folder / f'{name}.py'} imports {package}, which the Space does not have")
    files = sorted(
        (path.name, path.stat().st_size)
        for path in folder.iterdir()
        if path.is_file() and path.suffix in (".py", ".md", ".txt") and not _ignored(path.name)
    )
    return PublishPlan(folder, tuple(files), (), "")


def publish_metric(
    repo_id: str,
    *,
    folder: str | Path | None = None,
    private: bool = False,
    dry_run: bool = False,
    token: str | None = None,
) -> PublishPlan:
    """Validate the metric's Space directory, then create the Gradio Space ``repo_id`` (if needed) and upload it.

    The upload is tagged ``v<evaluate version>`` (:func:`metric_release_tag`): evaluate asks a Space for the revision
    named after its own version first, then ``main``. Errors raise :class:`PublishError` with one line, as
    :func:`publish`. The endpoint is ``HF_ENDPOINT``.
    """
    plan = plan_metric_upload(folder)
    if repo_id.count("/") != 1:
        raise PublishError(f"--repo-id must be ORG/NAME, got {repo_id!r}")
    if dry_run:
        return plan
    api = _writable_hub(token)
    with _hub_errors(repo_id, api.endpoint):
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
        api.upload_folder(
            repo_id=repo_id,
            folder_path=plan.folder,
            repo_type="space",
            allow_patterns=[name for name, _ in plan.files],
            commit_message="Publish the motion_transferability metric",
        )
        api.create_tag(repo_id, repo_type="space", tag=metric_release_tag(), exist_ok=True)
    return plan


def metric_release_tag() -> str:
    """The tag of a metric upload: ``v`` + the installed evaluate's version, the revision evaluate.load asks for."""
    from importlib.metadata import version

    return f"v{version('evaluate')}"


def _writable_hub(token: str | None) -> Any:
    """An ``HfApi`` to upload with, or a :class:`PublishError` saying why no upload can start (offline, no token)."""
    from huggingface_hub import HfApi, constants, get_token

    if constants.HF_HUB_OFFLINE:
        raise PublishError("HF_HUB_OFFLINE is set: unset it (and HF_DATASETS_OFFLINE) to publish")
    if token is None and get_token() is None:
        # Without a token the Hub answers 401 to an anonymous write; say the actual cause instead.
        raise PublishError(_NO_TOKEN)
    return HfApi(token=token)


class _hub_errors:
    """Turn huggingface_hub's exceptions into a one-line :class:`PublishError`."""

    def __init__(self, repo_id: str, endpoint: str) -> None:
        self.repo_id, self.endpoint = repo_id, endpoint

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, error, tb) -> bool:
        if error is None:
            return False
        from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError

        if isinstance(error, LocalTokenNotFoundError):
            message = _NO_TOKEN
        elif isinstance(error, HfHubHTTPError) and error.response is not None:
            status = error.response.status_code
            if status == 401:
                message = "the Hub rejected the token (401 Unauthorized): check HF_TOKEN or run `hf auth login`"
            elif status == 403:
                message = f"no write access to {self.repo_id} (403 Forbidden): use a token with write rights to it"
            elif status == 429:
                retry = error.response.headers.get("Retry-After")
                wait = f" after {retry} s" if retry else " later"
                message = f"rate limited by the Hub (429 Too Many Requests): try again{wait}"
            else:
                message = f"the Hub answered {status} for {self.repo_id}: {str(error).splitlines()[0]}"
        elif isinstance(error, (*_transport_errors(), ConnectionError)) and type(error).__name__ not in _UNREACHABLE:
            message = (
                f"the connection to the Hub at {self.endpoint} broke ({type(error).__name__}): rerun the same "
                "command, it sends only what the repository still lacks"
            )
        elif isinstance(error, (*_transport_errors(), ConnectionError)):
            message = f"cannot reach the Hub at {self.endpoint} ({type(error).__name__}); check HF_ENDPOINT/network"
        else:
            return False
        raise PublishError(message) from error


# Transport errors that mean no connection was made (httpx's, Python's); the others broke a connection midway.
_UNREACHABLE = ("ConnectError", "ConnectTimeout", "ConnectionRefusedError")


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client's connection/timeout errors (huggingface_hub uses httpx, or its fork httpx2, by version)."""
    import importlib

    errors = []
    for module in ("httpx", "httpx2"):
        try:
            errors.append(importlib.import_module(module).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


@command()
def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the top-level ``publish`` command."""
    parser = subparsers.add_parser(
        "publish", help="validate a dataset directory and upload it to the Hub", description=__doc__.split("\n")[0]
    )
    parser.add_argument("folder", type=Path, help="the dataset directory (with README.md, data/, meta/)")
    parser.add_argument("--repo-id", required=True, help="ORG/NAME of the dataset repository")
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--revision", default=None, help="branch to upload to (default: main)")
    parser.add_argument("--tag", default=None, help="release tag (default: v<format version>)")
    parser.add_argument("--dry-run", action="store_true", help="validate and list the files; upload nothing")
    parser.add_argument(
        OVERWRITE_FLAG,
        action="store_true",
        help="replace what the repository holds even if it is another dataset, and move an existing --tag",
    )
    parser.add_argument(
        RIGHTS_FLAG,
        dest="hold_video_rights",
        action="store_true",
        help="you hold the rights to redistribute the Kinetics / Something-Something videos a build embeds (--embed); "
        "the card will say so. Without it such a build is refused: publish a metadata-only build instead",
    )
    parser.set_defaults(func=_run)
    metric = subparsers.add_parser(
        "publish-metric",
        help="validate the motion_transferability metric and upload it as a Hub Space",
        description=publish_metric.__doc__.split("\n")[0],
    )
    metric.add_argument(
        "--repo-id", required=True, help="ORG/NAME of the Space (motion-transfer/motion_transferability)"
    )
    metric.add_argument("--private", action="store_true", help="create the Space as private")
    metric.add_argument("--dry-run", action="store_true", help="validate and list the files; upload nothing")
    metric.set_defaults(func=_run_metric)


def _run_metric(args: argparse.Namespace) -> int:
    try:
        plan = plan_metric_upload()
        print(plan.describe())
        publish_metric(args.repo_id, private=args.private, dry_run=args.dry_run)
    except PublishError as error:
        print(f"mt-datasets publish-metric: {error}", file=sys.stderr)
        return 1
    print("dry run: nothing uploaded" if args.dry_run else f"published {plan.folder} to the Space {args.repo_id}")
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        with _locked(args.folder):
            # One plan (and one verification of every shard) serves the listing and the upload.
            plan = plan_upload(args.folder, hold_video_rights=args.hold_video_rights)
            print(plan.describe())
            _publish(plan, args.repo_id, args.private, args.revision, args.tag, args.dry_run, None, args.overwrite)
    except PublishError as error:
        print(f"mt-datasets publish: {error}", file=sys.stderr)
        return 1
    print("dry run: nothing uploaded" if args.dry_run else f"published {args.folder} to {args.repo_id}")
    return 0
