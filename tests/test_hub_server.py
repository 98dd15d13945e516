"""The user's one line, for real: ``load_dataset("motion-transfer/<name>", config)`` against a Hub-protocol server.

olah (offline mode) serves our built datasets as local git repositories on a loopback port; a subprocess with
``HF_ENDPOINT`` pointing at it (set before ``datasets`` is imported) and fresh caches loads each dataset in normal and
streaming mode, and the rows must equal those of the local build.

What olah does and does not do offline (read from olah 0.5.4's code, ``server_api_routes.py`` / ``mirror/repos.py``):
``/api/datasets/<repo>/revision/<rev>``, ``/tree``, ``/paths-info`` and ``/resolve`` answer from the mirror's git
objects, but the revision-less ``/api/datasets/<repo>`` resolves the newest commit from olah's *cache* only
(``get_newest_commit_hf_offline``), which a pure mirror never fills, so it answers "repo not found". ``datasets``
does not need that route (it asks for ``revision/main``), so no work-around is needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
from factories import make_tiny_dataset
from hubserver import commit_repo, olah_server

from mt_datasets import get_taxonomy
from mt_datasets.sources.kinetics import build_k400_ta
from mt_datasets.sources.ssv2 import build_ssv2_ta

CASES = (("motion-transfer/syn-ta", "set1"), ("motion-transfer/k400-ta", "set1"), ("motion-transfer/ssv2-ta", "set2"))

# Runs in the subprocess: load each (repo, config) normally and streaming, print the rows as JSON.
_LOADER = """
import hashlib, json, sys
import datasets

def rows(split):
    if "video" in split.features:
        split = split.cast_column("video", datasets.Video(decode=False))
    out = []
    for row in split:
        if "video" in row:
            row["video"] = hashlib.sha256(row["video"]["bytes"]).hexdigest()
        out.append(row)
    return out

result = {}
for repo, config in json.loads(sys.argv[1]):
    for streaming in (False, True):
        ds = datasets.load_dataset(repo, config, streaming=streaming)
        result[f"{repo}:{config}:{streaming}"] = {name: rows(split) for name, split in ds.items()}
print(json.dumps(result))
"""


def _local_rows(directory: Path, config: str) -> dict[str, list[dict]]:
    ds = datasets.load_dataset(str(directory), config)
    out = {}
    for name, split in ds.items():
        if "video" in split.features:
            split = split.cast_column("video", datasets.Video(decode=False))
        out[name] = [
            {**row, "video": hashlib.sha256(row["video"]["bytes"]).hexdigest()} if "video" in row else row
            for row in split
        ]
    return out


def _k400_annotations(root: Path) -> Path:
    t = get_taxonomy("k400-ta")
    header = "label,youtube_id,time_start,time_end,split\n"
    a, b = t.source_name(t.fine_indices(1)[0]), t.source_name(t.fine_indices(2)[0])
    (root / "train.csv").write_text(header + f"{a},AAAAAAAAAAA,0,10,train\n{b},BBBBBBBBBBB,4,14,train\n")
    (root / "validate.csv").write_text(header + f"{a},CCCCCCCCCCC,1,11,val\n{b},DDDDDDDDDDD,2,12,val\n")
    return root


def _ssv2_annotations(root: Path) -> Path:
    t = get_taxonomy("ssv2-ta")
    a, b = t.fine_names_of_set(1)[0], t.fine_names_of_set(2)[0]
    (root / "labels.json").write_text(json.dumps({name: str(i) for i, name in enumerate(t.fine_names)}))

    def entry(video_id, name):
        return {"id": video_id, "label": name.lower(), "template": name, "placeholders": []}

    (root / "train.json").write_text(json.dumps([entry("11", a), entry("12", b)]))
    (root / "validation.json").write_text(json.dumps([entry("21", a), entry("22", b), entry("23", b)]))
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[str, dict[str, Path]]:
    """Build the three datasets, commit them as git repos in olah's mirror tree, and serve them."""
    work = tmp_path_factory.mktemp("hub")
    builds = {
        "motion-transfer/syn-ta": make_tiny_dataset(work / "syn-ta", coarse_classes=(0, 1), clips_per_fine=1),
        "motion-transfer/k400-ta": build_k400_ta(_k400_annotations(work), work / "k400-ta"),
        "motion-transfer/ssv2-ta": build_ssv2_ta(_ssv2_annotations(work), work / "ssv2-ta"),
    }
    mirrors = work / "mirrors"
    for repo_id, directory in builds.items():
        commit_repo(directory, mirrors, repo_id)
    server_dir = work / "olah"
    server_dir.mkdir()
    with olah_server(mirrors, server_dir) as url:
        yield url, builds


def test_load_dataset_from_the_hub_server_equals_the_local_build(served, tmp_path):
    url, builds = served
    env = {
        **os.environ,
        "HF_ENDPOINT": url,
        "HF_HUB_OFFLINE": "0",
        "HF_DATASETS_OFFLINE": "0",
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_DATASETS_CACHE": str(tmp_path / "hf-datasets"),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    env.pop("HF_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-c", _LOADER, json.dumps(CASES)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-4000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    for repo, config in CASES:
        local = _local_rows(builds[repo], config)
        assert sum(len(rows) for rows in local.values()) > 0
        for streaming in (False, True):
            assert loaded[f"{repo}:{config}:{streaming}"] == local, (repo, config, streaming)
    assert set(loaded["motion-transfer/syn-ta:set1:False"]) == {"train", "known", "unknown"}
    # the metadata releases carry no pixels
    assert "video" not in loaded["motion-transfer/k400-ta:set1:False"]["train"][0]
