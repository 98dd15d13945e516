"""``mt-datasets publish``: local validation, the upload plan, and Hub errors from loopback servers, one line each."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from hubserver import status_server

from mt_datasets import get_taxonomy
from mt_datasets.kinetics import build_k400_ta
from mt_datasets.publish import PublishError, plan_upload, publish

# The publish command exactly as the CLI registers it, without importing the other commands.
_CLI = (
    "import argparse, sys; from mt_datasets import publish; parser = argparse.ArgumentParser(); "
    "publish.add_parser(parser.add_subparsers()); args = parser.parse_args(sys.argv[1:]); sys.exit(args.func(args))"
)


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    taxonomy = get_taxonomy("k400-ta")
    annotations = tmp_path_factory.mktemp("annotations")
    header = "label,youtube_id,time_start,time_end,split\n"
    set1, set2 = taxonomy.fine_names_of_set(1)[0], taxonomy.source_name(taxonomy.fine_indices(2)[0])
    (annotations / "train.csv").write_text(header + f"{set1},abcdefghijk,0,10,train\n{set2},bcdefghijkl,0,10,train\n")
    (annotations / "validate.csv").write_text(header + f"{set1},cdefghijklm,0,10,val\n{set2},defghijklmn,0,10,val\n")
    return build_k400_ta(annotations, tmp_path_factory.mktemp("k400") / "k400-ta")


def test_plan_lists_the_files_and_leaves_out_the_writers_bookkeeping(dataset_dir):
    plan = plan_upload(dataset_dir)
    names = [name for name, _ in plan.files]
    assert "README.md" in names and "meta/info.json" in names and "meta/presence.md" in names
    assert sum(name.startswith("data/set") and name.endswith(".parquet") for name in names) == 4
    assert "meta/.lock" not in names and not any(name.endswith(".tmp") for name in names)
    assert dict(plan.files)["README.md"] == (dataset_dir / "README.md").stat().st_size
    assert set(plan.configs) >= {"set1", "set2", "all"} and plan.format_version
    listing = plan.describe()
    assert "README.md" in listing and f"{plan.total_bytes:,d}" in listing
    assert publish(dataset_dir, "motion-transfer/k400-ta", dry_run=True) == plan


def test_bad_directories_are_refused_before_any_upload(dataset_dir, tmp_path):
    with pytest.raises(PublishError, match="README.md not found"):
        plan_upload(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "README.md").write_text("---\nlicense: cc-by-4.0\nconfigs:\n- config_name: set1\n  data_files: x\n---\n")
    with pytest.raises(PublishError, match=r"lacks the configs \['set2', 'all'\]"):
        plan_upload(broken)
    (broken / "README.md").write_text((dataset_dir / "README.md").read_text())
    with pytest.raises(PublishError, match="matches no file"):
        plan_upload(broken)
    (broken / "README.md").write_text("---\nlicense: [unclosed\n---\n")
    with pytest.raises(PublishError, match="does not parse"):
        plan_upload(broken)
    with pytest.raises(PublishError, match="ORG/NAME"):
        publish(dataset_dir, "no-org", dry_run=True)


def test_offline_mode_is_named_not_hidden(dataset_dir):
    # conftest sets HF_HUB_OFFLINE=1 for the whole session, as a user's offline shell would
    with pytest.raises(PublishError, match="HF_HUB_OFFLINE is set"):
        publish(dataset_dir, "motion-transfer/k400-ta", token="hf_test_token")


def test_hub_errors_come_back_as_one_line(dataset_dir, tmp_path):
    """Every case runs the real CLI in a subprocess (HF_ENDPOINT is read at import), all at once."""
    cases = {
        401: ({}, "rejected the token (401"),
        403: ({}, "no write access to motion-transfer/k400-ta (403"),
        429: ({"Retry-After": "7"}, "rate limited by the Hub (429 Too Many Requests): try again after 7 s"),
        "no token": ({}, "no Hugging Face token"),
        "unreachable": ({}, "cannot reach the Hub at http://127.0.0.1:"),
    }
    with ExitStack() as stack:
        runs = {}
        for case, (headers, _) in cases.items():
            url, seen = stack.enter_context(status_server(case if isinstance(case, int) else 401, headers))
            env = {**os.environ, "HF_ENDPOINT": url, "HF_HUB_OFFLINE": "0", "HF_TOKEN": "hf_test_token"}
            env["HF_HOME"] = str(tmp_path / "hf-home")  # no stored token
            if case == "no token":
                del env["HF_TOKEN"]
            if case == "unreachable":
                env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # the discard port: nothing listens there
            command = [sys.executable, "-c", _CLI, "publish", str(dataset_dir), "--repo-id", "motion-transfer/k400-ta"]
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            runs[case] = (process, seen)
        for case, (process, seen) in runs.items():
            stdout, stderr = process.communicate(timeout=120)
            assert process.returncode == 1, (case, stderr)
            assert stderr.count("\n") == 1 and stderr.startswith("mt-datasets publish: "), (case, stderr)
            assert cases[case][1] in stderr, (case, stderr)
            assert "README.md" in stdout  # the listing came first
            if isinstance(case, int):
                assert "POST /api/repos/create" in seen
            elif case == "no token":
                assert not any("/api/repos" in request for request in seen)
