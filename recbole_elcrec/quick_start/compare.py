"""Head-to-head comparison under one protocol: the paper's Table 1, timing tables and Figure 4 ablation."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from recbole_elcrec.config import ConfigError, build_config, check_keys, parse_overrides
from recbole_elcrec.evaluation.report import markdown_table
from recbole_elcrec.evaluation.tables import plot_ablation, quality_table, timing_table
from recbole_elcrec.utils.hardware import peak_gpu_memory_mb
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text
from recbole_elcrec.utils.registry import UnknownModelError, resolve_model

PAPER_MODELS = "ELCRec,ICLRec,CL4SRec,SASRec,BERT4Rec,GRU4Rec,Caser,S3Rec,BPR"
UNSUPPORTED = {"S3Rec": "needs item attribute features (item_attribute) and a separate pre-training stage"}
# Figure 4 of the paper: (use_ccl, use_elcm) per row
ABLATION = {"baseline": (False, False), "+CCL": (True, False), "+ELCM": (False, True), "ELCRec": (True, True)}
FIRST_SEED = 2020


def run_once(model: str, dataset: str, seed: int, config_files: list[str], overrides: dict[str, Any]) -> dict:
    """Train and test one model with one seed; adds peak GPU memory and the device."""
    import torch

    from recbole_elcrec.quick_start.run import run

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    result = run(model, dataset, config_files, {**overrides, "seed": seed})
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    return {**result, "peak_gpu_memory_mb": peak_gpu_memory_mb(), "device": device}


def shared_loss_overrides(model: str, dataset: str, config_files: list[str], overrides: dict[str, Any]) -> dict:
    """The next-item loss of ELCRec for a sequential baseline: CE stays CE, BCE (one negative) becomes BPR."""
    if "loss_type" in overrides or resolve_model(model).type.name != "SEQUENTIAL":
        return {}
    loss = build_config("ELCRec", dataset, config_files, overrides)["loss_type"]
    return {"loss_type": loss if model in ("ELCRec", "CL4SRec", "ICLRec") else {"BCE": "BPR"}.get(loss, loss)}


def check_models(models: list[str]) -> None:
    """Every name must be this package's or RecBole's; the error lists the wrong ones."""
    wrong = []
    for model in models:
        try:
            resolve_model(model)
        except UnknownModelError as error:
            wrong.append(str(error))
    if wrong:
        raise UnknownModelError("; ".join(wrong))


def load_finished_run(path: Path, dataset: str) -> dict[str, Any]:
    """A results file of an earlier run, refused when it belongs to another dataset (a reused --out)."""
    record = json.loads(path.read_text())
    if record.get("dataset", dataset) != dataset:
        raise ValueError(f"{path} holds a run on dataset {record['dataset']!r}, not {dataset!r}: "
                         f"choose another --out or remove that folder")
    return record


def run_grid(rows: Mapping[str, tuple[str, dict[str, Any]]], dataset: str, seeds: list[int], config_files: list[str],
             overrides: dict[str, Any], runs_dir: Path,
             runner: Callable[..., dict] = run_once) -> dict[str, list[dict[str, Any]]]:
    """Run every (row, seed) whose results file is missing; returns all results per row.

    ``rows`` maps a row name to its model and extra settings. One JSON per run in ``runs_dir``
    (written atomically), so an interrupted comparison resumes where it stopped.
    """
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in rows}
    jobs = [(name, seed) for name in rows for seed in seeds]
    for name, seed in tqdm(jobs, desc="Runs", ncols=100):
        model, extra = rows[name]
        path = runs_dir / f"{name.replace('+', 'plus_')}-seed{seed}.json"
        if path.is_file():
            results[name].append(load_finished_run(path, dataset))
            continue
        settings = {**overrides, **shared_loss_overrides(model, dataset, config_files, overrides), **extra}
        record = runner(model, dataset, seed, config_files, settings)
        atomic_write_json(path, record)
        results[name].append(record)
    return results


def write_tables(results: Mapping[str, list[dict[str, Any]]], out: Path, stem: str) -> pd.DataFrame:
    """``stem.md`` / ``stem.csv`` (quality) and ``stem-timing.md`` / ``.csv``; returns the quality table."""
    tests = {name: [run["test_result"] for run in runs] for name, runs in results.items() if runs}
    shown, numeric = quality_table(tests)
    atomic_write_text(out / f"{stem}.md", markdown_table(shown))
    atomic_write_text(out / f"{stem}.csv", numeric.to_csv(index=False))
    timing = timing_table({name: runs for name, runs in results.items() if runs})
    atomic_write_text(out / f"{stem}-timing.md", markdown_table(timing))
    atomic_write_text(out / f"{stem}-timing.csv", timing.to_csv(index=False))
    return shown


def build_parser() -> argparse.ArgumentParser:
    """The command line; unknown ``--key=value`` arguments are config overrides."""
    parser = argparse.ArgumentParser(prog="python -m recbole_elcrec.compare", description=__doc__)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--models", default=PAPER_MODELS, help=f"comma-separated (default {PAPER_MODELS})")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (2020, 2021, ...)")
    parser.add_argument("--config_files", nargs="+", default=[])
    parser.add_argument("--ablation", action="store_true", help="the paper's Figure 4 rows of ELCRec instead")
    parser.add_argument("--out", help="results folder (default results/compare-DATASET)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the comparison (or ``--ablation``) and write its tables; returns the exit status (2 on bad input)."""
    args, extra = build_parser().parse_known_args(argv)
    out = Path(args.out or f"results/compare-{args.dataset}")
    seeds = list(range(FIRST_SEED, FIRST_SEED + args.seeds))
    try:
        if args.seeds < 1:
            raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
        overrides = parse_overrides(extra)
        check_keys(overrides, "the command line / overrides")
        if args.ablation:
            rows = {name: ("ELCRec", {"use_ccl": ccl, "use_elcm": elcm}) for name, (ccl, elcm) in ABLATION.items()}
        else:
            models = [model.strip() for model in args.models.split(",") if model.strip()]
            check_models(models)
            for model in set(models) & set(UNSUPPORTED):
                print(f"skipping {model}: it {UNSUPPORTED[model]}", file=sys.stderr)
            rows = {model: (model, {}) for model in models if model not in UNSUPPORTED}
            if not rows:
                raise ValueError(f"no model left to run in --models {args.models}")
        results = run_grid(rows, args.dataset, seeds, args.config_files, overrides, out / "runs")
    except (ConfigError, UnknownModelError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stem = "ablation" if args.ablation else "table"
    shown = write_tables(results, out, stem)
    if args.ablation:
        tests = {name: [run["test_result"] for run in runs] for name, runs in results.items()}
        plot_ablation(tests, out / "ablation.png", f"ELCRec ablation on {args.dataset}")
    print(markdown_table(shown))
    print(f"tables in {out}/{stem}.md, {stem}.csv, {stem}-timing.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
