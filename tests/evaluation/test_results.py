"""Tables rebuilt from run records alone: converged runs in Table 1, capped ones apart, t-test, file errors."""

import json

import pytest

from recbole_elcrec.evaluation.results import (
    RecordError,
    hardware_of,
    record_path,
    timing_rows,
    write_tables_report,
)
from tests.evaluation.test_tables import metrics
from tests.helpers import assert_png


def write_record(root, row, seed, ndcg, stop="early stopping", loss="CE", dataset="beauty"):
    record = {"dataset": dataset, "eval_protocol": "paper", "row": row, "loss": loss, "seed": seed,
              "test_result": metrics(ndcg), "train_seconds": 600.0, "epochs_trained": 30, "best_epoch": 9,
              "stop_reason": stop, "converged": stop == "early stopping", "hardware": "test CPU"}
    path = record_path(root, dataset, "paper", row, loss, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def test_table_1_holds_converged_runs_only_and_capped_runs_stand_apart(tmp_path):
    for seed, (elcrec, sasrec) in zip((2020, 2021, 2022), ((0.30, 0.20), (0.32, 0.21), (0.31, 0.25)), strict=True):
        write_record(tmp_path, "ELCRec", seed, elcrec)
        write_record(tmp_path, "SASRec", seed, sasrec)
    write_record(tmp_path, "GRU4Rec", 2020, 0.9, stop="time cap")
    text = write_tables_report(tmp_path).read_text()
    table_1, capped = text.split("did **not** converge")
    assert "| ELCRec | 3 | **0.3100 ± 0.0100** |" in table_1 and "<u>0.2200 ± 0.0265</u>" in table_1
    assert "GRU4Rec" not in table_1 and "| GRU4Rec (time cap) | 1 |" in capped
    assert "| p (best vs runner-up) |  | 0.0" in table_1  # paired t-test over the three seeds
    assert "| SASRec | 3 | 10.0 ± 0.0 | 30 | 20.0 | 10 | 3.3 | early stopping | test CPU |" in capped


def test_rows_that_ran_other_seeds_are_not_t_tested_against_each_other(tmp_path):
    # two runs each, but ELCRec ran seeds 2020-2021 and SASRec 2021-2022: pairing them by position would
    # compare ELCRec's 2020 with SASRec's 2021, so the p-value must be n/a, not a number
    for seed, ndcg in ((2020, 0.30), (2021, 0.32)):
        write_record(tmp_path, "ELCRec", seed, ndcg)
    for seed, ndcg in ((2021, 0.20), (2022, 0.25)):
        write_record(tmp_path, "SASRec", seed, ndcg)
    table_1 = write_tables_report(tmp_path).read_text()
    assert "| p (best vs runner-up) |  | n/a | n/a | n/a | n/a |" in table_1
    assert "no paired t-test: the two rows ran different seeds" in table_1


def test_table_1_and_the_ablation_get_a_chart_of_their_converged_runs(tmp_path):
    for seed in (2020, 2021):
        write_record(tmp_path, "ELCRec", seed, 0.30 + seed % 2 / 100)
        write_record(tmp_path, "ablation-baseline", seed, 0.20)
    write_record(tmp_path, "GRU4Rec", 2020, 0.9, stop="time cap")
    text = write_tables_report(tmp_path).read_text()
    for name in ("table1", "ablation"):
        figure = tmp_path / f"{name}-beauty-paper-CE.png"
        assert_png(figure)
        assert f"]({figure.as_posix()})" in text
    assert text.count("![") == 2
    assert "**What the ablation says**" in text and "no converged run of +CCL, +ELCM" in text


def test_groups_by_dataset_protocol_and_loss(tmp_path):
    write_record(tmp_path, "ELCRec", 2020, 0.3)
    write_record(tmp_path, "ELCRec", 2020, 0.2, loss="BCE")
    write_record(tmp_path, "ELCRec", 2020, 0.1, dataset="toys")
    headings = [line for line in write_tables_report(tmp_path).read_text().splitlines() if line.startswith("### ")]
    assert headings == ["### beauty: paper protocol, BCE next-item loss",
                        "### beauty: paper protocol, CE next-item loss", "### toys: paper protocol, CE next-item loss"]


def test_a_truncated_record_is_named(tmp_path):
    write_record(tmp_path, "ELCRec", 2020, 0.3)
    broken = record_path(tmp_path, "beauty", "paper", "SASRec", "CE", 2020)
    broken.write_text('{"dataset": "beauty", "test_res')
    with pytest.raises(RecordError, match=r"SASRec-CE-seed2020.json is not a complete results file"):
        write_tables_report(tmp_path)
    with pytest.raises(RecordError, match="no run records under"):
        write_tables_report(tmp_path / "empty")


def test_a_results_file_of_train_in_the_records_folder_is_named_not_a_key_error(tmp_path):
    write_record(tmp_path, "ELCRec", 2020, 0.3)
    stray = tmp_path / "beauty" / "paper" / "ELCRec-beauty-Nov-25.json"  # what `train` writes beside a checkpoint
    stray.write_text(json.dumps({"model": "ELCRec", "dataset": "beauty", "eval_protocol": "paper",
                                 "test_result": metrics(0.3)}))
    with pytest.raises(RecordError, match=r"Nov-25.json lacks 'loss', 'row', 'seed': it is not a run record"):
        write_tables_report(tmp_path)


def test_epoch_counts_show_as_whole_numbers_unless_the_mean_has_a_fraction():
    from recbole_elcrec.evaluation.results import mean_count

    assert [mean_count([29]), mean_count([28, 29]), mean_count([10, 20, 30])] == ["29", "28.5", "20"]


def test_the_timing_table_names_every_machine_a_row_trained_on():
    runs = [{"hardware": "AMD EPYC"}, {"hardware": "Intel Xeon"}, {"hardware": "Intel Xeon"}]
    assert hardware_of(runs) == "AMD EPYC (1 run); Intel Xeon (2 runs)"
    assert hardware_of(runs[1:]) == "Intel Xeon"


def test_a_pre_trained_run_times_its_fine_tuning_epochs_and_counts_pre_training_before_its_best_epoch():
    s3rec = {"train_seconds": 3000.0, "pretrain_seconds": 1800.0, "finetune_seconds": 1200.0,
             "pretrain_epochs_run": 4, "epochs_run": 10, "best_epoch": 5, "stop_reason": "time cap",
             "hardware": "Intel Xeon"}
    row = timing_rows({"S3Rec": [s3rec]}).iloc[0]
    # fine-tuning: 1200 s / 10 epochs = 120 s; best after 6 of them: 1800 s + 6 * 120 s = 2520 s = 42 min
    assert (row["train minutes"], row["epochs"], row["s / epoch"], row["minutes to best"]) == (
        "50.0", "10 + 4 pre-training", "120.0", "42.0")
    sasrec = {"train_seconds": 600.0, "epochs_run": 20, "best_epoch": 9, "stop_reason": "early stopping"}
    row = timing_rows({"SASRec": [sasrec]}).iloc[0]
    assert (row["epochs"], row["s / epoch"], row["minutes to best"]) == ("20", "30.0", "5.0")


def test_minutes_to_best_pair_each_run_with_its_own_epoch_time_when_a_run_records_no_best_epoch():
    no_best = {"train_seconds": 300.0, "epochs_run": 10, "best_epoch": None, "stop_reason": "epoch cap"}
    slower = {"train_seconds": 600.0, "epochs_run": 10, "best_epoch": 4, "stop_reason": "early stopping"}
    row = timing_rows({"SASRec": [no_best, slower]}).iloc[0]
    # only the second run has a best epoch: 5 epochs of 60 s = 5 min (not 5 of the first run's 30 s)
    assert (row["s / epoch"], row["best epoch"], row["minutes to best"]) == ("45.0", "5", "5.0")
