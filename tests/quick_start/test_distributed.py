"""DDP on CPU: two gloo processes train ELCRec for one epoch and end with identical replicas."""

import pytest

from recbole_elcrec.quick_start.distributed import launch, make_run_folders, rank_overrides
from tests.helpers import TINY_DATASET, tiny_overrides


@pytest.mark.distributed
def test_two_gloo_ranks_keep_identical_centres(tiny_data_path, tmp_path):
    overrides = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    ranks = launch("ELCRec", TINY_DATASET, overrides=overrides, nproc=2, backend="gloo",
                   timeout=120)
    assert [result["rank"] for result in ranks] == [0, 1]
    assert ranks[0]["state_digests"]["cluster_centres"] == ranks[1]["state_digests"]["cluster_centres"]
    assert ranks[0]["state_digests"] == ranks[1]["state_digests"] and ranks[0]["replicas_identical"]
    assert ranks[0]["test_result"] == ranks[1]["test_result"]
    assert set(ranks[0]["test_result"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}
    assert ranks[0]["checkpoint"] == ranks[1]["checkpoint"] and "results_file" in ranks[0]
    assert "results_file" not in ranks[1]


def test_rank_settings_silence_other_ranks_and_pick_devices():
    assert rank_overrides({"epochs": 1}, "gloo", 1) == {"epochs": 1, "fast_train": True, "gpu_id": "",
                                                        "state": "ERROR", "show_progress": False}
    assert rank_overrides({}, "nccl", 0) == {"fast_train": True}


def test_run_folders_are_created_once_and_again_without_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = {"checkpoint_dir": str(tmp_path / "saved" / "ddp"), "model": "ELCRec"}
    make_run_folders(config)
    make_run_folders(config)  # a second rank finding the folders already there
    assert (tmp_path / "saved" / "ddp").is_dir() and (tmp_path / "log" / "ELCRec").is_dir()
