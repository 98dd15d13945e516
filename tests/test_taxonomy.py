"""The shipped class tables against the paper's counts and the release's split lists."""

from pathlib import Path

import pytest

from mt_datasets import get_taxonomy
from mt_datasets.taxonomy import DATASET_NAMES, other_set

SPLIT_LISTS = Path(__file__).parent / "data" / "synta_split_lists"


@pytest.mark.parametrize(
    ("name", "num_coarse", "per_set"),
    [("syn-ta", 20, (53, 47)), ("k400-ta", 41, (111, 94)), ("ssv2-ta", 26, (81, 68))],
)
def test_counts(name, num_coarse, per_set):
    t = get_taxonomy(name)
    assert len(t.coarse_names) == num_coarse
    assert t.num_fine_per_set == per_set
    assert len(t.fine_names) == sum(per_set) == len(t.fine_to_coarse) == len(t.fine_set)


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_every_coarse_class_has_variants_in_both_sets(name):
    t = get_taxonomy(name)
    for coarse in range(t.num_coarse):
        sets = {t.fine_set[f] for f in t.fine_classes_of(coarse)}
        assert sets == {1, 2}, f"{t.coarse_names[coarse]!r} has fine classes only in {sets}"
    set1, set2 = set(t.fine_names_of_set(1)), set(t.fine_names_of_set(2))
    assert not set1 & set2


@pytest.mark.parametrize("level", ["coarse", "fine"])
@pytest.mark.parametrize("split", ["train", "val"])
@pytest.mark.parametrize("fine_set", [1, 2])
def test_split_list_reproduces_release(level, split, fine_set):
    reference = (SPLIT_LISTS / f"{split}_set{fine_set}_{level}.txt").read_text()
    assert "\n".join(get_taxonomy("syn-ta").split_list(level, split, fine_set)) == reference


def test_split_list_sizes_match_paper():
    t = get_taxonomy("syn-ta")
    assert len(t.split_list("coarse", "train", 1)) == 3180
    assert len(t.split_list("coarse", "val", 1)) == 2120
    assert len(t.split_list("coarse", "train", 2)) == 2820
    assert len(t.split_list("coarse", "val", 2)) == 1880


def test_k400_renamed_classes_map_to_kinetics_names():
    t = get_taxonomy("k400-ta")
    assert t.source_name(t.fine_index("drinking water or soft drinks")) == "drinking"
    assert t.source_name(t.fine_index("smoking cigarette or short object")) == "smoking"
    assert t.source_name(t.fine_index("drinking beer")) == "drinking beer"


def test_syn_ta_names_and_paths():
    t = get_taxonomy("syn-ta")
    fine = t.fine_index("Single object orbiting another object in the center in clockwise direction on vertical plane")
    assert t.coarse_names[t.fine_to_coarse[fine]] == "orbiting"
    assert t.intra_class_number[fine] == 5
    assert t.release_path(fine, 31, "front") == "orbiting/orbiting5_front_id_31.mp4"
    assert t.split_of_clip_id(30) == "train" and t.split_of_clip_id(31) == "val"
    with pytest.raises(ValueError, match="1 to 50"):
        t.split_of_clip_id(51)


def test_wrong_names_get_helpful_errors():
    with pytest.raises(ValueError, match=r"syn-ta.*k400-ta.*ssv2-ta"):
        get_taxonomy("kinetics")
    with pytest.raises(KeyError, match="Did you mean 'orbiting'"):
        get_taxonomy("syn-ta").coarse_index("orbitting")
    with pytest.raises(ValueError, match="Syn-TA only"):
        get_taxonomy("k400-ta").split_list("coarse", "train", 1)
    with pytest.raises(ValueError, match="level"):
        get_taxonomy("syn-ta").split_list("medium", "train", 1)
    with pytest.raises(ValueError, match="fine_set"):
        other_set(3)
    assert get_taxonomy("SSv2_TA") is get_taxonomy("ssv2-ta")


def test_protocol_has_one_home_and_the_old_names_still_import():
    import mt_datasets
    from mt_datasets import errors, hub, protocol, taxonomy
    from mt_models.runtime import data

    assert protocol.direction(1) == "set1->set2" and protocol.direction(2) == "set2->set1"
    assert {c: protocol.training_set_of(c) for c in protocol.PROTOCOL_CONFIGS} == {"set1": 1, "set2": 2}
    for config, trained in protocol.PROTOCOL_CONFIGS.items():
        splits = protocol.CONFIG_SPLITS[config]
        assert splits["known"] == protocol.group_name(trained, "val")
        assert splits["unknown"] == protocol.group_name(protocol.other_set(trained), "val")
        assert tuple(splits)[1:] == protocol.TEST_SPLITS
    with pytest.raises(ValueError, match="Did you mean 'set1'"):
        protocol.training_set_of("set 1")
    # The names' earlier homes re-export the same objects.
    assert taxonomy.other_set is protocol.other_set and taxonomy.FINE_SETS is protocol.FINE_SETS
    assert hub.CONFIG_SPLITS is protocol.CONFIG_SPLITS
    assert data.PROTOCOL_CONFIGS is protocol.PROTOCOL_CONFIGS and data.training_set_of is protocol.training_set_of
    assert taxonomy.did_you_mean is errors.did_you_mean
    assert mt_datasets.VideoDecodeError is errors.VideoDecodeError
    assert mt_datasets.DatasetMismatchError is hub.DatasetMismatchError is errors.DatasetMismatchError
