"""Ray Tune search over ELCRec's alpha and k (or any config key), locally or on an existing Ray cluster."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recbole_elcrec.config import SCHEMA, ConfigError, build_config, check_keys, check_value, parse_value
from recbole_elcrec.evaluation.report import markdown_table, pyplot, save_figure
from recbole_elcrec.utils.fingerprint import (
    SettingsMismatchError,
    describe_differences,
    differences,
    settings_fingerprint,
)
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text, ensure_writable_dir

VALID_SCORE = "valid_score"
TEST_METRICS = ("hit@5", "hit@20", "ndcg@5", "ndcg@20")
SHORTCUTS = {"alpha": "alpha", "k": "n_clusters"}
DISTRIBUTIONS = ("loguniform", "uniform", "randint", "choice")
CALL_SPEC = re.compile(r"^([A-Za-z_]\w*)\((.*)\)$")
DEFAULT_GRACE_PERIOD = 5
LOGGER = logging.getLogger(__name__)


class SearchSpaceError(ConfigError):
    """A search-space argument cannot be read; the message names it and the expected form."""


class TrialsFailedError(RuntimeError):
    """Every trial of a search failed; the message quotes the first error."""

    exit_status = 1
    hint = "each trial's log is in OUT/NAME/<trial>/; rerun with --debug for the traceback"


@dataclass(frozen=True)
class Dimension:
    """One searched config key: a grid of values, or a random distribution with its arguments."""

    key: str
    kind: str  # grid | loguniform | uniform | randint | choice
    values: tuple[Any, ...]

    @property
    def is_random(self) -> bool:
        return self.kind != "grid"


def parse_dimension(key: str, spec: str, source: str | None = None) -> Dimension:
    """``a,b,c`` (grid), ``loguniform(lo,hi)``, ``uniform(lo,hi)``, ``randint(lo,hi)`` or ``choice(a,b,...)``.

    Every value (and every bound) is checked against the key's type and range in the settings schema,
    so ``--k abc,def`` or ``--alpha uniform(-1,1)`` stop before Ray starts; ``source`` names the argument.
    """
    source = source or f"--search {key}={spec}"
    text = spec.replace(" ", "")
    call = CALL_SPEC.match(text)
    if call and call.group(1) not in DISTRIBUTIONS:
        raise SearchSpaceError(f"cannot read the search space {key}={spec!r}: unknown distribution "
                               f"{call.group(1)!r}; expected a,b,c (a grid), loguniform(lo,hi), uniform(lo,hi), "
                               "randint(lo,hi) or choice(a,b,...)")
    kind, body = (call.group(1), call.group(2)) if call else ("grid", text)
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
        rule = SCHEMA.get(key)
        if rule is not None and (rule.kind not in ("int", "number") or (rule.kind == "int" and kind != "randint")):
            raise SearchSpaceError(f"cannot read the search space {key}={spec!r}: {key} must be "
                                   f"{rule.describe()}; search it with "
                                   f"{'randint(lo,hi) or ' if rule.kind == 'int' else ''}a grid a,b,c or choice(...)")
    values = tuple(check_value(key, value, source) for value in values)
    return Dimension(key, kind, values)


def parse_search_space(alpha: str | None, k: str | None, extra: list[str]) -> list[Dimension]:
    """All searched dimensions from ``--alpha``, ``--k`` and repeated ``--search KEY=SPEC``, keys checked."""
    dimensions = [parse_dimension(SHORTCUTS[name], spec, f"--{name} {spec}")
                  for name, spec in (("alpha", alpha), ("k", k)) if spec]
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
    if result.error:
        row["error"] = _last_line(result.error)
    return row


def _last_line(error: BaseException) -> str:
    """The last non-empty line of an error's text (Ray wraps the trial's traceback into it)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1][:300] if lines else type(error).__name__


def _base_settings(args: argparse.Namespace, overrides: dict[str, Any], out: Path) -> tuple[dict[str, Any], Any]:
    """Run settings shared by every trial, with absolute paths (trials run in their own folders), and their config."""
    config = build_config(args.model, args.dataset, args.config_files, overrides)
    data_path = str(Path(config["data_path"]).parent.resolve())
    overrides = {**overrides, "checkpoint_dir": str((out / "checkpoints").resolve()), "show_progress": False}
    if args.dataset != "ml-100k":
        overrides["data_path"] = data_path
    config_files = [str(Path(path).resolve()) for path in args.config_files]
    return {"model": args.model, "dataset": args.dataset, "config_files": config_files, "overrides": overrides,
            "epochs": int(config["epochs"])}, config


