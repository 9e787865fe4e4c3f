"""Training speed, memory and test accuracy of several models, with or without the device-resident loader.

Run: python benchmarks/bench_train.py --dataset Beauty --data-path dataset --models ELCRec,SASRec --epochs 50 \
         --out results/bench_train
or:  python benchmarks/bench_train.py --input shared/Beauty.txt --models ELCRec,SASRec --no-fast --out results/bt
Any other --key=value is passed to every run as a config override. Prints a Markdown table and writes it
with a JSON report to --out.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from time import perf_counter
from typing import Any
from unittest import mock

import pandas as pd
import torch

import recbole_elcrec.quick_start.run as run_module
from recbole_elcrec.config import parse_overrides
from recbole_elcrec.data.prepare import prepare_dataset
from recbole_elcrec.evaluation.report import markdown_table
from recbole_elcrec.utils.hardware import device_name, peak_memory_bytes, reset_peak_memory
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text

METRICS = ("hit@5", "ndcg@5", "hit@20", "ndcg@20")


def timed_trainer_class(trainer_class: type, epoch_seconds: list[float]) -> type:
    """``trainer_class`` that appends the wall time of every training epoch (data loading included) to the list."""

    def _train_epoch(self, *args, **kwargs):
        start = perf_counter()
        losses = trainer_class._train_epoch(self, *args, **kwargs)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        epoch_seconds.append(perf_counter() - start)
        return losses

    return type(f"Timed{trainer_class.__name__}", (trainer_class,), {"_train_epoch": _train_epoch})


def timing_resolver(epoch_seconds: list[float]) -> Callable[[type], type]:
    """``run``'s trainer lookup, returning timed trainers."""
    resolve = run_module.resolve_trainer
    return lambda model_class: timed_trainer_class(resolve(model_class), epoch_seconds)


def best_epoch(scores: list[tuple[int, float]]) -> int | None:
    """The first epoch (1-based count) that reached the best validation score."""
    if not scores:
        return None
    top = max(score for _, score in scores)
    return next(epoch for epoch, score in scores if score == top) + 1


def benchmark_model(model: str, dataset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Train and test one model; its timings, peak memory and test metrics."""
    epoch_seconds: list[float] = []
    scores: list[tuple[int, float]] = []
    device = torch.device("cuda" if torch.cuda.is_available() and overrides.get("use_gpu", True) else "cpu")
    reset_peak_memory(device)
    start = perf_counter()
    with mock.patch.object(run_module, "resolve_trainer", timing_resolver(epoch_seconds)):
        result = run_module.run(model, dataset, overrides=overrides,
                                callback_fn=lambda epoch, score: scores.append((epoch, score)))
    wall = perf_counter() - start
    peak, peak_kind = peak_memory_bytes(device)
    return {
        "model": model, "fast_train": bool(overrides.get("fast_train")), "epochs_run": len(epoch_seconds),
        "seconds_per_epoch": statistics.mean(epoch_seconds) if epoch_seconds else None,
        "median_seconds_per_epoch": statistics.median(epoch_seconds) if epoch_seconds else None,
        "first_epoch_seconds": epoch_seconds[0] if epoch_seconds else None,
        "epochs_to_best_valid": best_epoch(scores), "total_wall_seconds": wall,
        "peak_memory_mb": peak / 2**20, "peak_memory_kind": peak_kind,
        **{f"test {metric}": result["test_result"].get(metric) for metric in METRICS},
        "device": device_name(device),
    }


def dataset_location(args: argparse.Namespace) -> tuple[str, str | None]:
    """(dataset name, data_path): a paper .txt file given with --input is converted into a temporary directory."""
    if args.input is None:
        return args.dataset, args.data_path
    name = args.dataset or Path(args.input).stem
    data_root = tempfile.mkdtemp(prefix="bench-train-")
    prepare_dataset(args.input, name, out_dir=data_root)
    return name, data_root


def run_overrides(args: argparse.Namespace, data_path: str | None, extra: dict[str, Any]) -> dict[str, Any]:
    overrides = {"epochs": args.epochs, "fast_train": args.fast, "checkpoint_dir": str(Path(args.out) / "saved"),
                 "show_progress": False, **extra}
    if data_path is not None:
        overrides["data_path"] = data_path
    return overrides


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="dataset name (default: the --input file's stem)")
    parser.add_argument("--data-path", help="directory holding <dataset>/<dataset>.inter")
    parser.add_argument("--input", help="a paper-format .txt (or .inter/.csv) file, converted on the fly")
    parser.add_argument("--models", default="ELCRec,SASRec", help="comma-separated model names")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--fast", action=argparse.BooleanOptionalAction, default=True,
                        help="device-resident loader (fast_train); --no-fast for RecBole's loader")
    parser.add_argument("--out", default="results/bench_train")
    return parser


def main(argv: list[str] | None = None) -> int:
    args, unknown = build_parser().parse_known_args(argv)
    if args.dataset is None and args.input is None:
        build_parser().error("give --dataset (with --data-path) or --input")
    dataset, data_path = dataset_location(args)
    overrides = run_overrides(args, data_path, parse_overrides(unknown))
    rows = [benchmark_model(model, dataset, overrides) for model in args.models.split(",")]
    report = {"dataset": dataset, "epochs": args.epochs, "fast_train": args.fast, "overrides": overrides,
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "torch": torch.__version__,
              "python": platform.python_version(), "rows": rows}
    table = markdown_table(pd.DataFrame(rows).drop(columns=["peak_memory_kind"]))
    heading = (f"# Training benchmark: {dataset}, {args.epochs} epochs, fast_train={args.fast}\n\n"
               f"{report['date']}, torch {report['torch']}, peak memory = {rows[0]['peak_memory_kind']}\n\n")
    out = Path(args.out)
    atomic_write_json(out / "bench_train.json", report)
    atomic_write_text(out / "bench_train.md", heading + table)
    print(heading + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
