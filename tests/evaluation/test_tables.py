"""Result tables: best and runner-up marked, paired t-test, timing over seeds."""

import math

import pytest
from scipy.stats import ttest_rel

from recbole_elcrec.evaluation import tables


def metrics(hit5, seed_shift=0.0):
    return {"hit@5": hit5 + seed_shift, "hit@20": 0.5, "ndcg@5": hit5 / 2 + seed_shift, "ndcg@20": 0.25}


FIXED = {
    "A": [metrics(0.30, 0.00), metrics(0.30, 0.02), metrics(0.30, 0.01)],
    "B": [metrics(0.20, 0.00), metrics(0.20, 0.03), metrics(0.20, -0.01)],
    "C": [metrics(0.10, 0.00), metrics(0.10, 0.00), metrics(0.10, 0.00)],
}


def test_quality_table_marks_best_and_runner_up():
    shown, numeric = tables.quality_table(FIXED)
    column = dict(zip(shown["model"], shown["HR@5"], strict=True))
    assert column["A"] == "**0.3100 ± 0.0100**"
    assert column["B"] == "<u>0.2067 ± 0.0208</u>"
    assert column["C"] == "0.1000 ± 0.0000"


def test_a_single_row_is_neither_best_nor_runner_up():
    shown, numeric = tables.quality_table({"A": FIXED["A"]})
    assert list(shown["HR@5"]) == ["0.3100 ± 0.0100", "n/a"]
    assert numeric["hit@5_p_vs_runner_up"].isna().all()


def test_p_value_is_scipys_paired_t_test():
    _, numeric = tables.quality_table(FIXED)
    expected = ttest_rel([0.30, 0.32, 0.31], [0.20, 0.23, 0.19]).pvalue
    assert numeric.loc[numeric["model"] == "A", "hit@5_p_vs_runner_up"].item() == pytest.approx(expected)
    shown, _ = tables.quality_table(FIXED)
    assert shown.iloc[-1]["HR@5"] == f"{expected:.3g}"
    assert shown.iloc[-1]["HR@20"] == "n/a"  # identical values: no variance to test


def test_best_and_runner_up_are_t_tested_only_on_the_same_seeds():
    same = {name: [2020, 2021, 2022] for name in FIXED}
    expected = ttest_rel([0.30, 0.32, 0.31], [0.20, 0.23, 0.19]).pvalue
    assert tables.quality_table(FIXED, same)[0].iloc[-1]["HR@5"] == f"{expected:.3g}"
    other = {**same, "B": [2021, 2022, 2023]}
    assert tables.quality_table(FIXED, other)[0].iloc[-1]["HR@5"] == "n/a"


def test_runs_are_paired_by_seed_not_by_position():
    expected = ttest_rel([0.30, 0.32, 0.31], [0.20, 0.23, 0.19]).pvalue
    shuffled = {2022: 0.19, 2020: 0.20, 2021: 0.23}
    assert tables.paired_p_value({2020: 0.30, 2021: 0.32, 2022: 0.31}, shuffled) == pytest.approx(expected)


@pytest.mark.parametrize(("first", "second"), [
    ({2020: 0.1}, {2020: 0.2}),  # one seed
    ({2020: 0.1, 2021: 0.3}, {2021: 0.2, 2022: 0.5}),  # other seeds: no pairs
    ({2020: 0.1, 2021: 0.3}, {2020: 0.0, 2021: 0.2}),  # the same difference on every seed: no variance
])
def test_no_p_value_without_two_varying_pairs_of_the_same_seeds(first, second):
    assert math.isnan(tables.paired_p_value(first, second))


def test_timing_table_mean_and_std_over_seeds():
    runs = [{"train_seconds": 9.0, "epochs_run": 3, "peak_gpu_memory_mb": 100.0, "device": "GPU"},
            {"train_seconds": 11.0, "epochs_run": 1, "peak_gpu_memory_mb": 250.0, "device": "GPU"}]
    row = tables.timing_table({"ELCRec": runs}).iloc[0]
    assert row["train seconds (mean ± std)"] == "10.0 ± 1.4"
    assert row["epochs"] == "2.0" and row["seconds / epoch"] == "7.0"  # mean of 3.0 and 11.0
    assert row["peak GPU memory (MB)"] == "250"