def grace_period(requested: int | None, epochs: int) -> int:
    """ASHA's grace period: ``requested``, by default 5 or fewer when trials report fewer results.

    A trial reports once per validated epoch plus once at the end (``epochs + 1`` results), and ASHA
    needs ``grace_period <= epochs + 1``; a larger ``requested`` value is refused before Ray starts.
    """
    reports = epochs + 1
    if requested is None:
        return min(DEFAULT_GRACE_PERIOD, reports)
    if requested < 1:
        raise SearchSpaceError(f"--grace-period must be at least 1, got {requested}")
    if requested > reports:
        raise SearchSpaceError(
            f"--grace-period {requested} is more than the {reports} results a trial reports (one per epoch of "
            f"epochs={epochs}, plus its final one): use --grace-period {reports} or less, or more --epochs")
    return requested


def search_fingerprint(config, dimensions: list[Dimension], grace: int, num_samples: int) -> dict[str, Any]:
    """The settings of a search: every trial's fixed settings, the search space and the scheduler's settings."""
    extra = {f"search.{dimension.key}": f"{dimension.kind}{list(dimension.values)}" for dimension in dimensions}
    extra.update({"tune.grace_period": grace, "tune.num_samples": num_samples})
    return settings_fingerprint(config, extra, ignore=[dimension.key for dimension in dimensions])


def settings_file(out: Path, name: str) -> Path:
    """Where a search's settings fingerprint is kept: ``OUT/NAME.settings.json`` beside Ray's ``OUT/NAME``."""
    return out / f"{name}.settings.json"


def check_previous_search(out: Path, name: str, fingerprint: dict[str, Any], force: bool) -> bool:
    """True to restore the experiment ``OUT/NAME``, False to start a new one.

    An experiment made with other settings (other search space, fixed settings, dataset files or
    scheduler) stops with SettingsMismatchError naming what differs, unless ``force``: then it is
    kept as ``OUT/NAME.replaced-<time>`` and a new search starts. One without a settings file (an
    older version wrote it) is restored with a warning.
    """
    experiment, record = out / name, settings_file(out, name)
    if not experiment.exists():
        return False
    if not record.is_file():
        LOGGER.warning(f"{experiment} has no {record.name} (an older version wrote it); restoring it as it is")
        return True
    try:
        old = json.loads(record.read_text())
    except json.JSONDecodeError as error:
        old = {"sha256": None, "settings": {"(unreadable)": f"{record}: {error.msg}"}}
    changed = differences(old, fingerprint)
    if not changed:
        return True
    if not force:
        raise SettingsMismatchError(
            f"{experiment} holds a search with other settings: {describe_differences(changed)}",
            hint="pass --force to start a new search there (the old one is kept as NAME.replaced-<time>), "
                 "or choose another --out or --name")
    os.replace(experiment, out / f"{name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
    return False


def run_search(args: argparse.Namespace, dimensions: list[Dimension], overrides: dict[str, Any]) -> dict[str, Any]:
    """Run (or resume) the search with ASHA on the validation score and write the reports.

    Everything is checked before Ray starts: the output folder is writable, the grace period fits the
    trials' epochs and an experiment already in ``--out`` was made with the same settings.
    """
    out = Path(args.out).resolve()
    ensure_writable_dir(out, "--out folder")
    base, config = _base_settings(args, overrides, out)
    name = args.name or f"{args.model}-{args.dataset}"
    grace = grace_period(args.grace_period, base["epochs"])
    fingerprint = search_fingerprint(config, dimensions, grace, args.num_samples)
    restore = check_previous_search(out, name, fingerprint, getattr(args, "force", False))
    atomic_write_json(settings_file(out, name), fingerprint)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    from ray import air, tune
    from ray.tune.schedulers import ASHAScheduler

    trainable = tune.with_resources(trial_function(base), {"cpu": args.cpus_per_trial, "gpu": args.gpus_per_trial})
    ray.init(address=args.address, num_cpus=None if args.address else args.num_cpus, include_dashboard=False,
             log_to_driver=False, ignore_reinit_error=True)
    try:
        experiment = out / name
        if restore and tune.Tuner.can_restore(experiment):
            tuner = tune.Tuner.restore(str(experiment), trainable=trainable, resume_errored=True)
        else:
            scheduler = ASHAScheduler(time_attr="training_iteration", max_t=base["epochs"] + 1, grace_period=grace)
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
    check_some_trial_scored(rows)
    return write_reports(rows, dimensions, out)


def check_some_trial_scored(rows: list[dict[str, Any]]) -> None:
    """TrialsFailedError quoting the first trial's error when no trial reported a validation score."""
    if not any(row["status"] != "error" and row[VALID_SCORE] is not None for row in rows):
        first = next((row["error"] for row in rows if row.get("error")), "no trial reported a validation score")
        raise TrialsFailedError(f"all {len(rows)} trial(s) of the search failed; the first error: {first}")
