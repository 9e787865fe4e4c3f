"""Run records kept as results/<dataset>/<protocol>/<row>-<loss>-seed<k>.json, and every table rebuilt from them."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recbole_elcrec.evaluation.findings import what_the_ablation_says, what_the_numbers_say
from recbole_elcrec.evaluation.report import counted, markdown_table
from recbole_elcrec.evaluation.tables import mean_std, plot_test_metrics, quality_table
from recbole_elcrec.utils.io import atomic_write_text

ABLATION_PREFIX = "ablation-"
ABLATION_ROWS = ("baseline", "+CCL", "+ELCM", "ELCRec")  # the paper's Figure 4; ELCRec is the full model's row
TABLES_FILE = "tables.md"
RECORD_KEYS = ("dataset", "eval_protocol", "loss", "row", "seed", "test_result")  # what every table reads


def row_file_stem(row: str) -> str:
    """A row name as a file name part: ``+CCL`` -> ``plus_CCL``."""
    return row.replace("+", "plus_")


def record_path(root: str | Path, dataset: str, protocol: str, row: str, loss: str, seed: int) -> Path:
    """Where the record of one run lives: ``root/<dataset>/<protocol>/<row>-<loss>-seed<k>.json``."""
    return Path(root) / dataset / protocol / f"{row_file_stem(row)}-{loss}-seed{seed}.json"


class RecordError(ValueError):
    """A results file cannot be read as a run record; the message names it."""


def read_record(path: Path) -> dict[str, Any]:
    """One run record; RecordError naming the file when it is not valid JSON or lacks test metrics."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordError(f"{path} is not a complete results file ({error}): delete it to train that run "
                          "again") from None
    if not isinstance(record, dict) or "test_result" not in record:
        raise RecordError(f"{path} is not a results file of a run (no 'test_result'): delete it to train that run "
                          "again")
    return record


def read_table_record(path: Path) -> dict[str, Any]:
    """One run record with every key the tables read; RecordError naming the file and the missing keys."""
    record = read_record(path)
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        raise RecordError(f"{path} lacks {', '.join(map(repr, missing))}: it is not a run record written by "
                          "`recbole-elcrec compare` (a `train` results JSON is not one); move it out of the results "
                          "folder")
    return record


def read_records(root: str | Path) -> list[dict[str, Any]]:
    """Every run record under ``root`` (``<dataset>/<protocol>/*.json``), in file-name order."""
    return [read_table_record(path) for path in sorted(Path(root).glob("*/*/*.json"))]


def group_records(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]]:
    """Records by (dataset, protocol, loss) and then by row, rows in first-seen order."""
    groups: dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        key = (record["dataset"], record["eval_protocol"], record["loss"])
        groups[key][record["row"]].append(record)
    return {key: dict(rows) for key, rows in sorted(groups.items())}


def _tests(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, float]]]:
    return {row: [run["test_result"] for run in runs] for row, runs in rows.items() if runs}


def seeds_of(runs: list[dict[str, Any]]) -> list[int]:
    """The seeds of a row's runs, in record order (the t-test of Table 1 pairs runs by seed)."""
    return [run["seed"] for run in runs]


