"""Comparison harness: resumable runs, finished runs reused only with the same settings, shared loss, ablation."""

import json

import pytest
import torch

from recbole_elcrec.quick_start import compare
from recbole_elcrec.utils.fingerprint import SettingsMismatchError
from tests.evaluation.test_tables import metrics
from tests.helpers import PNG_SIGNATURE, TINY_DATASET, write_tiny_inter

RUNS = "ml-100k/paper"  # records of the comparisons below: results/<dataset>/<protocol>/


def fake_runner(calls):
    def runner(model, dataset, seed, config_files, settings):
        calls.append((model, seed, settings))
        return {"dataset": dataset, "eval_protocol": "paper", "test_result": metrics(0.1 * (seed - 2019)),
                "train_seconds": 2.0, "epochs_trained": 2, "best_epoch": 1, "stop_reason": "early stopping",
                "converged": True, "hardware": "CPU"}
    return runner


def test_runs_are_resumable(tmp_path):
    calls = []
    rows = {"SASRec": ("SASRec", {}), "ELCRec": ("ELCRec", {})}
    compare.run_grid(rows, "ml-100k", [2020, 2021], [], {}, tmp_path, fake_runner(calls))
    assert len(calls) == 4 and len(list((tmp_path / RUNS).glob("*-CE-seed*.json"))) == 4
    (tmp_path / RUNS / "SASRec-CE-seed2021.json").unlink()
    results = compare.run_grid(rows, "ml-100k", [2020, 2021], [], {}, tmp_path, fake_runner(calls))
    assert len(calls) == 5 and calls[-1][:2] == ("SASRec", 2021)
    assert [len(runs) for runs in results.values()] == [2, 2]


def test_finished_run_file_is_not_retrained(tmp_path):
    calls = []
    finished = {"dataset": "ml-100k", "test_result": metrics(0.9), "train_seconds": 1.0, "epochs_run": 1}
    (tmp_path / RUNS).mkdir(parents=True)
    (tmp_path / RUNS / "SASRec-CE-seed2020.json").write_text(json.dumps(finished))
    results = compare.run_grid({"SASRec": ("SASRec", {})}, "ml-100k", [2020], [], {}, tmp_path, fake_runner(calls))
    assert calls == [] and results["SASRec"] == [finished]


def test_run_file_of_another_dataset_is_refused(tmp_path):
    (tmp_path / RUNS).mkdir(parents=True)
    (tmp_path / RUNS / "SASRec-CE-seed2020.json").write_text(json.dumps({"dataset": "yelp",
                                                                         "test_result": metrics(0.1)}))
    with pytest.raises(ValueError, match="holds a run on dataset 'yelp', not 'ml-100k'"):
        compare.run_grid({"SASRec": ("SASRec", {})}, "ml-100k", [2020], [], {}, tmp_path, fake_runner([]))


def test_baselines_share_elcrecs_next_item_loss(tmp_path):
    calls = []
    compare.run_grid({"SASRec": ("SASRec", {}), "BPR": ("BPR", {})}, "ml-100k", [2020], [], {}, tmp_path,
                     fake_runner(calls))
    assert calls[0][2] == {"loss_type": "CE"} and calls[1][2] == {}
    assert compare.shared_loss_overrides("SASRec", "ml-100k", [], {"alpha": 1}) == {"loss_type": "CE"}


def test_ablation_rows_write_their_records_and_the_tables(tmp_path):
    compare.run_grid(compare.ablation_rows(), "ml-100k", [2020, 2021], [], {}, tmp_path, fake_runner([]))
    names = sorted(path.name for path in (tmp_path / RUNS).glob("*.json"))
    assert names[:2] == ["ELCRec-CE-seed2020.json", "ELCRec-CE-seed2021.json"]
    assert "ablation-plus_CCL-CE-seed2020.json" in names and len(names) == 8
    tables = compare.write_comparison(tmp_path).read_text()
    assert "Figure 4 ablation" in tables and "| +ELCM | 2 |" in tables
    png = next(tmp_path.glob("ablation-ml-100k-paper-CE.png"))
    assert png.read_bytes().startswith(PNG_SIGNATURE)


