"""Comparison harness: table marking, paired t-test, resumable runs, ablation chart, errors."""

import json

import pytest
from scipy.stats import ttest_rel

from recbole_elcrec import compare
from tests.helpers import TINY_DATASET, tiny_overrides

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def metrics(hit5, seed_shift=0.0):
    return {"hit@5": hit5 + seed_shift, "hit@20": 0.5, "ndcg@5": hit5 / 2 + seed_shift, "ndcg@20": 0.25}


FIXED = {
    "A": [metrics(0.30, 0.00), metrics(0.30, 0.02), metrics(0.30, 0.01)],
    "B": [metrics(0.20, 0.00), metrics(0.20, 0.03), metrics(0.20, -0.01)],
    "C": [metrics(0.10, 0.00), metrics(0.10, 0.00), metrics(0.10, 0.00)],
}


def test_quality_table_marks_best_and_runner_up():
    shown, numeric = compare.quality_table(FIXED)
    column = dict(zip(shown["model"], shown["HR@5"], strict=True))
    assert column["A"] == "**0.3100 ± 0.0100**"
    assert column["B"] == "<u>0.2067 ± 0.0208</u>"
    assert column["C"] == "0.1000 ± 0.0000"


def test_p_value_is_scipys_paired_t_test():
    _, numeric = compare.quality_table(FIXED)
    expected = ttest_rel([0.30, 0.32, 0.31], [0.20, 0.23, 0.19]).pvalue
    assert numeric.loc[numeric["model"] == "A", "hit@5_p_vs_runner_up"].item() == pytest.approx(expected)
    shown, _ = compare.quality_table(FIXED)
    assert shown.iloc[-1]["HR@5"] == f"{expected:.3g}"
    assert shown.iloc[-1]["HR@20"] == "n/a"  # identical values: no variance to test


def test_single_seed_has_no_p_value():
    assert compare.paired_p_value([0.1], [0.2]) != compare.paired_p_value([0.1], [0.2])  # NaN


def fake_runner(calls):
    def runner(model, dataset, seed, config_files, settings):
        calls.append((model, seed, settings))
        return {"test_result": metrics(0.1 * (seed - 2019)), "train_seconds": 2.0, "epochs_run": 2,
                "peak_gpu_memory_mb": None, "device": "CPU"}
    return runner


def test_runs_are_resumable(tmp_path):
    calls = []
    rows = {"SASRec": ("SASRec", {}), "ELCRec": ("ELCRec", {})}
    compare.run_grid(rows, "ml-100k", [2020, 2021], [], {}, tmp_path, fake_runner(calls))
    assert len(calls) == 4 and len(list(tmp_path.glob("*.json"))) == 4
    (tmp_path / "SASRec-seed2021.json").unlink()
    results = compare.run_grid(rows, "ml-100k", [2020, 2021], [], {}, tmp_path, fake_runner(calls))
    assert len(calls) == 5 and calls[-1][:2] == ("SASRec", 2021)
    assert [len(runs) for runs in results.values()] == [2, 2]


def test_finished_run_file_is_not_retrained(tmp_path):
    calls = []
    finished = {"dataset": "ml-100k", "test_result": metrics(0.9), "train_seconds": 1.0, "epochs_run": 1}
    (tmp_path / "SASRec-seed2020.json").write_text(json.dumps(finished))
    results = compare.run_grid({"SASRec": ("SASRec", {})}, "ml-100k", [2020], [], {}, tmp_path, fake_runner(calls))
    assert calls == [] and results["SASRec"] == [finished]


def test_run_file_of_another_dataset_is_refused(tmp_path):
    (tmp_path / "SASRec-seed2020.json").write_text(json.dumps({"dataset": "yelp", "test_result": metrics(0.1)}))
    with pytest.raises(ValueError, match="holds a run on dataset 'yelp', not 'ml-100k'"):
        compare.run_grid({"SASRec": ("SASRec", {})}, "ml-100k", [2020], [], {}, tmp_path, fake_runner([]))


