"""``mt-datasets publish``: local validation, the upload plan, and Hub errors from loopback servers, one line each."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from factories import hold_directory_lock, write_test_video
from hubserver import status_server

from mt_datasets import get_taxonomy
from mt_datasets.commands.cli import main as cli_main
from mt_datasets.hub.layout import write_incomplete_card
from mt_datasets.hub.publish import PublishError, plan_upload, publish
from mt_datasets.hub.verify import verify_dataset
from mt_datasets.sources.kinetics import build_k400_ta

# The publish command exactly as the CLI registers it, without importing the other commands.
_CLI = (
    "import argparse, sys; from mt_datasets.hub import publish; parser = argparse.ArgumentParser(); "
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
            # One copy per run: publish holds its directory's lock, so runs on one directory would refuse each other.
            folder = tmp_path / f"copy-{case}".replace(" ", "-")
            shutil.copytree(dataset_dir, folder)
            command = [sys.executable, "-c", _CLI, "publish", str(folder), "--repo-id", "motion-transfer/k400-ta"]
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


def _annotations(directory: Path) -> tuple[Path, list[str]]:
    """Kinetics CSVs of four clips (both sets, both splits); returns the folder and the clips' video paths."""
    taxonomy = get_taxonomy("k400-ta")
    header = "label,youtube_id,time_start,time_end,split\n"
    set1, set2 = taxonomy.fine_names_of_set(1)[0], taxonomy.source_name(taxonomy.fine_indices(2)[0])
    directory.mkdir()
    (directory / "train.csv").write_text(header + f"{set1},abcdefghijk,0,10,train\n{set2},bcdefghijkl,0,10,train\n")
    (directory / "validate.csv").write_text(header + f"{set1},cdefghijklm,0,10,val\n{set2},defghijklmn,0,10,val\n")
    ids = {"train": ("abcdefghijk", "bcdefghijkl"), "val": ("cdefghijklm", "defghijklmn")}
    return directory, [f"{split}/{i}_000000_000010.mp4" for split, pair in ids.items() for i in pair]


@pytest.fixture(scope="module")
def embedded_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("k400-embedded")
    annotations, files = _annotations(root / "annotations")
    for seed, relative in enumerate(files):
        (root / "videos" / relative).parent.mkdir(parents=True, exist_ok=True)
        write_test_video(root / "videos" / relative, seed=seed)
    return build_k400_ta(annotations, root / "k400-ta", videos=root / "videos", embed=True)


def _damage(folder: Path, how: str) -> str:
    shard = sorted((folder / "data").glob("*.parquet"))[0]
    name = f"data/{shard.name}"
    if how == "truncated":
        shard.write_bytes(shard.read_bytes()[:-10])
        return f"{name}: "
    if how == "changed":
        data = bytearray(shard.read_bytes())
        data[len(data) // 2] ^= 0xFF
        shard.write_bytes(bytes(data))
        return f"{name}: its sha256 differs"
    if how == "missing":
        shard.unlink()
        return f"{name}: missing"
    if how == "stray":
        shutil.copy(shard, folder / "data" / "set1-train-00042.parquet")
        return "data/set1-train-00042.parquet is not in meta/shards.json"
    write_incomplete_card(folder)
    return "did not finish"


@pytest.mark.parametrize("how", ["truncated", "changed", "missing", "stray", "unfinished"])
def test_verify_finds_damage_and_publish_refuses_it(dataset_dir, tmp_path, capsys, how):
    assert verify_dataset(dataset_dir).ok
    assert cli_main(["verify", str(dataset_dir)]) == 0
    assert "4 shards, 4 rows match meta/shards.json" in capsys.readouterr().out
    folder = tmp_path / "copy"
    shutil.copytree(dataset_dir, folder)
    expected = _damage(folder, how)
    result = verify_dataset(folder)
    assert not result.ok and any(expected in problem for problem in result.problems), result.problems
    assert cli_main(["verify", str(folder)]) == 1
    assert expected in capsys.readouterr().err
    args = ["publish", str(folder), "--repo-id", "motion-transfer/k400-ta", "--dry-run"]
    assert cli_main(args) == 1
    error = capsys.readouterr().err
    # (a group's only shard gone: the card's own check, that every config's files exist, refuses it first)
    refusal = "matches no file" if how == "missing" else expected
    assert len(error.strip().splitlines()) == 1 and refusal in error, error


def test_embedded_third_party_videos_need_the_rights_flag_and_the_card_says_so(embedded_dir, tmp_path, capsys):
    args = ["publish", str(embedded_dir), "--repo-id", "motion-transfer/k400-ta", "--dry-run"]
    assert cli_main(args) == 1
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert "embeds Kinetics-400 clips from YouTube" in error and "metadata-only build" in error
    assert "--i-hold-the-video-rights" in error
    assert cli_main([*args, "--i-hold-the-video-rights"]) == 0
    assert "Video rights" not in (embedded_dir / "README.md").read_text()  # a dry run changes nothing

    # A real upload with the flag states the rights in the card before anything is sent (here to a Hub that answers
    # 401 to every request: uploads cannot be tested offline).
    folder = tmp_path / "embedded"
    shutil.copytree(embedded_dir, folder)
    with status_server(401, {}) as (url, seen):
        env = {**os.environ, "HF_ENDPOINT": url, "HF_HUB_OFFLINE": "0", "HF_TOKEN": "hf_test_token"}
        command = [sys.executable, "-c", _CLI, "publish", str(folder), "--repo-id", "motion-transfer/k400-ta"]
        done = subprocess.run([*command, "--i-hold-the-video-rights"], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "401" in done.stderr
    card = (folder / "README.md").read_text()
    assert "## Video rights" in card and "hold the rights to redistribute these videos" in card


def test_a_directory_held_by_another_process_is_refused_naming_it(dataset_dir, tmp_path, capsys):
    with hold_directory_lock(dataset_dir, "mt-datasets k400-ta build --out X") as pid:
        who = f"being written by another process (pid {pid} on {socket.gethostname()}, running `mt-datasets"
        assert cli_main(["publish", str(dataset_dir), "--repo-id", "motion-transfer/k400-ta", "--dry-run"]) == 1
        error = capsys.readouterr().err
        assert len(error.strip().splitlines()) == 1 and who in error, error
        annotations, _ = _annotations(tmp_path / "annotations")
        assert cli_main(["k400-ta", "build", "--annotations", str(annotations), "--out", str(dataset_dir)]) == 2
        error = capsys.readouterr().err
        assert len(error.strip().splitlines()) == 1 and who in error, error
    assert verify_dataset(dataset_dir).ok  # nothing was touched
    assert cli_main(["publish", str(dataset_dir), "--repo-id", "motion-transfer/k400-ta", "--dry-run"]) == 0
