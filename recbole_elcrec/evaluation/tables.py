"""Result tables of a comparison: Table 1 (mean ± std, best and runner-up, paired t-test), timing, their charts."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import ttest_rel

from recbole_elcrec.evaluation.report import counted, pyplot, save_figure

METRICS = ("hit@5", "hit@20", "ndcg@5", "ndcg@20")
METRIC_NAMES = {"hit@5": "HR@5", "hit@20": "HR@20", "ndcg@5": "NDCG@5", "ndcg@20": "NDCG@20"}


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def best_and_runner_up(means: Mapping[str, float]) -> tuple[str | None, str | None]:
    """The rows with the highest and second highest mean; neither for a single row, which is best of nothing."""
    if len(means) < 2:
        return None, None
    first, second, *_ = sorted(means, key=means.get, reverse=True)
    return first, second


def paired_p_value(first: Mapping[Hashable, float], second: Mapping[Hashable, float]) -> float:
    """Two-sided paired t-test p-value over seeds, each value keyed by the seed of its run.

    Runs are paired by seed, so only rows that ran the same seeds are tested (one row's seed 2021 against
    another's seed 2022 would be no paired test); NaN when they did not, with fewer than two seeds, or when
    the differences have no variance.
    """
    if len(first) < 2 or first.keys() != second.keys():
        return float("nan")
    seeds = sorted(first)
    mine, theirs = [first[seed] for seed in seeds], [second[seed] for seed in seeds]
    differences = np.asarray(mine) - np.asarray(theirs)
    if np.allclose(differences, differences[0]):
        return float("nan")
    return float(ttest_rel(mine, theirs).pvalue)


def quality_table(results: Mapping[str, list[dict[str, float]]],
                  seeds: Mapping[str, list[int]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1: mean ± std of each test metric per row (the mean alone for one run), best in bold, runner-up underlined.

    ``results`` maps a row name to its per-seed test metrics; ``seeds``, when given, to the seeds of those
    runs in the same order (without it, runs are paired by position): best and runner-up are t-tested by
    ``paired_p_value``. Returns the Markdown-ready table and a numeric one (means, stds and the paired
    t-test p-value of best vs runner-up per metric).
    """
    def by_seed(name: str, metric: str) -> dict[Hashable, float]:
        keys = seeds[name] if seeds is not None else range(len(results[name]))
        return {key: run[metric] for key, run in zip(keys, results[name], strict=True)}

    numeric = []
    for name, runs in results.items():
        row = {"model": name, "runs": len(runs)}
        for metric in METRICS:
            row[f"{metric}_mean"], row[f"{metric}_std"] = mean_std([run[metric] for run in runs])
        numeric.append(row)
    numeric_frame = pd.DataFrame(numeric)
    shown = pd.DataFrame({"model": numeric_frame["model"], "runs": numeric_frame["runs"]})
    p_values = {"model": "p (best vs runner-up)", "runs": ""}
    for metric in METRICS:
        means = dict(zip(numeric_frame["model"], numeric_frame[f"{metric}_mean"], strict=True))
        best, runner_up = best_and_runner_up(means)
        cells = []
        for name, runs, mean, std in zip(numeric_frame["model"], numeric_frame["runs"],
                                         numeric_frame[f"{metric}_mean"], numeric_frame[f"{metric}_std"], strict=True):
            cell = f"{mean:.4f} ± {std:.4f}" if runs > 1 else f"{mean:.4f}"
            cells.append(f"**{cell}**" if name == best else f"<u>{cell}</u>" if name == runner_up else cell)
        shown[METRIC_NAMES[metric]] = cells
        p_value = paired_p_value(by_seed(best, metric), by_seed(runner_up, metric)) if runner_up else float("nan")
        numeric_frame.loc[numeric_frame["model"] == best, f"{metric}_p_vs_runner_up"] = p_value
        p_values[METRIC_NAMES[metric]] = "n/a" if np.isnan(p_value) else f"{p_value:.3g}"
    shown = pd.concat([shown, pd.DataFrame([p_values])], ignore_index=True)
    return shown, numeric_frame


def timing_table(records: Mapping[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Tables 2-3 of the paper: training time per run and peak GPU memory (n/a on CPU)."""
    rows = []
    for name, runs in records.items():
        seconds = [run["train_seconds"] for run in runs]
        epochs = [run["epochs_run"] for run in runs if run.get("epochs_run")]
        per_epoch = [run["train_seconds"] / run["epochs_run"] for run in runs if run.get("epochs_run")]
        memory = [run.get("peak_gpu_memory_mb") for run in runs if run.get("peak_gpu_memory_mb") is not None]
        rows.append({
            "model": name,
            "train seconds (mean ± std)": "{:.1f} ± {:.1f}".format(*mean_std(seconds)) if len(seconds) > 1
            else f"{seconds[0]:.1f}",
            "epochs": f"{mean_std(epochs or [np.nan])[0]:.1f}",
            "seconds / epoch": f"{mean_std(per_epoch or [np.nan])[0]:.1f}",
            "peak GPU memory (MB)": f"{max(memory):.0f}" if memory else "n/a (CPU)",
            "device": runs[0].get("device", "?"),
        })
    return pd.DataFrame(rows)


def plot_test_metrics(results: Mapping[str, list[dict[str, float]]], path: Path, title: str) -> Path:
    """Grouped bars of each row's mean test metrics, std over seeds as error bars (Table 1, paper Figure 4)."""
    plt = pyplot()
    names = list(results)
    width = 0.8 / len(names)
    figure, axis = plt.subplots(figsize=(max(7.0, 1.2 * len(names) + 3), 3.8))
    for index, name in enumerate(names):
        means, stds = zip(*(mean_std([run[metric] for run in results[name]]) for metric in METRICS), strict=True)
        runs = len(results[name])
        axis.bar(np.arange(len(METRICS)) + index * width, means, width, yerr=stds if runs > 1 else None,
                 capsize=3, label=f"{name} ({counted(runs, 'run')})")
    axis.set_xticks(np.arange(len(METRICS)) + width * (len(names) - 1) / 2, [METRIC_NAMES[m] for m in METRICS])
    axis.set_ylabel("test metric (mean, ± std over seeds)")
    axis.set_title(title)
    axis.legend(fontsize="small")
    figure.tight_layout()
    return save_figure(figure, path)
