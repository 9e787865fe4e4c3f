"""Training speed, memory and test quality of models and training modes, each run in a fresh process.

Run: python benchmarks/bench_train.py --dataset amazon-beauty --data-path dataset --models ELCRec,SASRec \
         --modes sequence,prefix --out results
or:  python benchmarks/bench_train.py --input ../shared/data/Beauty.txt --dataset amazon-beauty --epochs 5
Every run's record goes to OUT/<dataset>/<protocol>/<row>-<loss>-seed<k>.json (the compare harness's records,
so `recbole-elcrec compare --tables OUT` includes them; a prefix-mode run of this package's models is the row
<model>-prefix). Prints a Markdown table and writes it with a JSON report as OUT/bench_train-<dataset>.md/.json:
seconds per epoch (validation included), epochs and minutes to the best validation score, the run's peak memory
and test HR/NDCG@5/20 under the run's protocol (the paper's by default). Any other --key=value is a config
override for every run (e.g. --epochs=5 --length_buckets=1).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from recbole_elcrec.config import parse_overrides
from recbole_elcrec.data.prepare import prepare_dataset
from recbole_elcrec.evaluation.report import markdown_table
from recbole_elcrec.evaluation.results import read_record
from recbole_elcrec.quick_start.compare import run_grid, run_once, seed_list
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text
from recbole_elcrec.utils.registry import PACKAGE_MODELS

METRICS = ("hit@5", "ndcg@5", "hit@20", "ndcg@20")


def _run_and_measure(model: str, dataset: str, seed: int, config_files: list[str], settings: dict) -> dict:
    """``run_once`` plus this process's peak resident memory (the process runs nothing else)."""
    import resource

    record = run_once(model, dataset, seed, config_files, settings)
    return {**record, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def isolated_runner(model: str, dataset: str, seed: int, config_files: list[str], settings: dict) -> dict:
    """One run in a fresh spawned process, so its peak memory and timings are its own."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_run_and_measure, model, dataset, seed, config_files, settings).result()


def bench_rows(models: list[str], modes: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Row name -> (model, settings): this package's models in every mode (``<model>-prefix`` for prefix mode),
    RecBole's models in their prefix mode only."""
    rows = {}
    for model in models:
        for mode in modes if model in PACKAGE_MODELS else ["prefix"]:
            name = model if mode == "sequence" or model not in PACKAGE_MODELS else f"{model}-{mode}"
            rows[name] = (model, {"train_mode": mode} if model in PACKAGE_MODELS else {})
    return rows


def summary_row(name: str, record: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's view of one run record."""
    epochs = record.get("epochs_trained") or record.get("epochs_run") or 0
    per_epoch = record["train_seconds"] / epochs if epochs else None
    best = record.get("best_epoch")
    return {
        "row": name, "mode": record.get("train_mode"), "loss": record.get("loss_type"), "seed": record["seed"],
        "s / epoch (with validation)": per_epoch, "epochs": epochs,
        "best epoch": None if best is None else best + 1,
        "minutes to best": None if best is None or per_epoch is None else per_epoch * (best + 1) / 60,
        "train minutes": record["train_seconds"] / 60, "stopped by": record.get("stop_reason"),
        "peak RSS MB": record.get("peak_rss_mb"), "date": str(record.get("date", ""))[:10],
        "commit": record.get("commit"),
        **{f"test {metric}": record["test_result"].get(metric) for metric in METRICS},
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="dataset name, e.g. amazon-beauty")
    parser.add_argument("--data-path", default="dataset", help="folder holding <dataset>/<dataset>.inter")
    parser.add_argument("--input", help="a paper-format .txt (or .csv/.inter) to prepare into --data-path first")
    parser.add_argument("--models", default="ELCRec,SASRec", help="comma-separated model names")
    parser.add_argument("--modes", default="sequence,prefix", help="training modes of this package's models")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per row (2020, 2021, ...)")
    parser.add_argument("--out", default="results", help="results root (records and the benchmark table)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args, unknown = build_parser().parse_known_args(argv)
    if args.input:
        prepare_dataset(args.input, args.dataset, out_dir=args.data_path)
    overrides = {"data_path": args.data_path, "show_progress": False, **parse_overrides(unknown)}
    rows = bench_rows([m.strip() for m in args.models.split(",") if m.strip()],
                      [m.strip() for m in args.modes.split(",") if m.strip()])
    results = run_grid(rows, args.dataset, seed_list(args.seeds), [], overrides, Path(args.out), isolated_runner)
    protocol = next(iter(results.values()))[0]["eval_protocol"]
    records = [read_record(path) for path in sorted((Path(args.out) / args.dataset / protocol).glob("*.json"))]
    table = pd.DataFrame([summary_row(record["row"], record) for record in records])
    heading = (f"# Training benchmark: {args.dataset}, protocol '{protocol}'\n\n"
               f"Every record under {args.out}/{args.dataset}/{protocol}/ (this run's and earlier ones'); each row "
               f"names its date, hardware and commit in its record. Last run {datetime.now(timezone.utc).date()}, "
               f"settings {overrides}.\n\n")
    out = Path(args.out)
    atomic_write_json(out / f"bench_train-{args.dataset}.json",
                      {"dataset": args.dataset, "overrides": overrides, "rows": table.to_dict(orient="records")})
    atomic_write_text(out / f"bench_train-{args.dataset}.md", heading + markdown_table(table))
    print(heading + markdown_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
