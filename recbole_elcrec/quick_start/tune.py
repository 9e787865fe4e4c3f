"""Ray Tune search over ELCRec's alpha and k (or any config key), locally or on an existing Ray cluster."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recbole_elcrec.config import ConfigError, build_config, check_keys, parse_value
from recbole_elcrec.evaluation.report import markdown_table, pyplot, save_figure
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text

VALID_SCORE = "valid_score"
TEST_METRICS = ("hit@5", "hit@20", "ndcg@5", "ndcg@20")
SHORTCUTS = {"alpha": "alpha", "k": "n_clusters"}
RANDOM_SPEC = re.compile(r"^(loguniform|uniform|randint|choice)\((.*)\)$")


class SearchSpaceError(ConfigError):
    """A search-space argument cannot be read; the message names it and the expected form."""


@dataclass(frozen=True)
class Dimension:
    """One searched config key: a grid of values, or a random distribution with its arguments."""

    key: str
    kind: str  # grid | loguniform | uniform | randint | choice
    values: tuple[Any, ...]

    @property
    def is_random(self) -> bool:
        return self.kind != "grid"


def parse_dimension(key: str, spec: str) -> Dimension:
    """``a,b,c`` (grid), ``loguniform(lo,hi)``, ``uniform(lo,hi)``, ``randint(lo,hi)`` or ``choice(a,b,...)``."""
    text = spec.replace(" ", "")
    random_form = RANDOM_SPEC.match(text)
    kind, body = (random_form.group(1), random_form.group(2)) if random_form else ("grid", text)
    parts = body.split(",")
    if not body or any(part == "" for part in parts):
        raise SearchSpaceError(f"cannot read the search space {key}={spec!r}: an empty value; expected e.g. "
                               "'0.1,1,10', 'loguniform(1e-3,10)' or 'choice(shift,concat)'")
    values = tuple(parse_value(part) for part in parts)
    if kind in ("loguniform", "uniform", "randint"):
        if len(values) != 2 or not all(isinstance(value, (int, float)) for value in values) or values[0] >= values[1]:
            raise SearchSpaceError(f"cannot read the search space {key}={spec!r}: {kind} needs two numbers low<high, "
                                   f"e.g. {kind}(1,10)")
        if kind == "loguniform" and values[0] <= 0:
            raise SearchSpaceError(f"cannot read the search space {key}={spec!r}: loguniform needs low > 0")
    return Dimension(key, kind, values)


def parse_search_space(alpha: str | None, k: str | None, extra: list[str]) -> list[Dimension]:
    """All searched dimensions from ``--alpha``, ``--k`` and repeated ``--search KEY=SPEC``, keys checked."""
    dimensions = [parse_dimension(SHORTCUTS[name], spec) for name, spec in (("alpha", alpha), ("k", k)) if spec]
    for item in extra:
        key, separator, spec = item.partition("=")
        if not separator or not key:
            raise SearchSpaceError(f"cannot read --search {item!r}: expected KEY=SPEC, e.g. learning_rate=1e-3,1e-2")
        dimensions.append(parse_dimension(key, spec))
    if not dimensions:
        raise SearchSpaceError("nothing to search: give --alpha, --k or --search KEY=SPEC")
    check_keys([dimension.key for dimension in dimensions], "the search space")
    return dimensions


def ray_param_space(dimensions: list[Dimension]) -> dict[str, Any]:
    """The dimensions as a Ray Tune ``param_space``."""
    from ray import tune

    builders = {"grid": lambda v: tune.grid_search(list(v)), "choice": lambda v: tune.choice(list(v)),
                "loguniform": lambda v: tune.loguniform(*v), "uniform": lambda v: tune.uniform(*v),
                "randint": lambda v: tune.randint(*v)}
    return {dimension.key: builders[dimension.kind](dimension.values) for dimension in dimensions}


def trial_function(base: Mapping[str, Any]):
    """The Ray trainable: one ``run()`` per trial, reporting the validation score after every epoch.

    After training it reports once more with the test metrics of the best checkpoint; trials that
    ASHA stops early have no test metrics.
    """

    def train_one(params: dict[str, Any]) -> None:
        from ray.air import session

        from recbole_elcrec.quick_start.run import run

        def report_epoch(epoch_idx: int, valid_score: float) -> None:
            session.report({VALID_SCORE: valid_score, "epoch": epoch_idx})

        overrides = {**base["overrides"], **params}
        result = run(base["model"], base["dataset"], base["config_files"], overrides, callback_fn=report_epoch)
        session.report({VALID_SCORE: result["best_valid_score"], "epoch": result.get("epochs_run") or -1,
                        **{f"test_{name}": value for name, value in result["test_result"].items()},
                        "checkpoint": result["checkpoint"], "finished": True})

    return train_one


def trials_frame(rows: list[dict[str, Any]], keys: list[str]) -> pd.DataFrame:
    """One row per trial: searched values, best valid score and test metrics (NaN when stopped early)."""
    columns = keys + [VALID_SCORE] + [f"test_{name}" for name in TEST_METRICS] + ["status"]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    return frame.sort_values(VALID_SCORE, ascending=False, na_position="last").reset_index(drop=True)


def sensitivity_plot(frame: pd.DataFrame, key: str, path: Path, log_x: bool) -> Path | None:
    """HR@5 and NDCG@5 on test against ``key`` (mean over trials sharing a value), as a PNG; paper Figure 5."""
    plt = pyplot()
    finished = frame.dropna(subset=["test_hit@5"])
    if key not in finished or finished.empty:
        return None
    means = finished.groupby(key)[["test_hit@5", "test_ndcg@5"]].mean().sort_index()
    figure, axis = plt.subplots(figsize=(5, 3.5))
    axis.plot(means.index, means["test_hit@5"], marker="o", label="HR@5")
    axis.plot(means.index, means["test_ndcg@5"], marker="s", label="NDCG@5")
    if log_x:
        axis.set_xscale("log")
    axis.set_xlabel(key)
    axis.set_ylabel("test metric")
    axis.set_title(f"Sensitivity to {key}")
    axis.legend()
    figure.tight_layout()
    return save_figure(figure, path)


def write_reports(rows: list[dict[str, Any]], dimensions: list[Dimension], out: Path) -> dict[str, Any]:
    """``trials.csv``, ``trials.md``, ``best.json`` and the sensitivity PNGs; returns the best trial."""
    keys = [dimension.key for dimension in dimensions]
    frame = trials_frame(rows, keys)
    atomic_write_text(out / "trials.csv", frame.to_csv(index=False))
    atomic_write_text(out / "trials.md", markdown_table(frame))
    for key, log_x in (("alpha", True), ("n_clusters", False)):
        if key in keys:
            sensitivity_plot(frame, key, out / f"sensitivity_{'k' if key == 'n_clusters' else key}.png", log_x)
    finished = frame.dropna(subset=["test_hit@5"])
    best_row = (finished if not finished.empty else frame).iloc[0].to_dict()
    best = {"config": {key: best_row[key] for key in keys}, VALID_SCORE: best_row[VALID_SCORE],
            "test": {name: best_row[f"test_{name}"] for name in TEST_METRICS}}
    atomic_write_json(out / "best.json", best)
    return best


def _result_row(result, keys: list[str]) -> dict[str, Any]:
    metrics = result.metrics or {}
    row = {key: result.config.get(key) for key in keys}
    row[VALID_SCORE] = metrics.get(VALID_SCORE)
    row.update({f"test_{name}": metrics.get(f"test_{name}") for name in TEST_METRICS})
    row["status"] = "finished" if metrics.get("finished") else ("error" if result.error else "stopped early")
    return row


def _base_settings(args: argparse.Namespace, overrides: dict[str, Any], out: Path) -> dict[str, Any]:
    """Run settings shared by every trial, with absolute paths (trials run in their own folders)."""
    config = build_config(args.model, args.dataset, args.config_files, overrides)
    data_path = str(Path(config["data_path"]).parent.resolve())
    overrides = {**overrides, "checkpoint_dir": str((out / "checkpoints").resolve()), "show_progress": False}
    if args.dataset != "ml-100k":
        overrides["data_path"] = data_path
    config_files = [str(Path(path).resolve()) for path in args.config_files]
    return {"model": args.model, "dataset": args.dataset, "config_files": config_files, "overrides": overrides,
            "epochs": int(config["epochs"])}


def run_search(args: argparse.Namespace, dimensions: list[Dimension], overrides: dict[str, Any]) -> dict[str, Any]:
    """Run (or resume) the search with ASHA on the validation score and write the reports."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    from ray import air, tune
    from ray.tune.schedulers import ASHAScheduler

    out = Path(args.out).resolve()
    base = _base_settings(args, overrides, out)
    name = args.name or f"{args.model}-{args.dataset}"
    trainable = tune.with_resources(trial_function(base), {"cpu": args.cpus_per_trial, "gpu": args.gpus_per_trial})
    ray.init(address=args.address, num_cpus=None if args.address else args.num_cpus, include_dashboard=False,
             log_to_driver=False, ignore_reinit_error=True)
    try:
        experiment = out / name
        if tune.Tuner.can_restore(experiment):
            tuner = tune.Tuner.restore(str(experiment), trainable=trainable, resume_errored=True)
        else:
            scheduler = ASHAScheduler(time_attr="training_iteration", max_t=base["epochs"] + 1,
                                      grace_period=args.grace_period)
            tuner = tune.Tuner(
                trainable,
                param_space=ray_param_space(dimensions),
                tune_config=tune.TuneConfig(metric=VALID_SCORE, mode="max", scheduler=scheduler,
                                            num_samples=args.num_samples),
                run_config=air.RunConfig(name=name, storage_path=str(out), verbose=1),
            )
        results = tuner.fit()
        rows = [_result_row(result, [dimension.key for dimension in dimensions]) for result in results]
    finally:
        if not args.address:
            ray.shutdown()
    return write_reports(rows, dimensions, out)