def test_runs_made_with_other_settings_are_refused_naming_the_keys(tmp_path):
    calls = []
    rows = {"SASRec": ("SASRec", {}), "ELCRec": ("ELCRec", {})}
    compare.run_grid(rows, "ml-100k", [2020], [], {"epochs": 1, "hidden_size": 16}, tmp_path, fake_runner(calls))
    assert len(calls) == 2
    before = {path.name: path.read_text() for path in (tmp_path / RUNS).iterdir()}
    changed = {"epochs": 3, "hidden_size": 64, "learning_rate": 0.05}
    with pytest.raises(SettingsMismatchError) as raised:
        compare.run_grid(rows, "ml-100k", [2020], [], changed, tmp_path, fake_runner(calls))
    message = str(raised.value)
    assert "SASRec-CE-seed2020.json was made with other settings" in message
    assert "epochs: 1 -> 3" in message and "hidden_size: 16 -> 64" in message
    assert "learning_rate: 0.002 -> 0.05" in message
    assert "(1 more finished run(s) differ too)" in message and "--force" in raised.value.hint
    after = {path.name: path.read_text() for path in (tmp_path / RUNS).iterdir()}
    assert len(calls) == 2 and after == before  # nothing ran
    compare.run_grid(rows, "ml-100k", [2020], [], changed, tmp_path, fake_runner(calls), force=True)
    assert len(calls) == 4 and all(call[2]["epochs"] == 3 for call in calls[2:])
    compare.run_grid(rows, "ml-100k", [2020], [], changed, tmp_path, fake_runner(calls))  # same settings: reused
    assert len(calls) == 4


def test_a_changed_dataset_file_is_a_settings_change(tmp_path):
    write_tiny_inter(tmp_path / "data")
    settings = {"data_path": str(tmp_path / "data")}
    rows = {"SASRec": ("SASRec", {})}
    compare.run_grid(rows, TINY_DATASET, [2020], [], settings, tmp_path / "runs", fake_runner([]))
    write_tiny_inter(tmp_path / "data", seed=1)  # the same name, other interactions
    with pytest.raises(SettingsMismatchError, match=r"file:tiny\.inter: sha256:\w{12} -> sha256:\w{12}"):
        compare.run_grid(rows, TINY_DATASET, [2020], [], settings, tmp_path / "runs", fake_runner([]))


def test_a_truncated_run_file_is_named_and_force_trains_it_again(tmp_path):
    calls = []
    (tmp_path / RUNS).mkdir(parents=True)
    (tmp_path / RUNS / "SASRec-CE-seed2020.json").write_text('{"dataset": "ml-100k", "test_res')
    with pytest.raises(ValueError, match=r"SASRec-CE-seed2020\.json is not a complete results file \(.*: line 1 col"):
        compare.run_grid({"SASRec": ("SASRec", {})}, "ml-100k", [2020], [], {}, tmp_path, fake_runner(calls))
    compare.run_grid({"SASRec": ("SASRec", {})}, "ml-100k", [2020], [], {}, tmp_path, fake_runner(calls), force=True)
    assert len(calls) == 1 and "fingerprint" in json.loads((tmp_path / RUNS / "SASRec-CE-seed2020.json").read_text())