def _quality_table(rows: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Table 1 of these runs, its t-test pairing runs by seed."""
    return quality_table(_tests(rows), {row: seeds_of(runs) for row, runs in rows.items()})[0]


def mean_count(counts: list[int]) -> str:
    """The mean of whole counts (epochs): ``29`` when it is whole, ``28.5`` otherwise."""
    mean = float(np.mean(counts))
    return f"{mean:.0f}" if mean.is_integer() else f"{mean:.1f}"


def hardware_of(runs: list[dict[str, Any]]) -> str:
    """The machines a row's runs trained on, each with its number of runs when they differ."""
    machines = Counter(run.get("hardware", run.get("device", "?")) for run in runs)
    if len(machines) == 1:
        return next(iter(machines))
    return "; ".join(f"{machine} ({counted(count, 'run')})" for machine, count in sorted(machines.items()))


def timing_rows(rows: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Per row: runs, training minutes, epochs, seconds per epoch, best epoch, minutes to it, why runs stopped.

    For a pre-trained model (S3Rec) the epochs are fine-tuning's, with the pre-training epochs added as
    ``+ N pre-training``; seconds per epoch are fine-tuning's alone, and the minutes to the best epoch
    include the whole pre-training. Training minutes are both stages'.
    """
    table = []
    for row, runs in rows.items():
        minutes = [run["train_seconds"] / 60 for run in runs]
        epochs = [run.get("epochs_trained") or run.get("epochs_run") for run in runs]
        timed = [(run, run.get("finetune_seconds", run["train_seconds"]) / count)  # (run, its s / epoch)
                 for run, count in zip(runs, epochs, strict=True) if count]
        per_epoch = [seconds for _, seconds in timed]
        best = [run["best_epoch"] + 1 for run in runs if run.get("best_epoch") is not None]
        to_best = [(run.get("pretrain_seconds", 0.0) + seconds * (run["best_epoch"] + 1)) / 60
                   for run, seconds in timed if run.get("best_epoch") is not None]
        pretrain = [run["pretrain_epochs_run"] for run in runs if "pretrain_epochs_run" in run]
        shown_epochs = mean_count(epochs) + (f" + {mean_count(pretrain)} pre-training" if pretrain else "")
        reasons = sorted({run.get("stop_reason", "?") for run in runs})
        table.append({
            "model": row, "runs": len(runs),
            "train minutes": "{:.1f} ± {:.1f}".format(*mean_std(minutes)) if len(runs) > 1 else f"{minutes[0]:.1f}",
            "epochs": shown_epochs, "s / epoch": f"{np.mean(per_epoch):.1f}" if per_epoch else "n/a",
            "best epoch": mean_count(best) if best else "n/a",
            "minutes to best": f"{np.mean(to_best):.1f}" if to_best else "n/a",
            "stopped by": ", ".join(reasons), "hardware": hardware_of(runs),
        })
    return pd.DataFrame(table)


def split_by_convergence(rows: dict[str, list[dict[str, Any]]]) -> tuple[dict, dict]:
    """Runs ended by early stopping per row, and the others per row named ``row (why they stopped)``."""
    converged = {row: [run for run in runs if run.get("converged")] for row, runs in rows.items()}
    capped = {row: [run for run in runs if not run.get("converged")] for row, runs in rows.items()}
    return ({row: runs for row, runs in converged.items() if runs},
            {f"{row} ({', '.join(sorted({run.get('stop_reason', '?') for run in runs}))})": runs
             for row, runs in capped.items() if runs})


def quality_sections(rows: dict[str, list[dict[str, Any]]], what: str) -> list[str]:
    """Markdown of the converged runs' table and, apart, the table of runs that hit a cap."""
    converged, capped = split_by_convergence(rows)
    parts = []
    if converged:
        parts += [f"{what}: test metrics of runs ended by early stopping (mean ± std over seeds; bold best, "
                  "underlined runner-up; last row: two-sided paired t-test of best vs runner-up over seeds):\n\n",
                  markdown_table(_quality_table(converged))]
    else:
        parts.append(f"{what}: no run has converged (ended by early stopping) yet.\n")
    if capped:
        parts += [f"\n{what}, runs that did **not** converge (ended by a time or epoch cap; not comparable with "
                  "converged runs):\n\n", markdown_table(_quality_table(capped))]
    return parts


def section(dataset: str, protocol: str, loss: str, rows: dict[str, list[dict[str, Any]]], figure_dir: Path,
            draw: bool = True) -> str:
    """The Markdown of one (dataset, protocol, loss): Table 1 of converged runs, capped runs, timing, ablation.

    The charts of Table 1 and of the ablation are linked as ``figure_dir/table1-...png`` and
    ``figure_dir/ablation-...png`` and drawn there when ``draw``.
    """
    models = {row: runs for row, runs in rows.items() if not row.startswith(ABLATION_PREFIX)}
    parts = [f"### {dataset}: {protocol} protocol, {loss} next-item loss\n\n"]
    parts += quality_sections(models, "Table 1")
    converged_models, _ = split_by_convergence(models)
    if converged_models:
        parts += ["\n", what_the_numbers_say(converged_models, loss)]
        parts += chart(converged_models, figure_dir / f"table1-{dataset}-{protocol}-{loss}.png",
                       f"Table 1, {dataset}, {protocol} protocol, {loss} (converged runs)", draw)
    parts += ["\nTraining time of every run above:\n\n", markdown_table(timing_rows(models))]
    ablation = {name: rows.get(name if name == "ELCRec" else ABLATION_PREFIX + name, []) for name in ABLATION_ROWS}
    if any(ablation[name] for name in ABLATION_ROWS[:-1]):
        parts += ["\n"] + quality_sections({name: runs for name, runs in ablation.items() if runs},
                                           "Figure 4 ablation (baseline: neither CCL nor ELCM)")
        converged, _ = split_by_convergence(ablation)
        if converged:
            parts += ["\n", what_the_ablation_says(converged)]
            parts += chart(converged, figure_dir / f"ablation-{dataset}-{protocol}-{loss}.png",
                           f"ELCRec ablation, {dataset}, {loss} (converged runs)", draw)
    return "".join(parts)


def chart(converged: dict[str, list[dict[str, Any]]], figure: Path, title: str, draw: bool) -> list[str]:
    """The Markdown link to the bar chart of these converged rows at ``figure``, drawn there when ``draw``."""
    if draw:
        plot_test_metrics(_tests(converged), figure, title)
    return [f"\n![{title}]({figure.as_posix()})\n"]


def render_tables(root: str | Path, draw: bool = False) -> str:
    """Every table of the records under ``root``, as Markdown (the ablation charts drawn when ``draw``)."""
    root = Path(root)
    groups = group_records(read_records(root))
    if not groups:
        raise RecordError(f"no run records under {root} (expected {root}/<dataset>/<protocol>/*.json)")
    return "\n".join(section(*key, rows, root, draw) for key, rows in groups.items())


def write_tables_report(root: str | Path) -> Path:
    """Rebuild every table from the records under ``root`` alone into ``root/tables.md`` (and ablation PNGs)."""
    return atomic_write_text(Path(root) / TABLES_FILE, render_tables(root, draw=True))