def test_baselines_share_elcrecs_next_item_loss(tmp_path):
    calls = []
    compare.run_grid({"SASRec": ("SASRec", {}), "BPR": ("BPR", {})}, "ml-100k", [2020], [], {}, tmp_path,
                     fake_runner(calls))
    assert calls[0][2] == {"loss_type": "CE"} and calls[1][2] == {}
    assert compare.shared_loss_overrides("SASRec", "ml-100k", [], {"alpha": 1}) == {"loss_type": "CE"}


def test_ablation_tables_and_chart(tmp_path):
    results = {name: [{"test_result": metrics(0.1 * (i + 1)), "train_seconds": 1.0, "epochs_run": 1}]
               for i, name in enumerate(compare.ABLATION)}
    compare.write_tables(results, tmp_path, "ablation")
    compare.plot_ablation({name: [run["test_result"] for run in runs] for name, runs in results.items()},
                          tmp_path / "ablation.png", "test")
    assert (tmp_path / "ablation.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "| **0.4000** |" in (tmp_path / "ablation.md").read_text()  # one run: no spurious ± 0
    assert "| 1.0 | 1.0 | 1.0 | n/a (CPU) |" in (tmp_path / "ablation-timing.md").read_text()


def test_unknown_model_is_named(capsys):
    assert compare.main(["--models", "ELCRec,SASrec,Nope"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean SASRec" in err and "unknown model 'Nope'" in err


@pytest.mark.parametrize(("argv", "message"), [(["--models", "S3Rec"], "no model left to run"),
                                               (["--models", "SASRec", "--seeds", "0"], "--seeds must be at least 1")])
def test_nothing_to_run_is_an_error(argv, message, tmp_path, capsys):
    assert compare.main(argv + ["--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_real_comparison_on_tiny_data(tiny_data_path, tmp_path, capsys):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    argv = ["--dataset", TINY_DATASET, "--models", "ELCRec,SASRec,S3Rec", "--seeds", "2", "--out", str(tmp_path / "c")]
    assert compare.main(argv + [f"--{key}={value}" for key, value in settings.items()]) == 0
    captured = capsys.readouterr()
    assert "skipping S3Rec" in captured.err
    table = (tmp_path / "c" / "table.md").read_text()
    assert table.count("**") == 8 and table.count("<u>") == 4
    run_file = json.loads((tmp_path / "c" / "runs" / "ELCRec-seed2021.json").read_text())
    assert run_file["seed"] == 2021 and set(run_file["test_result"]) == set(compare.METRICS)


def test_real_ablation_on_tiny_data(tiny_data_path, tmp_path):
    settings = tiny_overrides(tmp_path, tiny_data_path, epochs=1)
    argv = ["--dataset", TINY_DATASET, "--ablation", "--seeds", "1", "--out", str(tmp_path / "a")]
    assert compare.main(argv + [f"--{key}={value}" for key, value in settings.items()]) == 0
    assert (tmp_path / "a" / "ablation.png").read_bytes().startswith(PNG_SIGNATURE)
    table = (tmp_path / "a" / "ablation.md").read_text()
    assert all(f"| {name} |" in table for name in compare.ABLATION)
    run_file = json.loads((tmp_path / "a" / "runs" / "plus_CCL-seed2020.json").read_text())
    assert run_file["model"] == "ELCRec" and run_file["history"][0]["cluster"] == 0  # +CCL: no cluster loss


def test_timing_table_mean_and_std_over_seeds():
    runs = [{"train_seconds": 9.0, "epochs_run": 3, "peak_gpu_memory_mb": 100.0, "device": "GPU"},
            {"train_seconds": 11.0, "epochs_run": 1, "peak_gpu_memory_mb": 250.0, "device": "GPU"}]
    row = compare.timing_table({"ELCRec": runs}).iloc[0]
    assert row["train seconds (mean ± std)"] == "10.0 ± 1.4"
    assert row["epochs"] == "2.0" and row["seconds / epoch"] == "7.0"  # mean of 3.0 and 11.0
    assert row["peak GPU memory (MB)"] == "250"
