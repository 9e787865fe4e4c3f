"""DDP on CPU: two gloo processes train ELCRec for one epoch and end with identical replicas."""

import pytest

from recbole_elcrec.commands.distributed import main as distributed_main
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


def test_nproc_below_one_is_refused(capsys):
    with pytest.raises(ValueError, match="nproc must be at least 1, got 0"):
        launch(nproc=0)
    with pytest.raises(SystemExit) as raised:
        distributed_main(["--nproc", "0"])
    assert raised.value.code == 2 and "--nproc: expected an integer >= 1, got 0" in capsys.readouterr().err


def test_a_mistyped_key_is_refused_before_any_process_starts(monkeypatch, capsys):
    monkeypatch.setattr("recbole_elcrec.quick_start.distributed.mp.spawn", lambda *a, **k: pytest.fail("spawned"))
    assert distributed_main(["--nproc", "2", "--backend", "gloo", "--n_cluster=4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown config key 'n_cluster' (did you mean 'n_clusters'?)")
    assert "Traceback" not in err


@pytest.mark.distributed
def test_an_error_inside_a_rank_is_one_clean_error_line(tiny_data_path, tmp_path, capsys):
    argv = ["--nproc", "1", "--backend", "gloo", "--dataset", TINY_DATASET]
    argv += [f"--{key}={value}" for key, value in tiny_overrides(tmp_path, tiny_data_path, n_clusters=500).items()]
    assert distributed_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: rank 0 of the distributed run failed: n_clusters=500 is larger than the 60 training")
    assert "Traceback" not in err and "ProcessRaisedException" not in err