def s3rec_settings(tmp_path, epochs: int, pretrain_epochs: int) -> dict:
    """Tiny-dataset settings for S3Rec, its item attributes written beside the interactions."""
    from recbole_elcrec.data.attributes import write_item_file
    from tests.helpers import tiny_overrides

    data = tmp_path / "data"
    write_tiny_inter(data)
    write_item_file({str(item): [1 + (item - 1) // 10, 5] for item in range(1, 41)}, data, TINY_DATASET)
    return tiny_overrides(tmp_path, data, epochs=epochs, pretrain_epochs=pretrain_epochs,
                          load_col={"inter": ["user_id", "item_id", "timestamp"], "item": ["item_id", "class"]})


def test_s3rec_is_pre_trained_then_fine_tuned_in_one_run(tmp_path):
    settings = s3rec_settings(tmp_path, epochs=1, pretrain_epochs=2)
    results = compare.run_grid({"S3Rec": ("S3Rec", {})}, TINY_DATASET, [2020], [], settings, tmp_path / "results")
    record = results["S3Rec"][0]
    assert record["pretrain_epochs_run"] == 2 and record["settings"]["train_stage"] == "finetune"
    assert record["train_seconds"] == pytest.approx(record["finetune_seconds"] + record["pretrain_seconds"])
    assert set(record["test_result"]) == {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}
    assert record["pretrain_stop_reason"] == "epoch cap" and record["stop_reason"] == "epoch cap"


def test_an_s3rec_run_whose_pre_training_hit_the_cap_is_recorded_as_capped(tmp_path):
    settings = s3rec_settings(tmp_path, epochs=1, pretrain_epochs=3)
    record = compare.run_grid({"S3Rec": ("S3Rec", {})}, TINY_DATASET, [2020], [],
                              {**settings, "time_cap_minutes": 1e-4}, tmp_path / "results")["S3Rec"][0]
    assert record["pretrain_epochs_run"] == 1 and record["pretrain_stop_reason"] == "time cap"
    assert record["stop_reason"] == "time cap" and record["converged"] is False


def test_an_interrupted_s3rec_run_resumes_each_stage_where_it_stopped(tmp_path, monkeypatch):
    from recbole_elcrec.quick_start.pretrain import pretrain
    from recbole_elcrec.trainer.resume import TrainingInterrupted
    from recbole_elcrec.utils.compat import load_checkpoint
    from tests.trainer.test_resume import interrupt_at

    settings = s3rec_settings(tmp_path, epochs=3, pretrain_epochs=3)
    rows = {"S3Rec": ("S3Rec", {})}
    once = compare.run_grid(rows, TINY_DATASET, [2020], [], {**settings, "checkpoint_dir": str(tmp_path / "once")},
                            tmp_path / "once")["S3Rec"][0]
    with monkeypatch.context() as patch:
        interrupt_at(patch, 2)  # in pre-training, after its epochs 0 and 1
        with pytest.raises(KeyboardInterrupt):
            compare.run_grid(rows, TINY_DATASET, [2020], [], settings, tmp_path / "results")
    state = tmp_path / "saved" / f"S3Rec-{TINY_DATASET}-seed2020-pretraining.pth"
    assert load_checkpoint(state)["pretrain_epochs_run"] == 2
    with monkeypatch.context() as patch:
        interrupt_at(patch, 1)  # pre-training resumes at its epoch 2 and finishes; fine-tuning stops at its epoch 1
        with pytest.raises(TrainingInterrupted) as raised:
            compare.run_grid(rows, TINY_DATASET, [2020], [], settings, tmp_path / "results")
    assert not state.exists() and load_checkpoint(raised.value.last_checkpoint)["epoch"] == 0
    resumed = compare.run_grid(rows, TINY_DATASET, [2020], [], settings, tmp_path / "results")["S3Rec"][0]
    assert resumed["resume_checkpoint"] == raised.value.last_checkpoint and resumed["pretrain_epochs_run"] == 3
    for name, tensor in load_checkpoint(once["pre_model_path"])["state_dict"].items():
        assert torch.equal(tensor, load_checkpoint(resumed["pre_model_path"])["state_dict"][name]), name
    assert len(resumed["history"]) == 3 and resumed["test_result"] == once["test_result"]
    assert resumed["pretrain_seconds"] > 0 and resumed["train_seconds"] > resumed["finetune_seconds"]
    longer = pretrain("S3Rec", TINY_DATASET, [], {**settings, "seed": 2020, "pretrain_epochs": 4})
    assert longer["pretrain_epochs_run"] == 4  # a finished pre-training with other settings is not reused


def test_an_item_file_changes_only_the_runs_that_read_it(tmp_path):
    from recbole_elcrec.data.attributes import write_item_file

    write_tiny_inter(tmp_path / "data")
    settings = {"data_path": str(tmp_path / "data")}
    before = compare.run_fingerprint("SASRec", TINY_DATASET, 2020, [], settings)
    with_items = {**settings, "load_col": {"inter": ["user_id", "item_id", "timestamp"], "item": ["item_id", "class"]}}
    reading_before = compare.run_fingerprint("SASRec", TINY_DATASET, 2020, [], with_items)
    write_item_file({"1": [1]}, tmp_path / "data", TINY_DATASET)
    assert compare.run_fingerprint("SASRec", TINY_DATASET, 2020, [], settings) == before
    assert compare.run_fingerprint("SASRec", TINY_DATASET, 2020, [], with_items) != reading_before


def test_an_interrupted_run_is_resumed_by_the_next_comparison_not_started_again(tiny_data_path, tmp_path,
                                                                                 monkeypatch):
    from recbole_elcrec.trainer.resume import TrainingInterrupted
    from recbole_elcrec.utils.compat import load_checkpoint
    from tests.helpers import tiny_overrides
    from tests.trainer.test_resume import interrupt_at

    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=3)
    uninterrupted = compare.run_grid({"SASRec": ("SASRec", {})}, TINY_DATASET, [2020], [],
                                     {**settings, "checkpoint_dir": str(tmp_path / "once")}, tmp_path / "once")
    with monkeypatch.context() as patch:
        interrupt_at(patch, 2)
        with pytest.raises(TrainingInterrupted) as raised:
            compare.run_grid({"SASRec": ("SASRec", {})}, TINY_DATASET, [2020], [], settings, tmp_path / "results")
    assert load_checkpoint(raised.value.last_checkpoint)["epoch"] == 1
    other_seed = compare.run_grid({"SASRec": ("SASRec", {})}, TINY_DATASET, [2021], [], settings,
                                  tmp_path / "results")["SASRec"][0]
    assert other_seed["resume_checkpoint"] != raised.value.last_checkpoint  # another seed is another run
    resumed = compare.run_grid({"SASRec": ("SASRec", {})}, TINY_DATASET, [2020], [], settings,
                               tmp_path / "results")["SASRec"][0]
    assert resumed["resume_checkpoint"] == raised.value.last_checkpoint
    assert len(resumed["history"]) == 3 and resumed["test_result"] == uninterrupted["SASRec"][0]["test_result"]
